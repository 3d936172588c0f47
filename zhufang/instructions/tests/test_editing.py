"""The centre reviews and edits a department's request before issuing it; issued batches stay as sent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zhufang.audit.models import AuditEntry
from zhufang.conftest import Demo
from zhufang.instructions.editing import update_batch
from zhufang.instructions.issuing import create_batch, issue_batch, submit_request
from zhufang.instructions.models import InstructionItem
from zhufang.instructions.routing import TargetRef
from zhufang.instructions.tests.factories import house_in

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_the_centre_edits_a_request_then_issues_it(demo: Demo) -> None:
    houses = [house_in(demo.grids[0]), house_in(demo.grids[1])]
    department, centre = demo.user("department"), demo.user("centre_operator")
    batch = create_batch(
        actor=department, title="核查草稿", category="population", targets=[TargetRef("house", h.pk) for h in houses]
    )
    submit_request(actor=department, batch=batch)
    with pytest.raises(PermissionDenied):  # the request is the centre's to edit now
        update_batch(actor=department, batch=batch, title="改名")
    deadline = timezone.now() + dt.timedelta(days=5)
    unwanted = batch.memberships.get(target_id=houses[1].pk)
    update_batch(
        actor=centre,
        batch=batch,
        title="出租屋核查",
        requirements="逐户核对",
        deadline=deadline,
        remove_targets=[unwanted.pk],
    )
    batch.refresh_from_db()
    assert (batch.title, batch.requirements, batch.deadline) == ("出租屋核查", "逐户核对", deadline)
    audit = (
        AuditEntry.objects.filter(object_type="instructions.instructionbatch", object_id=str(batch.pk))
        .order_by("-pk")
        .first()
    )
    assert (
        audit is not None
        and audit.changes["title"] == ["核查草稿", "出租屋核查"]
        and audit.changes["targets_removed"] == 1
    )
    with pytest.raises(ValidationError):
        update_batch(actor=centre, batch=batch, deadline=timezone.now() - dt.timedelta(hours=1))
    issue_batch(actor=centre, batch=batch)
    assert list(InstructionItem.objects.values_list("target_id", flat=True)) == [houses[0].pk]
    assert InstructionItem.objects.get().deadline == deadline
    with pytest.raises(ValidationError):
        update_batch(actor=centre, batch=batch, title="下发后改名")


def test_the_batch_page_edits_a_draft(demo: Demo) -> None:
    houses = [house_in(demo.grids[0]), house_in(demo.grids[1])]
    centre = demo.user("centre_operator")
    batch = create_batch(
        actor=centre, title="草稿", category="population", targets=[TargetRef("house", h.pk) for h in houses]
    )
    client = demo.client_for("centre_operator")
    page = client.get(f"/instructions/batches/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="edit-batch"' in page
    drop = batch.memberships.get(target_id=houses[0].pk)
    client.post(
        f"/instructions/batches/{batch.pk}/", {"op": "edit", "title": "核查", "requirements": "", "remove": [drop.pk]}
    )
    batch.refresh_from_db()
    assert batch.title == "核查" and list(batch.memberships.values_list("target_id", flat=True)) == [houses[1].pk]
    issue_batch(actor=centre, batch=batch)
    after = client.get(f"/instructions/batches/{batch.pk}/").content.decode()
    assert 'data-testid="edit-batch"' not in after


def test_the_api_edits_a_request(demo: Demo) -> None:
    house = house_in(demo.grids[0])
    batch = create_batch(
        actor=demo.user("department"), title="请求", category="population", targets=[TargetRef("house", house.pk)]
    )
    submit_request(actor=demo.user("department"), batch=batch)
    url = f"/api/v1/instructions/batches/{batch.pk}"
    refused = demo.client_for("department").patch(url, {"title": "x"}, content_type="application/json")
    assert refused.status_code == 403
    done = demo.client_for("centre_operator").patch(url, {"title": "审核后"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["title"] == "审核后"
