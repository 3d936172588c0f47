"""The instruction API from a phone: idempotent feedback and photos under retry, type and size checks,
scope on every read."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zhufang.conftest import Demo
from zhufang.events.models import DomainEvent
from zhufang.instructions.issuing import create_batch, issue_batch
from zhufang.instructions.models import Attachment, InstructionItem, ItemStatus
from zhufang.instructions.routing import TargetRef
from zhufang.instructions.tests.factories import house_in
from zhufang.instructions.transitions import sign_for

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200


def _signed_item(demo: Demo, category: str = "hazard") -> InstructionItem:
    grid = demo.user("community_officer").unit.children.order_by("code")[0]
    centre = demo.user("centre_operator")
    batch = create_batch(actor=centre, title="隐患", category=category, targets=[TargetRef("house", house_in(grid).pk)])
    issue_batch(actor=centre, batch=batch)
    item = InstructionItem.objects.get()
    sign_for(actor=demo.user("command_room"), item_ids=[item.pk])
    return item


def _photo(client: Client, item: InstructionItem, body: bytes, key: str, name: str = "p.jpg") -> object:
    upload = SimpleUploadedFile(name, body, content_type="image/jpeg")
    return client.post(
        f"/api/v1/instructions/items/{item.pk}/photos",
        {"file": upload, "lon": "118.5", "lat": "36.5"},
        headers={"Idempotency-Key": key},
    )


def test_feedback_with_a_photo_survives_retries_and_is_stored_once(
    demo: Demo, settings: object, tmp_path: object
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    item = _signed_item(demo)
    phone = demo.client_for("community_officer")
    first = _photo(phone, item, JPEG, "photo-1")
    again = _photo(phone, item, JPEG, "photo-1")
    assert first.status_code == again.status_code == 201  # type: ignore[attr-defined]
    assert first.json() == again.json()  # type: ignore[attr-defined]
    assert Attachment.objects.count() == 1
    assert InstructionItem.objects.get(pk=item.pk).status == ItemStatus.IN_PROGRESS
    photo_id = first.json()["id"]  # type: ignore[attr-defined]
    # the first photo started the work: one 开始办理 event for the work log, not one per photo
    assert _photo(phone, item, JPEG, "photo-2").status_code == 201  # type: ignore[attr-defined]
    (started,) = DomainEvent.objects.filter(kind="instruction.started", object_id=str(item.pk))
    assert started.data == {"status": ItemStatus.SIGNED, "photo": photo_id}
    assert started.actor_id == demo.users["community_officer"].pk
    Attachment.objects.exclude(pk=photo_id).delete()
    body = {"data": {"result": "已整改"}, "attachment_ids": [photo_id], "lon": 118.5, "lat": 36.5, "accuracy_m": 8}
    answers = [
        phone.post(
            f"/api/v1/instructions/items/{item.pk}/feedback",
            body,
            content_type="application/json",
            headers={"Idempotency-Key": "fb-1"},
        )
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert DomainEvent.objects.filter(kind="instruction.fed_back").count() == 1
    assert InstructionItem.objects.get(pk=item.pk).status == ItemStatus.FED_BACK
    # the station reviewing it sees the photo, through a scoped view only
    photo_url = f"/instructions/items/{item.pk}/photos/{photo_id}/"
    review = demo.client_for("command_room")
    assert f'src="{photo_url}"' in review.get(f"/instructions/items/{item.pk}/").content.decode()
    shown = review.get(photo_url)
    assert shown.status_code == 200 and b"".join(shown.streaming_content) == JPEG  # type: ignore[attr-defined]
    from zhufang.accounts.models import User

    stranger = User.objects.filter(roles__code="command_room").exclude(unit=demo.stations[0]).first()
    assert stranger is not None
    outsider = Client()
    outsider.force_login(stranger)
    assert outsider.get(photo_url).status_code == 404
    # the same key with another body is a client bug, refused
    other = phone.post(
        f"/api/v1/instructions/items/{item.pk}/feedback",
        {**body, "data": {"result": "整改中"}},
        content_type="application/json",
        headers={"Idempotency-Key": "fb-1"},
    )
    assert other.status_code == 409


def test_a_refused_feedback_leaves_the_key_free_for_the_corrected_one(demo: Demo) -> None:
    item = _signed_item(demo, category="dispute")
    phone = demo.client_for("community_officer")
    url = f"/api/v1/instructions/items/{item.pk}/feedback"
    bad = phone.post(
        url, {"data": {"result": "已化解"}}, content_type="application/json", headers={"Idempotency-Key": "k"}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"]["risk"] == ["风险等级为必填项"]
    good = {"data": {"result": "已化解", "risk": "低", "remarks": "和解"}, "lon": 118.5, "lat": 36.5}
    assert phone.post(url, good, content_type="application/json", headers={"Idempotency-Key": "k2"}).status_code == 201


def test_photos_that_are_not_images_or_too_large_are_refused(demo: Demo, settings: object, tmp_path: object) -> None:
    settings.MEDIA_ROOT = str(tmp_path)  # type: ignore[attr-defined]
    settings.ZHUFANG_INSPECTION_PHOTO_MAX_BYTES = 1000  # type: ignore[attr-defined]
    item = _signed_item(demo)
    phone = demo.client_for("community_officer")
    not_image = _photo(phone, item, b"%PDF-1.4 fake", "a", name="scan.pdf")
    assert not_image.status_code == 422  # type: ignore[attr-defined]
    assert "scan.pdf" in str(not_image.json()["errors"]["photo"])  # type: ignore[attr-defined]
    too_big = _photo(phone, item, JPEG + b"\x00" * 2000, "b")
    assert too_big.status_code == 422  # type: ignore[attr-defined]
    assert not Attachment.objects.exists()
    # another officer (not the assignee) cannot attach photos to it
    other = demo.client_for("auxiliary_officer")
    assert _photo(other, item, JPEG, "c").status_code == 403  # type: ignore[attr-defined]


def test_reads_stay_in_scope(demo: Demo) -> None:
    item = _signed_item(demo)
    assert demo.client_for("community_officer").get(f"/api/v1/instructions/items/{item.pk}").status_code == 200
    mine = demo.client_for("community_officer").get("/api/v1/instructions/items?mine=true").json()
    assert [i["id"] for i in mine] == [item.pk]
    from zhufang.accounts.models import User

    stranger = User.objects.filter(roles__code="command_room").exclude(unit=demo.stations[0]).first()
    assert stranger is not None
    client = Client()
    client.force_login(stranger)
    assert client.get(f"/api/v1/instructions/items/{item.pk}").status_code == 404
    assert client.get("/api/v1/instructions/items").json() == []
    log = demo.client_for("command_room").get("/api/v1/instructions/worklog").json()
    assert [e["action"] for e in log] == ["签收指令"]
    csv_text = demo.client_for("command_room").get("/api/v1/instructions/worklog.csv").content.decode("utf-8-sig")
    assert csv_text.splitlines()[0] == "时间,工作内容,指令类别,对象,指令编号,说明"
    assert "签收指令,隐患整改" in csv_text


def test_a_department_follows_its_requests_with_targets_masked(demo: Demo) -> None:
    grid = demo.user("community_officer").unit.children.order_by("code")[0]
    house = house_in(grid)
    department = demo.user("department")
    batch = create_batch(
        actor=department, title="治安核查", category="population", targets=[TargetRef("house", house.pk)]
    )
    issue_batch(actor=demo.user("centre_operator"), batch=batch)
    seen = demo.client_for("department").get("/api/v1/instructions/items").json()
    assert len(seen) == 1
    assert seen[0]["target_label"] == house.address.full_text.split(str(house.address.house_number))[0] + "*" * (
        len(house.address.full_text) - house.address.full_text.index(str(house.address.house_number))
    )
    assert seen[0]["lon"] is None
    assert (
        demo.client_for("department")
        .post("/api/v1/instructions/items/sign", {"item_ids": [seen[0]["id"]]}, content_type="application/json")
        .status_code
        == 403
    )
    # the station sees the real address
    station_view = demo.client_for("command_room").get("/api/v1/instructions/items").json()
    assert station_view[0]["target_label"] == house.address.full_text
