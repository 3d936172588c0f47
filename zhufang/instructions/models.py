"""Instruction centre (指令中心): batches of items aimed at registry objects, routed to stations,
merged across departments, signed for, fed back, reviewed and escalated when late.

* ``InstructionBatch`` (指令批次): what a department requested or the centre issued — title,
  category, deadline, requirements. Its requested targets are ``BatchMembership`` rows.
* ``InstructionItem`` (指令条目): one target at one station. An item whose target and category already
  have an open item is merged into it: the item then belongs to every batch that requested it
  (one membership per batch), counts once in each, and keeps the earliest deadline.
* Overdue and the escalation level are derived from the deadline and the clock; the periodic job only
  records when a level was reached (and notifies).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhufang.accounts.scope_spec import ScopedQuerySet, ScopeSpec


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REQUESTED = "requested", _("Requested by a department")
    ISSUED = "issued", _("Issued")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class ItemStatus(models.TextChoices):
    ISSUED = "issued", _("Awaiting sign-for")
    SIGNED = "signed", _("Signed for")
    IN_PROGRESS = "in_progress", _("In progress")
    FED_BACK = "fed_back", _("Fed back")
    REWORK = "rework", _("Returned for rework")
    RETURNED = "returned", _("Returned to the centre")
    APPROVED = "approved", _("Approved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


#: states in which an item is still work to do (it can absorb a merge and can become overdue)
OPEN_STATUSES = (
    ItemStatus.ISSUED,
    ItemStatus.SIGNED,
    ItemStatus.IN_PROGRESS,
    ItemStatus.FED_BACK,
    ItemStatus.REWORK,
    ItemStatus.RETURNED,
)
#: states in which the station still owes work before the deadline (fed back items wait for review)
OWED_STATUSES = (ItemStatus.ISSUED, ItemStatus.SIGNED, ItemStatus.IN_PROGRESS, ItemStatus.REWORK)


class TargetKind(models.TextChoices):
    PERSON = "person", _("Person")
    HOUSE = "house", _("House")
    ESTABLISHMENT = "establishment", _("Establishment")
    ADDRESS = "address", _("Address")
    LOCATION = "location", _("Location")


class InstructionBatch(models.Model):
    """指令批次: one request or issue of the centre, with many items."""

    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(_("category"), max_length=40)
    requirements = models.TextField(_("requirements"), blank=True)
    status = models.CharField(max_length=12, choices=BatchStatus.choices, default=BatchStatus.DRAFT)
    #: an explicit deadline set by the centre; otherwise each item's deadline follows the category rule
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    requesting_unit = models.ForeignKey(
        "org.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    owner_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    issued_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_spec = ScopeSpec(unit_field="owner_unit", self_fields=("created_by",), requester_field="requesting_unit")

    class Meta:
        ordering = ["-id"]
        verbose_name = _("instruction batch")
        verbose_name_plural = _("instruction batches")

    def __str__(self) -> str:
        return self.title


#: how domain events and audit rows name an instruction item (``object_type``)
ITEM_TYPE = "instructions.instructionitem"


class InstructionItem(models.Model):
    """指令条目: one target at one station, worked by one officer."""

    category = models.CharField(_("category"), max_length=40)
    target_kind = models.CharField(_("target"), max_length=16, choices=TargetKind.choices)
    target_id = models.BigIntegerField(null=True, blank=True)
    #: what the officer is sent to: an address text or a unit's name (never an identifier)
    target_label = models.CharField(_("target"), max_length=255, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    # no single-column indexes where a composite index leads with the column (station+status,
    # assignee+status+deadline) or nothing reads by it (signed/fed back/reviewed by): every index is
    # rewritten on each status change, and phones change statuses all day
    station = models.ForeignKey("org.OrgUnit", null=True, on_delete=models.PROTECT, related_name="+", db_index=False)
    district = models.ForeignKey("org.OrgUnit", null=True, on_delete=models.PROTECT, related_name="+")
    #: the lowest unit the target belongs to (its grid, else its district/station): scope reads it
    owner_unit = models.ForeignKey("org.OrgUnit", null=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=ItemStatus.choices, default=ItemStatus.ISSUED)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    deadline = models.DateTimeField(_("deadline"))
    #: "category:kind:id" while the item is open: the database refuses a second open item on the same
    #: target and category, so concurrent batches merge instead of doubling the work
    open_key = models.CharField(max_length=80, null=True, blank=True)  # unique: Meta.constraints
    escalation_level = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    fed_back_at = models.DateTimeField(null=True, blank=True)
    fed_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    #: the reason of the last return (to the centre, or for rework)
    return_reason = models.CharField(max_length=300, blank=True)
    returned_count = models.PositiveSmallIntegerField(default=0)
    rework_count = models.PositiveSmallIntegerField(default=0)
    feedback = models.JSONField(default=dict, blank=True)
    feedback_lon = models.FloatField(null=True, blank=True)
    feedback_lat = models.FloatField(null=True, blank=True)
    feedback_accuracy_m = models.FloatField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_spec = ScopeSpec(
        unit_field="owner_unit", self_fields=("assignee",), requester_field="memberships__batch__requesting_unit"
    )

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("instruction item")
        verbose_name_plural = _("instruction items")
        indexes = [
            models.Index(fields=["station", "status"], name="item_station_status"),
            models.Index(fields=["assignee", "status", "deadline"], name="item_assignee_status_deadline"),
            models.Index(fields=["status", "deadline"], name="item_status_deadline"),
            models.Index(fields=["target_kind", "target_id"], name="item_target"),
        ]
        constraints = [
            # a constraint, not unique=True: no second (LIKE) index for a key nothing searches by prefix
            models.UniqueConstraint(fields=["open_key"], name="item_open_key_once"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.target_kind}:{self.target_id or ''} {self.target_label}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: object = None) -> bool:
        moment = now or timezone.now()
        return self.status in OWED_STATUSES and self.deadline < moment  # type: ignore[operator]


class BatchMembership(models.Model):
    """A batch's requested target and, once issued, the item that carries it (its own or a merged one)."""

    batch = models.ForeignKey(InstructionBatch, on_delete=models.CASCADE, related_name="memberships")
    item = models.ForeignKey(
        InstructionItem, null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    target_kind = models.CharField(max_length=16, choices=TargetKind.choices)
    target_id = models.BigIntegerField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    label = models.CharField(max_length=255, blank=True)
    note = models.CharField(max_length=300, blank=True)
    #: True when the batch joined an item that was already open (double work avoided)
    merged = models.BooleanField(default=False)
    requested_deadline = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "item"], name="membership_once_per_batch"),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}→{self.item_id or '-'} {self.target_kind}:{self.target_id or ''}"


class DefaultAssignee(models.Model):
    """警务区默认承办人: the officer a police district's items go to unless the station assigns another."""

    district = models.OneToOneField("org.OrgUnit", on_delete=models.CASCADE, related_name="+")
    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_spec = ScopeSpec(unit_field="district")

    def __str__(self) -> str:
        return f"{self.district_id} → {self.officer_id}"


class Delegation(models.Model):
    """请假委托: while an officer is on leave, their items go to a named delegate."""

    officer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    reason = models.CharField(_("reason"), max_length=100, blank=True)
    owner_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_spec = ScopeSpec(unit_field="owner_unit", self_fields=("officer", "delegate"))

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="leave_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.officer_id} → {self.delegate_id} {self.starts_on}–{self.ends_on}"


class Attachment(models.Model):
    """反馈附件: a photo uploaded from the phone before the feedback is submitted (so a draft with its
    photos survives a dropped signal); linked to the item, checked for type and size."""

    item = models.ForeignKey(InstructionItem, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="instructions/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    #: set when the feedback that uses it is submitted
    submitted = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.file.name
