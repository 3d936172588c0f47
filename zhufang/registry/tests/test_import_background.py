"""A large upload runs as a background job: the page answers at once, then shows the rows done so far
and the report; the error report downloads as CSV; nobody follows another user's import."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhufang.conftest import Demo
from zhufang.jobs.models import JobRun
from zhufang.jobs.runner import discover_jobs, work_once
from zhufang.registry.models import ImportRun, Person, StandardAddress
from zhufang.registry.tests.test_imports import PEOPLE_HEADER, addresses, people_rows, write_csv  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def run_queued_import() -> JobRun:
    """What the worker does: run queued jobs (the periodic ones come first) until the import ran."""
    discover_jobs()
    for _ in range(50):
        ran = work_once()
        if ran is not None and ran.name == "registry.import":
            return ran
    raise AssertionError("the import job never ran")


def test_a_large_file_is_imported_in_the_background_with_progress(
    demo: Demo,
    addresses: list[StandardAddress],  # noqa: F811
    tmp_path: Path,
    settings: object,
    django_capture_on_commit_callbacks: object,
) -> None:
    settings.ZHUFANG_IMPORT_INLINE_BYTES = 100  # type: ignore[attr-defined]  # every test file counts as large
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    rows = people_rows(addresses)
    rows[3][3] = rows[3][3][:-1] + ("0" if rows[3][3][-1] != "0" else "1")  # a wrong check digit
    path = write_csv(tmp_path / "people.csv", PEOPLE_HEADER, rows)
    client = demo.client_for("centre_operator")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        answer = client.post(
            "/registry/import/",
            {"kind": "people", "apply": "1", "file": SimpleUploadedFile("people.csv", path.read_bytes())},
        )
    assert answer.status_code == 302
    progress_url = answer["Location"]
    assert not Person.objects.exists()  # nothing yet: the request only queued the job
    waiting = client.get(progress_url, HTTP_ACCEPT_LANGUAGE="zh-hans", HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="queued"' in waiting and "hx-trigger" in waiting
    # another user cannot follow it
    assert demo.client_for("command_room").get(progress_url).status_code == 404
    ran = run_queued_import()
    assert ran.status == "done", ran.error
    assert not list((tmp_path / "imports").iterdir())  # the spooled file is gone
    done = client.get(progress_url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-status="done"' in done and "hx-trigger" not in done
    run = ImportRun.objects.get(kind="people", dry_run=False)
    assert (run.total_rows, run.created, run.rejected) == (len(rows), len(rows) - 1, 1)
    assert Person.objects.count() == len(rows) - 1
    assert "校验码" in done
    errors = client.get(f"/registry/import/runs/{run.pk}/errors.csv").content.decode("utf-8-sig")
    lines = errors.splitlines()
    assert lines[0] == "行号,列,值,问题" and len(lines) == 2 and lines[1].startswith("5,证件号码,")
    assert demo.client_for("grid_worker").get(f"/registry/import/runs/{run.pk}/errors.csv").status_code in (403, 404)


def test_a_refused_background_file_says_why(
    demo: Demo, tmp_path: Path, settings: object, django_capture_on_commit_callbacks: object
) -> None:
    settings.ZHUFANG_IMPORT_INLINE_BYTES = 10  # type: ignore[attr-defined]
    settings.VAR_DIR = tmp_path  # type: ignore[attr-defined]
    path = write_csv(tmp_path / "odd.csv", ["姓名", "鞋码"], [["张三", "42"]])
    client = demo.client_for("centre_operator")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        answer = client.post(
            "/registry/import/", {"kind": "people", "file": SimpleUploadedFile("odd.csv", path.read_bytes())}
        )
    run_queued_import()
    page = client.get(answer["Location"]).content.decode()
    assert "鞋码" in page and "import-refused" in page


def test_while_running_the_page_shows_the_rows_committed_so_far(demo: Demo) -> None:
    from zhufang.registry.imports.background import JOB, progress

    user = demo.user("centre_operator")
    job = JobRun.objects.create(name=JOB, status="running", args={"token": "t1", "actor_id": user.pk, "sha256": "abc"})
    ImportRun.objects.create(
        kind="people",
        file_name="big.csv",
        file_sha256="abc",
        dry_run=False,
        actor=user,
        owner_unit=user.unit,
        total_rows=15000,
        created=14990,
        rejected=10,
        started_at=job.enqueued_at,
    )
    state = progress(user, "t1")
    assert state is not None and not state.finished and state.run is not None
    page = demo.client_for("centre_operator").get("/registry/import/progress/t1/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "15000" in page.content.decode() and "14990" in page.content.decode()
    assert progress(demo.user("command_room"), "t1") is None
