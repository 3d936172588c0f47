"""Leave and delegation (请假委托): a leave covering today hands the officer's open items to the delegate
at once, set-based, with events and audit rows; a later leave is applied by the daily job; new work goes
to the delegate; ending or cancelling moves nothing back; validation and scope per station; the
district's default officer chosen by the station."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhufang.accounts.models import User
from zhufang.audit.models import AuditAction, AuditEntry
from zhufang.conftest import Demo
from zhufang.events.models import DomainEvent
from zhufang.instructions import transitions as T
from zhufang.instructions.issuing import create_batch, issue_batch
from zhufang.instructions.leave import apply_leaves, end_leave, record_leave, set_default_assignee
from zhufang.instructions.models import DefaultAssignee, Delegation, InstructionItem, ItemStatus
from zhufang.instructions.routing import TargetRef
from zhufang.instructions.tests.factories import house_in
from zhufang.jobs.registry import get_job
from zhufang.notifications.models import Notification
from zhufang.schedules import SCHEDULES

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def _items(demo: Demo, n: int) -> list[InstructionItem]:
    grid = demo.user("community_officer").unit.children.order_by("code")[0]
    centre = demo.user("centre_operator")
    batch = create_batch(
        actor=centre,
        title="核查",
        category="population",
        targets=[TargetRef("house", house_in(grid).pk) for _ in range(n)],
    )
    issue_batch(actor=centre, batch=batch)
    return list(InstructionItem.objects.order_by("pk"))


def _in_every_state(demo: Demo) -> dict[str, InstructionItem]:
    """signed, in progress, rework, fed back (the officer's) and one still awaiting sign-for."""
    signed, started, rework, fed, waiting = _items(demo, 5)
    room, officer = demo.user("command_room"), demo.user("community_officer")
    T.sign_for(actor=room, item_ids=[signed.pk, started.pk, rework.pk, fed.pk])
    T.start(actor=officer, item_id=started.pk)
    for item in (rework, fed):
        T.feed_back(actor=officer, item_id=item.pk, data={"result": "信息属实"}, lon=118.5, lat=36.5)
    T.return_for_rework(actor=room, item_ids=[rework.pk], reason="照片不清")
    return {"signed": signed, "started": started, "rework": rework, "fed": fed, "waiting": waiting}


def _other_station_officer() -> User:
    from zhufang.org.models import OrgKind, OrgUnit

    second = OrgUnit.objects.filter(kind=OrgKind.STATION).order_by("code")[1]
    found = User.objects.filter(roles__code="community_officer", unit__path__startswith=second.path).first()
    assert found is not None
    return found


def _assignee(item: InstructionItem) -> int | None:
    return InstructionItem.objects.get(pk=item.pk).assignee_id


def test_a_leave_covering_today_hands_the_open_items_over_at_once(demo: Demo) -> None:
    items = _in_every_state(demo)
    officer, delegate = demo.user("community_officer"), demo.user("auxiliary_officer")
    room = demo.user("command_room")
    done = record_leave(
        actor=room,
        officer=officer,
        delegate=delegate,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + dt.timedelta(days=4),
    )
    assert done.handed_over == 3
    assert done.leave.owner_unit_id == demo.stations[0].pk
    for state in ("signed", "started", "rework"):
        assert _assignee(items[state]) == delegate.pk, state
    assert _assignee(items["fed"]) == officer.pk  # fed back: waits for review under the officer's name
    assert _assignee(items["waiting"]) is None
    statuses = dict(InstructionItem.objects.values_list("pk", "status"))
    assert statuses[items["started"].pk] == ItemStatus.IN_PROGRESS  # the state is kept, only the officer changes
    moved = DomainEvent.objects.filter(kind="instruction.assigned", data__previous=officer.pk)
    assert sorted(int(e.object_id) for e in moved) == sorted(items[s].pk for s in ("signed", "started", "rework"))
    assert all(e.actor_id == room.pk and e.data["assignee"] == delegate.pk for e in moved)
    assert {e.data["reason"] for e in moved} == {"请假委托：移交委托人"}  # stored in the bureau's language
    audits = AuditEntry.objects.filter(instruction_item_id__in=[items[s].pk for s in ("signed", "started", "rework")])
    assert {a.changes["assignee"][1] for a in audits if "assignee" in a.changes} == {delegate.pk}
    created = AuditEntry.objects.get(object_type="instructions.delegation", action=AuditAction.CREATE)
    assert created.changes["handed_over"] == 3
    assert Notification.objects.filter(recipient=delegate, kind="instruction.assigned").count() == 1
    # while the leave lasts, new work for the officer goes to the delegate
    T.sign_for(actor=room, item_ids=[items["waiting"].pk])
    assert _assignee(items["waiting"]) == delegate.pk


def test_a_later_leave_is_applied_by_the_daily_job_once(demo: Demo) -> None:
    items = _in_every_state(demo)
    officer, delegate = demo.user("community_officer"), demo.user("auxiliary_officer")
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    done = record_leave(
        actor=demo.user("station_head"), officer=officer, delegate=delegate, starts_on=tomorrow, ends_on=tomorrow
    )
    assert done.handed_over == 0 and _assignee(items["signed"]) == officer.pk
    assert apply_leaves(today=tomorrow) == {"officers_on_leave": 1, "handed_over": 3}
    assert _assignee(items["signed"]) == delegate.pk
    assert apply_leaves(today=tomorrow) == {"officers_on_leave": 1, "handed_over": 0}
    assert DomainEvent.objects.filter(kind="instruction.assigned", actor__isnull=True).count() == 3
    # the job is registered and scheduled daily
    import zhufang.instructions.jobs  # noqa: F401 - registers the jobs

    assert get_job("instructions.apply_leaves")() == {"officers_on_leave": 0, "handed_over": 0}
    assert any(s.job == "instructions.apply_leaves" and s.every == dt.timedelta(days=1) for s in SCHEDULES)


def test_ending_or_cancelling_a_leave_moves_nothing_back(demo: Demo) -> None:
    items = _in_every_state(demo)
    officer, delegate = demo.user("community_officer"), demo.user("auxiliary_officer")
    room = demo.user("command_room")
    today = timezone.localdate()
    current = record_leave(
        actor=room, officer=officer, delegate=delegate, starts_on=today - dt.timedelta(days=2), ends_on=today
    ).leave
    assert end_leave(actor=room, leave=current) == "ended"
    current.refresh_from_db()
    assert current.ends_on == today - dt.timedelta(days=1)
    assert _assignee(items["signed"]) == delegate.pk  # stays with the delegate
    T.sign_for(actor=room, item_ids=[items["waiting"].pk])
    assert _assignee(items["waiting"]) == officer.pk  # back from leave: new work is the officer's again
    with pytest.raises(ValidationError):
        end_leave(actor=room, leave=current)  # already over
    later = record_leave(
        actor=room,
        officer=officer,
        delegate=delegate,
        starts_on=today + dt.timedelta(days=10),
        ends_on=today + dt.timedelta(days=12),
    ).leave
    assert end_leave(actor=room, leave=later) == "cancelled"
    assert not Delegation.objects.filter(pk=later.pk).exists()
    assert AuditEntry.objects.filter(
        object_type="instructions.delegation", object_id=str(later.pk), action=AuditAction.DELETE
    ).exists()


def test_leave_is_validated_in_the_users_language_and_nothing_is_half_written(demo: Demo) -> None:
    officer, delegate = demo.user("community_officer"), demo.user("auxiliary_officer")
    room, today = demo.user("command_room"), timezone.localdate()

    def refused(**changes: object) -> dict[str, list[str]]:
        values: dict[str, object] = {
            "officer": officer,
            "delegate": delegate,
            "starts_on": today,
            "ends_on": today + dt.timedelta(days=1),
            **changes,
        }
        with pytest.raises(ValidationError) as error:
            record_leave(actor=room, **values)  # type: ignore[arg-type]
        return error.value.message_dict

    outsider = _other_station_officer()
    assert refused(delegate=outsider)["delegate"] == [
        f"The delegate {outsider.name} is not an officer of the same station"
    ]
    assert refused(delegate=officer)["delegate"] == ["The delegate must be another officer"]
    assert refused(ends_on=today - dt.timedelta(days=1))["ends_on"][0].startswith("The leave ends (")
    assert refused(starts_on=today - dt.timedelta(days=5), ends_on=today - dt.timedelta(days=1))["ends_on"][
        0
    ].startswith("The leave has already ended")
    assert refused(starts_on=None)["starts_on"] == ["Enter the first day of the leave"]
    assert not Delegation.objects.exists()
    record_leave(actor=room, officer=delegate, delegate=officer, starts_on=today, ends_on=today)
    assert refused()["delegate"][0].startswith(f"The delegate {delegate.name} is on leave themselves from")
    helper = (
        User.objects.filter(roles__code="auxiliary_officer", unit__path__startswith=demo.stations[0].path)
        .exclude(pk=delegate.pk)
        .first()
    )
    assert helper is not None
    assert refused(officer=delegate, delegate=helper)["starts_on"][0].startswith(f"{delegate.name} is already on leave")
    assert Delegation.objects.count() == 1


def test_only_the_officers_own_station_records_leave(demo: Demo) -> None:
    officer, delegate = demo.user("community_officer"), demo.user("auxiliary_officer")
    today = timezone.localdate()
    for role in ("community_officer", "centre_operator", "department", "leader"):
        with pytest.raises(PermissionDenied):
            record_leave(actor=demo.user(role), officer=officer, delegate=delegate, starts_on=today, ends_on=today)
    second_room = User.objects.filter(unit=demo.stations[1], roles__code="command_room").first()
    assert second_room is not None
    with pytest.raises(ValidationError) as other_station:
        record_leave(actor=second_room, officer=officer, delegate=delegate, starts_on=today, ends_on=today)
    assert set(other_station.value.message_dict) == {"officer", "delegate"}
    leave = record_leave(
        actor=demo.user("command_room"), officer=officer, delegate=delegate, starts_on=today, ends_on=today
    ).leave
    with pytest.raises(PermissionDenied):
        end_leave(actor=second_room, leave=leave)


def test_the_station_chooses_each_districts_default_officer(demo: Demo) -> None:
    room = demo.user("command_room")
    district = demo.user("community_officer").unit
    helper = demo.user("auxiliary_officer")
    first, second = _items(demo, 2)
    set_default_assignee(actor=room, district=district, officer=helper)
    T.sign_for(actor=room, item_ids=[first.pk])
    assert _assignee(first) == helper.pk
    set_default_assignee(actor=room, district=district, officer=None)  # back to the community officer
    assert not DefaultAssignee.objects.exists()
    T.sign_for(actor=room, item_ids=[second.pk])
    assert _assignee(second) == demo.user("community_officer").pk
    with pytest.raises(ValidationError):
        set_default_assignee(actor=room, district=district, officer=_other_station_officer())
    foreign = next(d for d in demo.districts if not d.path.startswith(demo.stations[0].path))
    with pytest.raises(ValidationError):
        set_default_assignee(actor=room, district=foreign, officer=helper)
    with pytest.raises(PermissionDenied):
        set_default_assignee(actor=demo.user("community_officer"), district=district, officer=helper)
    assert AuditEntry.objects.filter(object_type="instructions.defaultassignee").count() == 2


def test_the_leave_page_records_ends_and_explains(demo: Demo) -> None:
    officer, delegate = demo.user("community_officer"), demo.user("auxiliary_officer")
    client = demo.client_for("command_room")
    page = client.get("/instructions/leave/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "销假或取消请假不会把指令移回" in page
    assert f'<option value="{delegate.pk}">' in page
    today = timezone.localdate()
    answer = client.post(
        "/instructions/leave/",
        {"op": "record", "officer": officer.pk, "delegate": officer.pk, "starts_on": today, "ends_on": today},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert "委托人须是另一名民警" in answer.content.decode()
    answer = client.post(
        "/instructions/leave/",
        {"op": "record", "officer": officer.pk, "delegate": delegate.pk, "starts_on": today, "ends_on": today},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert "已登记请假" in answer.content.decode()
    leave = Delegation.objects.get()
    client.post("/instructions/leave/", {"op": "end", "leave": leave.pk})
    assert not Delegation.objects.exists()  # started today: cancelled
    assert demo.client_for("community_officer").get("/instructions/leave/").status_code == 403
    assert demo.client_for("centre_operator").get("/instructions/leave/").status_code == 403


def test_the_leave_api(demo: Demo) -> None:
    _items(demo, 1)
    item = InstructionItem.objects.get()
    officer, delegate = demo.user("community_officer"), demo.user("auxiliary_officer")
    room = demo.user("command_room")
    T.sign_for(actor=room, item_ids=[item.pk])
    client = demo.client_for("command_room")
    today = timezone.localdate().isoformat()
    body = {"officer_id": officer.pk, "delegate_id": delegate.pk, "starts_on": today, "ends_on": today}
    created = client.post("/api/v1/instructions/leaves", body, content_type="application/json")
    assert created.status_code == 201
    assert (created.json()["handed_over"], created.json()["state"]) == (1, "current")
    again = client.post("/api/v1/instructions/leaves", body, content_type="application/json")
    assert again.status_code == 422 and "starts_on" in again.json()["errors"]
    listed = client.get("/api/v1/instructions/leaves").json()
    assert [(row["officer"]["id"], row["delegate"]["id"]) for row in listed] == [(officer.pk, delegate.pk)]
    ended = client.post(f"/api/v1/instructions/leaves/{listed[0]['id']}/end")
    assert ended.json() == {"outcome": "cancelled"}
    assert _assignee(item) == delegate.pk
    district = officer.unit
    put = client.put(
        f"/api/v1/instructions/default-officers/{district.pk}",
        {"officer_id": delegate.pk},
        content_type="application/json",
    )
    assert put.json()["officer"]["id"] == delegate.pk
    defaults = {row["district_id"]: row for row in client.get("/api/v1/instructions/default-officers").json()}
    assert defaults[district.pk]["effective_officer_id"] == delegate.pk
    assert demo.client_for("community_officer").get("/api/v1/instructions/leaves").status_code == 403
