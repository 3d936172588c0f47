"""Organisation and jurisdiction (组织机构与辖区): the tree every scoped row hangs from."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhufang.accounts.scope_spec import ScopedQuerySet, ScopeSpec


class OrgKind(models.TextChoices):
    """Kinds of organisation unit. Police kinds nest bureau → station → district → grid."""

    BUREAU = "bureau", _("Bureau")
    CENTRE = "centre", _("Control centre")
    STATION = "station", _("Police station")
    DISTRICT = "district", _("Police district")
    GRID = "grid", _("Grid")
    TOWNSHIP = "township", _("Township/street")
    DEPARTMENT = "department", _("Police department")


#: Which kind each kind may sit under. Outside units (townships, departments) and the control centre
#: hang directly under the bureau.
ALLOWED_PARENT_KINDS: dict[str, tuple[str, ...]] = {
    OrgKind.BUREAU: (),
    OrgKind.CENTRE: (OrgKind.BUREAU,),
    OrgKind.STATION: (OrgKind.BUREAU,),
    OrgKind.DISTRICT: (OrgKind.STATION,),
    OrgKind.GRID: (OrgKind.DISTRICT,),
    OrgKind.TOWNSHIP: (OrgKind.BUREAU,),
    OrgKind.DEPARTMENT: (OrgKind.BUREAU,),
}
#: Kinds that carry a jurisdiction polygon.
TERRITORIAL_KINDS = (OrgKind.BUREAU, OrgKind.STATION, OrgKind.DISTRICT, OrgKind.GRID, OrgKind.TOWNSHIP)
#: Units outside the police chain of command (they receive diverted work, they do not own territory
#: in the police tree).
OUTSIDE_KINDS = (OrgKind.TOWNSHIP, OrgKind.DEPARTMENT)


class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def active(self) -> OrgUnitQuerySet:
        return self.filter(valid_to__isnull=True)

    def subtree(self, unit: OrgUnit) -> OrgUnitQuerySet:
        """The unit and everything below it: one indexed prefix query on the materialised path."""
        return self.filter(path__startswith=unit.path)

    def visible_to(self, principal: Any) -> OrgUnitQuerySet:
        from zhufang.accounts.scope import visible_org_units

        visible = visible_org_units(principal, self)
        assert isinstance(visible, OrgUnitQuerySet)
        return visible


class OrgUnit(models.Model):
    """组织机构: a unit of the bureau (公安局, 派出所, 警务区, 网格) or an outside unit (镇街, 警种).

    ``path`` is a materialised path of primary keys (``/1/4/17/``), so "this unit and everything
    below it" is a single ``LIKE '/1/4/%'`` query on SQLite and PostgreSQL alike. A grid has exactly
    one parent district: that link is the 警格↔网格 mapping.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=OrgKind.choices, db_index=True)
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    head_name = models.CharField(_("head"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    #: GeoJSON geometry (Polygon or MultiPolygon), WGS-84 longitude/latitude.
    polygon = models.JSONField(_("polygon"), null=True, blank=True)
    centroid_lon = models.FloatField(null=True, blank=True, editable=False)
    centroid_lat = models.FloatField(null=True, blank=True, editable=False)
    area_km2 = models.FloatField(null=True, blank=True, editable=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True, db_index=True)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_units",
        verbose_name=_("merged into"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="org_unit_path_like", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["kind", "valid_to"], name="org_unit_kind_active"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_active(self) -> bool:
        return self.valid_to is None

    @property
    def is_outside(self) -> bool:
        return self.kind in OUTSIDE_KINDS

    def ancestor_ids(self) -> list[int]:
        """Primary keys from the root down to this unit, read off the path (no query)."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def is_within(self, other: OrgUnit) -> bool:
        return self.path.startswith(other.path)


class ParentLink(models.Model):
    """隶属关系历史: which parent a unit had over which period (kept when stations merge)."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="parent_links")
    parent = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["unit", "valid_from"]

    def __str__(self) -> str:
        return f"{self.unit_id} → {self.parent_id} [{self.valid_from} – {self.valid_to or ''}]"


class StationMerger(models.Model):
    """派出所合并: stations merged into one with an effective date (seed 004: four city stations)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        APPLIED = "applied", _("Applied")

    target = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="mergers_in")
    sources = models.ManyToManyField(OrgUnit, related_name="mergers_out")
    effective_date = models.DateField(_("effective date"))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PLANNED)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_spec = ScopeSpec(unit_field="target")

    class Meta:
        ordering = ["-effective_date"]

    def __str__(self) -> str:
        return f"merger into {self.target_id} on {self.effective_date}"
