"""Every transition allowed and refused per role, scope and state."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhufang.conftest import Demo
from zhufang.events.models import DomainEvent
from zhufang.instructions import transitions as T
from zhufang.instructions.closing import close_batch
from zhufang.instructions.issuing import create_batch, issue_batch
from zhufang.instructions.models import Delegation, InstructionBatch, InstructionItem, ItemStatus
from zhufang.instructions.routing import TargetRef
from zhufang.instructions.tests.factories import house_in

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def _issue(demo: Demo, category: str = "population", n: int = 1) -> tuple[InstructionBatch, list[InstructionItem]]:
    grid = demo.user("community_officer").unit.children.order_by("code")[0]
    houses = [house_in(grid) for _ in range(n)]
    centre = demo.user("centre_operator")
    batch = create_batch(
        actor=centre, title="核查", category=category, targets=[TargetRef("house", h.pk) for h in houses]
    )
    issue_batch(actor=centre, batch=batch)
    return batch, list(InstructionItem.objects.order_by("pk"))


def _other_station_room(demo: Demo):  # a command-room user of the second station
    from zhufang.accounts.models import User

    return User.objects.filter(unit=demo.stations[1], roles__code="command_room").first()


def test_sign_for_is_the_station_command_rooms_and_assigns_the_district_default(demo: Demo) -> None:
    _batch, items = _issue(demo, n=3)
    ids = [i.pk for i in items]
    with pytest.raises(PermissionDenied):
        T.sign_for(actor=demo.user("community_officer"), item_ids=ids)  # no permission
    with pytest.raises(PermissionDenied):
        T.sign_for(actor=_other_station_room(demo), item_ids=ids)  # another station's items
    with pytest.raises(PermissionDenied):
        T.sign_for(actor=demo.user("department"), item_ids=ids)  # departments follow, they do not sign
    assert T.sign_for(actor=demo.user("command_room"), item_ids=ids) == 3
    officer = demo.user("community_officer")
    assert set(InstructionItem.objects.values_list("status", "assignee_id")) == {(ItemStatus.SIGNED, officer.pk)}
    with pytest.raises(T.TransitionRefused) as twice:
        T.sign_for(actor=demo.user("command_room"), item_ids=ids[:1])
    assert "不能签收" in str(twice.value)
    assert DomainEvent.objects.filter(kind="instruction.signed").count() == 3


def test_an_officer_on_leave_passes_items_to_the_delegate(demo: Demo) -> None:
    _batch, items = _issue(demo)
    officer = demo.user("community_officer")
    delegate = demo.user("auxiliary_officer")
    today = timezone.localdate()
    Delegation.objects.create(
        officer=officer,
        delegate=delegate,
        starts_on=today,
        ends_on=today + dt.timedelta(days=3),
        owner_unit=officer.unit,
    )
    T.sign_for(actor=demo.user("command_room"), item_ids=[items[0].pk])
    assert InstructionItem.objects.get(pk=items[0].pk).assignee_id == delegate.pk


def test_assign_only_to_officers_of_the_items_station(demo: Demo) -> None:
    _batch, items = _issue(demo)
    room = demo.user("command_room")
    T.sign_for(actor=room, item_ids=[items[0].pk])
    from zhufang.accounts.models import User

    outsider = (
        User.objects.filter(roles__code="community_officer")
        .exclude(unit__path__startswith=demo.stations[0].path)
        .first()
    )
    assert outsider is not None
    with pytest.raises(ValidationError) as refused:
        T.assign(actor=room, item_ids=[items[0].pk], officer=outsider)
    assert "不属于该指令的派出所" in str(refused.value)
    helper = demo.user("auxiliary_officer")
    T.assign(actor=room, item_ids=[items[0].pk], officer=helper)
    assert InstructionItem.objects.get(pk=items[0].pk).assignee_id == helper.pk


def test_feedback_is_validated_and_only_the_assignee_submits_it(demo: Demo) -> None:
    _batch, items = _issue(demo, category="dispute")
    item = items[0]
    officer = demo.user("community_officer")
    with pytest.raises(T.TransitionRefused):
        T.feed_back(actor=officer, item_id=item.pk, data={})  # not signed for yet
    T.sign_for(actor=demo.user("command_room"), item_ids=[item.pk])
    with pytest.raises(PermissionDenied):
        T.feed_back(actor=demo.user("auxiliary_officer"), item_id=item.pk, data={})  # not the assignee
    with pytest.raises(ValidationError) as invalid:
        T.feed_back(actor=officer, item_id=item.pk, data={"result": "不知道", "extra": 1})
    errors = invalid.value.message_dict
    assert errors["result"] == ["核查结果：请从“已化解、调解中、已移交镇街、不属实”中选择"]
    assert errors["risk"] == ["风险等级为必填项"]
    assert errors["remarks"] == ["处置情况为必填项"]
    assert errors["location"] == ["需要上传现场定位"]
    assert errors["extra"] == ["反馈表没有字段“extra”"]
    assert InstructionItem.objects.get(pk=item.pk).status == ItemStatus.SIGNED  # nothing half-written
    done = T.feed_back(
        actor=officer,
        item_id=item.pk,
        data={"result": "已化解", "risk": "低", "remarks": "双方和解"},
        lon=118.5,
        lat=36.5,
    )
    assert done.status == ItemStatus.FED_BACK and done.feedback["result"] == "已化解"


def test_photos_are_required_where_the_category_asks(demo: Demo) -> None:
    _batch, items = _issue(demo, category="hazard")
    T.sign_for(actor=demo.user("command_room"), item_ids=[items[0].pk])
    with pytest.raises(ValidationError) as refused:
        T.feed_back(actor=demo.user("community_officer"), item_id=items[0].pk, data={"result": "已整改"}, lon=1, lat=1)
    assert refused.value.message_dict["photos"] == ["至少需要1张现场照片"]


def test_review_approve_rework_and_close(demo: Demo) -> None:
    batch, items = _issue(demo, n=2)
    room, officer, centre = demo.user("command_room"), demo.user("community_officer"), demo.user("centre_operator")
    ids = [i.pk for i in items]
    T.sign_for(actor=room, item_ids=ids)
    for item_id in ids:
        T.feed_back(actor=officer, item_id=item_id, data={"result": "信息属实"}, lon=118.5, lat=36.5)
    with pytest.raises(PermissionDenied):
        T.approve(actor=officer, item_ids=ids)  # officers do not review their own work
    with pytest.raises(ValidationError):
        T.return_for_rework(actor=room, item_ids=ids[:1], reason=" ")
    T.return_for_rework(actor=room, item_ids=ids[:1], reason="照片不清楚")
    reworked = InstructionItem.objects.get(pk=ids[0])
    assert (reworked.status, reworked.rework_count, reworked.return_reason) == (ItemStatus.REWORK, 1, "照片不清楚")
    with pytest.raises(ValidationError) as open_items:
        close_batch(actor=centre, batch=batch)
    assert "还有2条指令未办结" in str(open_items.value)  # one in rework, one awaiting review
    T.feed_back(actor=officer, item_id=ids[0], data={"result": "信息有误已更正"}, lon=118.5, lat=36.5)
    T.approve(actor=room, item_ids=ids)
    with pytest.raises(PermissionDenied):
        close_batch(actor=room, batch=batch)
    close_batch(actor=centre, batch=batch)
    assert set(InstructionItem.objects.values_list("status", flat=True)) == {ItemStatus.CLOSED}
    assert InstructionBatch.objects.get(pk=batch.pk).status == "closed"


def test_return_to_centre_is_not_rework_and_the_centre_reroutes(demo: Demo) -> None:
    _batch, items = _issue(demo)
    room, centre = demo.user("command_room"), demo.user("centre_operator")
    with pytest.raises(ValidationError):
        T.return_to_centre(actor=room, item_ids=[items[0].pk], reason="")
    T.return_to_centre(actor=room, item_ids=[items[0].pk], reason="不属于本所辖区")
    item = InstructionItem.objects.get(pk=items[0].pk)
    assert (item.status, item.returned_count, item.rework_count) == (ItemStatus.RETURNED, 1, 0)
    with pytest.raises(PermissionDenied):
        T.reroute(actor=room, item_ids=[item.pk], station_id=demo.stations[1].pk)
    T.reroute(actor=centre, item_ids=[item.pk], station_id=demo.stations[1].pk)
    item.refresh_from_db()
    assert (item.status, item.station_id, item.owner_unit_id) == (
        ItemStatus.ISSUED,
        demo.stations[1].pk,
        demo.stations[1].pk,
    )
    # now the first station no longer sees it, the second does
    assert not InstructionItem.objects.visible_to(room).filter(pk=item.pk).exists()
    assert InstructionItem.objects.visible_to(_other_station_room(demo)).filter(pk=item.pk).exists()


def test_cancel_is_the_centres_and_frees_the_target(demo: Demo) -> None:
    _batch, items = _issue(demo)
    with pytest.raises(PermissionDenied):
        T.cancel(actor=demo.user("command_room"), item_ids=[items[0].pk], reason="x")
    T.cancel(actor=demo.user("centre_operator"), item_ids=[items[0].pk], reason="目标已拆除")
    item = InstructionItem.objects.get(pk=items[0].pk)
    assert item.status == ItemStatus.CANCELLED and item.open_key is None
    with pytest.raises(T.TransitionRefused):
        T.cancel(actor=demo.user("centre_operator"), item_ids=[item.pk], reason="again")


def test_approving_a_venue_check_records_the_inspection_of_the_venue(demo: Demo) -> None:
    from zhufang.inspections.models import Inspection
    from zhufang.instructions.models import Attachment
    from zhufang.instructions.tests.factories import establishment_in

    grid = demo.user("community_officer").unit.children.order_by("code")[0]
    venue = establishment_in(grid)
    centre, room, officer = demo.user("centre_operator"), demo.user("command_room"), demo.user("community_officer")
    batch = create_batch(
        actor=centre, title="旅馆检查", category="venue", targets=[TargetRef("establishment", venue.pk)]
    )
    issue_batch(actor=centre, batch=batch)
    item = InstructionItem.objects.get()
    T.sign_for(actor=room, item_ids=[item.pk])
    photo = Attachment.objects.create(
        item=item, file="instructions/x.jpg", content_type="image/jpeg", size=10, sha256="0"
    )
    T.feed_back(
        actor=officer,
        item_id=item.pk,
        data={"result": "发现隐患", "hazards": ["消防"], "remarks": "灭火器过期"},
        attachment_ids=[photo.pk],
        lon=118.5,
        lat=36.5,
    )
    assert not Inspection.objects.exists()
    T.approve(actor=room, item_ids=[item.pk])
    inspection = Inspection.objects.get()
    assert inspection.instruction_item_id == item.pk
    assert (inspection.result, inspection.hazards, inspection.findings) == ("hazard_found", ["消防"], "灭火器过期")
