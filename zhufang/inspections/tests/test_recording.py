"""Recording inspections through the API and the page: once under a phone's retry, photos checked
for type and size with Chinese errors, validation, the instruction-centre entry point."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from zhufang.audit.models import AuditAction, AuditEntry
from zhufang.conftest import Demo
from zhufang.events.models import DomainEvent
from zhufang.inspections.models import Inspection
from zhufang.inspections.services import record_inspection
from zhufang.inspections.tests.conftest import GIF, JPEG, PNG, stored_files
from zhufang.inspections.tests.factories import house
from zhufang.org.models import OrgUnit
from zhufang.registry.models import House

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def post(
    client: Client, target: House, *, key: str | None = None, photo: tuple[str, bytes] | None = None, **extra: object
) -> Any:
    data: dict[str, object] = {
        "target_kind": "house",
        "target_id": target.pk,
        "inspected_on": timezone.localdate().isoformat(),
        "result": "hazard_found",
        "findings": "楼道堆放杂物",
        "hazards": ["消防通道堵塞", "电动自行车室内充电"],
        **extra,
    }
    if photo is not None:
        data["photo"] = SimpleUploadedFile(photo[0], photo[1], content_type="image/jpeg")
    headers = {"Idempotency-Key": key} if key else {}
    return client.post("/api/v1/inspections", data, headers=headers)


def test_a_phone_retry_records_once(demo: Demo, grids: tuple[OrgUnit, ...], media_root: Path) -> None:
    target = house(grids[0], "rental")
    client = demo.client_for("community_officer")
    first = post(client, target, key="phone-7f3a", photo=("IMG_0001.jpg", JPEG))
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["hazards"] == ["消防通道堵塞", "电动自行车室内充电"] and body["result"] == "hazard_found"
    retry = post(client, target, key="phone-7f3a", photo=("IMG_0001.jpg", JPEG))
    assert retry.status_code == 200 and retry.json() == body
    assert Inspection.objects.count() == 1
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="inspections.inspection").count() == 1
    assert DomainEvent.objects.filter(kind="inspection.recorded").count() == 1
    assert len(stored_files(media_root)) == 1
    photo = client.get(body["photo_url"])
    assert photo.status_code == 200 and b"".join(photo.streaming_content) == JPEG  # type: ignore[attr-defined]
    assert photo["Content-Type"] == "image/jpeg"
    other_photo = post(client, target, key="phone-7f3a", photo=("IMG_0002.png", PNG))
    assert other_photo.status_code == 409
    again = post(client, target, key="phone-8b21")
    assert again.status_code == 201 and Inspection.objects.count() == 2


def test_photo_of_wrong_type_is_refused_in_chinese(demo: Demo, grids: tuple[OrgUnit, ...], media_root: Path) -> None:
    target = house(grids[0], "rental")
    client = demo.client_for("community_officer")
    gif = post(client, target, photo=("门口.gif", GIF))
    assert gif.status_code == 422
    assert gif.json()["errors"]["photo"] == ["照片 门口.gif 不是 JPEG、PNG 或 WebP 图片，请重新拍摄或选择其他文件"]
    empty = post(client, target, photo=("空.jpg", b""))
    assert empty.status_code == 422 and "空" in empty.json()["errors"]["photo"][0]
    assert Inspection.objects.count() == 0 and stored_files(media_root) == []


def test_default_photo_limit_refuses_eleven_megabytes(demo: Demo, grids: tuple[OrgUnit, ...], media_root: Path) -> None:
    target = house(grids[0], "rental")
    big = post(demo.client_for("community_officer"), target, photo=("IMG_9999.jpg", JPEG + b"\x00" * (11 << 20)))
    assert big.status_code == 422
    assert big.json()["errors"]["photo"] == ["照片 IMG_9999.jpg 大小为 11.0 MB，超过上限 10.0 MB"]
    assert Inspection.objects.count() == 0 and stored_files(media_root) == []


def test_bad_dates_and_missing_hazards_are_named_per_field(demo: Demo, grids: tuple[OrgUnit, ...]) -> None:
    target = house(grids[0], "rental")
    client = demo.client_for("community_officer")
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    future = post(client, target, inspected_on=tomorrow)
    assert future.status_code == 422 and "inspected_on" in future.json()["errors"]
    assert "未来" in future.json()["errors"]["inspected_on"][0]
    old = post(client, target, inspected_on=(timezone.localdate() - dt.timedelta(days=60)).isoformat())
    assert old.status_code == 422 and "inspected_on" in old.json()["errors"]
    bare = post(client, target, hazards=[])
    assert bare.status_code == 422 and "hazards" in bare.json()["errors"]
    assert post(client, target, hazards=[], result="normal").status_code == 201
    assert Inspection.objects.count() == 1


def test_instruction_centre_records_with_its_item(demo: Demo, grids: tuple[OrgUnit, ...]) -> None:
    target = house(grids[0], "self_occupied")
    reviewer = demo.user("command_room")
    with pytest.raises(ValidationError) as refused:
        record_inspection(
            actor=reviewer, target=target, inspected_on=timezone.localdate(), result="normal", source="instruction"
        )
    assert "instruction_item_id" in refused.value.message_dict
    inspection = record_inspection(
        actor=reviewer,
        target=target,
        inspected_on=timezone.localdate(),
        result="normal",
        source="instruction",
        instruction_item_id=4711,
    )
    assert inspection.source == "instruction" and inspection.instruction_item_id == 4711
    late = record_inspection(  # feedback reviewed two months after it was given
        actor=reviewer,
        target=target,
        inspected_on=timezone.localdate() - dt.timedelta(days=60),
        result="normal",
        source="instruction",
        instruction_item_id=4712,
    )
    assert late.inspected_on == timezone.localdate() - dt.timedelta(days=60)
    entry = AuditEntry.objects.get(object_type="inspections.inspection", object_id=str(inspection.pk))
    assert entry.instruction_item_id == 4711 and entry.actor_id == reviewer.pk


def test_the_page_form_records_once_and_shows_the_photo_error(
    demo: Demo, grids: tuple[OrgUnit, ...], media_root: Path
) -> None:
    target = house(grids[0], "rental")
    client = demo.client_for("community_officer")
    url = f"/inspections/house/{target.pk}/"
    form = {
        "inspected_on": timezone.localdate().isoformat(),
        "result": "normal",
        "findings": "",
        "hazards": "",
        "idempotency_key": "form-1",
    }
    refused = client.post(url, {**form, "photo": SimpleUploadedFile("a.gif", GIF)})
    assert refused.status_code == 200
    assert "照片 a.gif 不是 JPEG、PNG 或 WebP 图片" in refused.content.decode()
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302  # a double tap: the same form key
    assert Inspection.objects.filter(house=target).count() == 1
    page = client.get(url).content.decode()
    assert "已检查" in page or "本期已查" in page
