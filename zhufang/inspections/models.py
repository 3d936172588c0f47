"""检查 (房屋/场所): inspections of houses and establishments, and the cadence rules that make them due.

A cadence rule (检查周期规则) says how often a kind of object is inspected: every self-occupied house
each half year, every rental house each month, every 旅馆 each month … (seed 003; DOMAIN §1.4). Rules
are configuration kept in the database, seeded with those defaults and edited by the control centre.
An inspection (检查记录) is one visit to one house or establishment: date, result, findings, hazards
and an optional photo.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhufang.accounts.scope_spec import ScopedQuerySet, ScopeSpec
from zhufang.inspections.periods import Period


class TargetKind(models.TextChoices):
    HOUSE = "house", _("House")
    ESTABLISHMENT = "establishment", _("Establishment")


class Selector(models.TextChoices):
    """Which field of the target a rule matches on."""

    HOUSE_USE = "use", _("House use")
    TRADE = "trade", _("Key trade")
    CATEGORY = "category", _("Establishment category")
    INDUSTRY = "industry", _("Industry")


#: the selectors each target kind may use (the field of House / Establishment they read)
SELECTORS_BY_KIND: dict[str, tuple[str, ...]] = {
    TargetKind.HOUSE: (Selector.HOUSE_USE,),
    TargetKind.ESTABLISHMENT: (Selector.TRADE, Selector.CATEGORY, Selector.INDUSTRY),
}


class InspectionRule(models.Model):
    """检查周期规则: objects of ``target_kind`` whose ``selector`` field equals ``value`` are inspected
    once per calendar ``period``. Bureau-wide configuration (not scoped data)."""

    target_kind = models.CharField(_("object"), max_length=16, choices=TargetKind.choices)
    selector = models.CharField(_("matched on"), max_length=16, choices=Selector.choices)
    value = models.CharField(_("value"), max_length=30)
    period = models.CharField(_("cadence"), max_length=10, choices=Period.choices)
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("inspection cadence rule")
        verbose_name_plural = _("inspection cadence rules")
        ordering = ["target_kind", "selector", "value"]
        constraints = [
            models.UniqueConstraint(fields=["target_kind", "selector", "value"], name="inspection_rule_once"),
        ]

    def __str__(self) -> str:
        return f"{self.target_kind}.{self.selector}={self.value}: {self.period}"


class InspectionResult(models.TextChoices):
    NORMAL = "normal", _("Normal")
    HAZARD_FOUND = "hazard_found", _("Hazard found")
    RECTIFYING = "rectifying", _("Being rectified")
    RECTIFIED = "rectified", _("Rectified")


#: results that must name the hazards found
RESULTS_WITH_HAZARDS = (InspectionResult.HAZARD_FOUND, InspectionResult.RECTIFYING)


class InspectionSource(models.TextChoices):
    DIRECT = "direct", _("Recorded directly")
    INSTRUCTION = "instruction", _("Approved instruction feedback")


def photo_path(instance: Inspection, filename: str) -> str:
    """Photos are stored under MEDIA_ROOT/inspections/YYYY/MM/<random>.<ext>; never the phone's own
    file name (it may carry a name or a path)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    today = timezone.localdate()
    return f"inspections/{today:%Y/%m}/{uuid.uuid4().hex}.{extension}"


class Inspection(models.Model):
    """检查记录: one inspection of one house or one establishment. ``owner_unit`` is the target's
    grid when recorded (data scope reads it); ``instruction_item_id`` names the instruction item whose
    approved feedback created it (the instruction centre, later)."""

    house = models.ForeignKey(
        "registry.House", null=True, blank=True, on_delete=models.PROTECT, related_name="inspections"
    )
    establishment = models.ForeignKey(
        "registry.Establishment", null=True, blank=True, on_delete=models.PROTECT, related_name="inspections"
    )
    inspected_on = models.DateField(_("inspection date"))
    result = models.CharField(_("result"), max_length=16, choices=InspectionResult.choices)
    findings = models.TextField(_("findings"), blank=True)
    hazards = models.JSONField(_("hazards"), default=list, blank=True)
    photo = models.FileField(_("photo"), upload_to=photo_path, blank=True, max_length=200)
    photo_sha256 = models.CharField(max_length=64, blank=True)
    photo_type = models.CharField(max_length=40, blank=True)
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=16, choices=InspectionSource.choices, default=InspectionSource.DIRECT)
    instruction_item_id = models.BigIntegerField(null=True, blank=True)
    owner_unit = models.ForeignKey("org.OrgUnit", null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_spec = ScopeSpec(unit_field="owner_unit", self_fields=("inspector",))

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(house__isnull=False, establishment__isnull=True)
                    | models.Q(house__isnull=True, establishment__isnull=False)
                ),
                name="inspection_one_target",
            ),
        ]
        indexes = [
            models.Index(fields=["house", "inspected_on"], name="inspection_house_date"),
            models.Index(fields=["establishment", "inspected_on"], name="inspection_est_date"),
            models.Index(fields=["owner_unit", "inspected_on"], name="inspection_unit_date"),
        ]

    def __str__(self) -> str:
        return f"{self.target_kind} {self.target_id} {self.inspected_on} ({self.result})"

    @property
    def target_kind(self) -> str:
        return TargetKind.HOUSE if self.house_id else TargetKind.ESTABLISHMENT

    @property
    def target_id(self) -> int:
        target: Any = self.house_id or self.establishment_id
        return int(target)
