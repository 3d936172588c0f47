"""The instruction benchmark's own setup and exactly-once checker at a tiny size (``zhufang bench
instructions``), so the checker cannot rot: the requests wrk would send are replayed through Django's
test client, then the database is tampered with and the checker must say so. No timing is asserted."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from benchmarks.instructions_load import (
    FEEDBACK_BODY,
    Session,
    acknowledged_items,
    check_exactly_once,
    format_rows,
    request_lines,
    same_run_ratios,
    sent_lines,
)
from benchmarks.instructions_setup import insert_houses, signed_items
from zhufang.conftest import Demo
from zhufang.events.models import DomainEvent
from zhufang.idempotency.models import IdempotentRequest
from zhufang.instructions.models import InstructionItem, ItemStatus

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
FEEDBACK_PATH = "/api/v1/instructions/items/{item}/feedback"


def _session(officer_id: int) -> Session:
    """A logged-in phone's cookies, taken from a test client (force_login skips the slow hash)."""
    from zhufang.accounts.models import User

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(pk=officer_id))
    client.get("/login/")
    csrf = client.cookies["csrftoken"].value
    return Session(officer_id, f"sessionid={client.cookies['sessionid'].value}; csrftoken={csrf}", csrf)


def _send(lines: list[tuple[str, str, str, str, str]]) -> list[str]:
    """Each line as wrk sends it (its own cookies, CSRF header and key); answers as wrk's Lua logs them."""
    client = Client(enforce_csrf_checks=True, HTTP_HOST="127.0.0.1")
    answers = []
    for path, cookie, csrf, key, body in lines:
        response = client.post(
            path,
            body,
            content_type="application/json",
            headers={"Cookie": cookie, "X-CSRFToken": csrf, "Idempotency-Key": key},
        )
        answers.append(f"{response.status_code}\t{response.content.decode()}")
    return answers


def test_request_lines_send_every_item_once_plus_retries_with_the_same_key_and_body() -> None:
    sessions = {1: Session(1, "sessionid=a", "t1"), 2: Session(2, "sessionid=b", "t2")}
    lines = request_lines(
        {1: [10, 11, 12, 13], 2: [20, 21]},
        sessions,
        path=FEEDBACK_PATH,
        key_prefix="fb",
        body={"a": 1},
        retry_share=0.5,
    )
    firsts: dict[str, tuple[str, str, str, str, str]] = {}
    for line in lines:
        firsts.setdefault(line[3], line)
        assert line == firsts[line[3]]  # a retry repeats the first attempt exactly
    assert sorted(firsts) == ["fb-10", "fb-11", "fb-12", "fb-13", "fb-20", "fb-21"]
    assert len(lines) > len(firsts)  # some retries at this share and seed
    assert firsts["fb-20"][1:3] == ("sessionid=b", "t2") and firsts["fb-10"][0].endswith("/10/feedback")
    # officers are interleaved, so phones submit side by side
    assert [line[3] for line in lines[:2]] == ["fb-10", "fb-20"]
    # what wrk answered: thread n sends lines n, n + 2, … in order
    assert sent_lines(lines, [2, 1], 2) == [lines[0], lines[2], lines[1]]


def test_the_checker_passes_an_honest_run_and_reports_lost_doubled_and_missing_keys(demo: Demo) -> None:
    work = signed_items(insert_houses(8))
    assert work.count == 8 and len(work.by_officer) >= 2  # the district's community officer and auxiliary
    sessions = {officer: _session(officer) for officer in work.by_officer}
    lines = request_lines(
        work.by_officer, sessions, path=FEEDBACK_PATH, key_prefix="fb0", body=FEEDBACK_BODY, retry_share=0.5
    )
    assert len(lines) > work.count  # retries were sent
    keys = {item: f"fb0-{item}" for items in work.by_officer.values() for item in items}
    acked, statuses = acknowledged_items(_send(lines), keys)
    assert statuses == {201: len(lines)}  # the retries got the first answer back
    assert acked == keys
    honest = check_exactly_once(acked, submitted=keys)
    assert honest.ok and (honest.acknowledged, honest.stored) == (8, 8)
    assert DomainEvent.objects.filter(kind="instruction.fed_back").count() == 8

    first, second, third, *_rest = sorted(keys)
    event = DomainEvent.objects.get(kind="instruction.fed_back", object_id=str(first))
    DomainEvent.objects.create(
        kind=event.kind, object_type=event.object_type, object_id=event.object_id, data=event.data
    )  # a doubled submission
    DomainEvent.objects.filter(kind="instruction.fed_back", object_id=str(second)).delete()  # a lost one
    IdempotentRequest.objects.filter(key=keys[third]).delete()  # an answer without its key row
    (ghost,) = signed_items(insert_houses(1), category="visit").item_ids()  # acknowledged, never submitted
    report = check_exactly_once({**acked, ghost: "fb0-ghost"}, submitted=keys)
    assert not report.ok
    assert report.doubled == [first]
    assert report.lost == sorted([second, ghost])
    assert report.key_rows_wrong == sorted([third, ghost])
    assert report.as_dict()["exactly_once"] is False


@pytest.mark.urls("benchmarks.instructions_urls")
def test_the_bare_baseline_endpoint_writes_one_event_per_key(demo: Demo) -> None:
    work = signed_items(insert_houses(2))
    sessions = {officer: _session(officer) for officer in work.by_officer}
    lines = request_lines(
        work.by_officer, sessions, path="/bench/bare/{item}", key_prefix="bare", body=FEEDBACK_BODY, retry_share=1.0
    )
    answers = _send(lines)
    assert len(lines) == 4 and all(a.startswith("201\t") for a in answers)
    assert {json.loads(a.split("\t", 1)[1])["id"] for a in answers} == set(work.item_ids())
    assert DomainEvent.objects.filter(kind="bench.bare").count() == 2
    assert set(InstructionItem.objects.values_list("status", flat=True)) == {ItemStatus.SIGNED}  # no state change


def test_ratios_pair_each_run_with_the_bare_endpoint_of_the_same_run_and_layout() -> None:
    def row(case: str, server: tuple[int, int], run: int, rps: float, cpu: float) -> dict[str, object]:
        figures = {"requests_per_s": rps, "server_cpu_ms_per_request": cpu, "python_cpu_ms_per_request": cpu}
        return {
            "case": case,
            "run": run,
            "server": {"workers": server[0], "threads": server[1]},
            **figures,
            "postgres_cpu_ms_per_request": 0.0,
            "size": 1,
            "p50_ms": 1.0,
            "p95_ms": 1.0,
            "p99_ms": 1.0,
            "non_2xx": 0,
            "socket_errors": 0,
            "wrk_threads": 2,
            "connections": 16,
            "acknowledged": 1,
            "lost": 0,
            "doubled": 0,
            "key_rows_wrong": 0,
            "retries": 0,
        }

    rows = [
        row("http_bare", (2, 4), 0, 400.0, 4.0),
        row("http_feedback", (2, 4), 0, 300.0, 5.0),
        row("http_bare", (2, 4), 1, 200.0, 8.0),  # a slow phase: both halve
        row("http_feedback", (2, 4), 1, 160.0, 9.6),
        row("http_bare", (4, 1), 0, 500.0, 3.0),
        row("http_feedback", (4, 1), 0, 500.0, 3.0),
    ]
    ratios = same_run_ratios(rows, "http_feedback")
    assert ratios == {"2x4": [(0.75, 1.25), (0.8, 1.2)], "4x1": [(1.0, 1.0)]}
    text = "\n".join(format_rows(rows))
    assert "2x4 http_feedback: 0.75–0.80× the bare endpoint's requests/s, server CPU per request 1.20–1.25×" in text
    assert "4x1 http_feedback: 1.00×" in text
