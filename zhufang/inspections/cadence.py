"""Which inspections are due (检查周期与应查清单), computed in the database, one query per target kind.

The rule a bureau reads on the screen (as of a day D, for an object whose cadence is period P):

* **已查 done** — inspected at least once in the current period of D;
* **逾期 overdue** — not inspected in the current period, and the whole previous period went by
  without an inspection while the object was already on the registry (registered before the previous
  period began, or inspected at some time before it). Its deadline, the end of the previous period,
  has passed;
* **待查 due** — otherwise: not yet inspected in the current period, deadline the end of the period.

One inspection in the current period settles the object (missed periods are not made up one by one).
An object registered during the previous or current period starts as due, never overdue. When several
active rules match an object, the most frequent cadence governs (ties: the rule created first).
Inspections dated after D are ignored, so a past day can be evaluated exactly.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Case, CharField, DateField, DateTimeField, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhufang.accounts.scope import visible_to
from zhufang.inspections.models import Inspection, InspectionRule, TargetKind
from zhufang.inspections.periods import PERIOD_ORDER, Span, period_containing, previous_period
from zhufang.org.models import OrgUnit
from zhufang.registry.models import Establishment, House


class Status(models.TextChoices):
    DONE = "done", _("Inspected this period")
    DUE = "due", _("Due")
    OVERDUE = "overdue", _("Overdue")


#: both statuses that still need an inspection in this period
TO_DO = (Status.OVERDUE, Status.DUE)
TARGET_MODELS: dict[str, type[models.Model]] = {TargetKind.HOUSE: House, TargetKind.ESTABLISHMENT: Establishment}


@dataclass(frozen=True)
class RuleWindow:
    """One rule with its periods as of a day."""

    rule: InspectionRule
    current: Span
    previous: Span

    @property
    def condition(self) -> Q:
        return Q(**{self.rule.selector: self.rule.value})

    @property
    def previous_start_at(self) -> dt.datetime:
        """Local midnight at the start of the previous period (compared with ``created_at``)."""
        return timezone.make_aware(dt.datetime.combine(self.previous.start, dt.time.min))


def active_rules(kind: str | None = None) -> list[InspectionRule]:
    """Active rules in precedence order: most frequent cadence first, then oldest rule first."""
    rules = InspectionRule.objects.filter(is_active=True)
    if kind:
        rules = rules.filter(target_kind=kind)
    return sorted(rules, key=lambda r: (PERIOD_ORDER.index(r.period), r.pk))  # type: ignore[arg-type]


def rule_windows(kind: str, as_of: dt.date, rules: list[InspectionRule] | None = None) -> list[RuleWindow]:
    """The active rules of ``kind`` (from ``rules`` when given, already in precedence order) with
    their current and previous periods as of ``as_of``."""
    chosen = active_rules(kind) if rules is None else [r for r in rules if r.target_kind == kind]
    return [
        RuleWindow(rule, period_containing(rule.period, as_of), previous_period(rule.period, as_of)) for rule in chosen
    ]


def _per_rule(windows: list[RuleWindow], value: Any, output: models.Field[Any, Any]) -> Case:
    """CASE WHEN <rule 1 matches> THEN value(rule 1) WHEN <rule 2 matches> … END (first match wins)."""
    return Case(*(When(w.condition, then=Value(value(w), output_field=output)) for w in windows), output_field=output)


def _base(principal: Any, kind: str) -> models.QuerySet[Any]:
    if kind == TargetKind.HOUSE:
        return visible_to(principal, House.objects.all())
    if kind == TargetKind.ESTABLISHMENT:
        return visible_to(principal, Establishment.objects.filter(is_active=True, merged_into__isnull=True))
    raise ValueError(f"unknown target kind {kind!r}")


def cadence_queryset(
    principal: Any,
    kind: str,
    *,
    as_of: dt.date | None = None,
    within: OrgUnit | None = None,
    rules: list[InspectionRule] | None = None,
) -> models.QuerySet[Any]:
    """The houses or establishments in the principal's scope (and under ``within``) that a rule
    covers, annotated with ``period``, ``current_start``/``current_end``, ``previous_start``/
    ``previous_end``, ``last_inspected_on``, ``status`` and ``deadline``. One SQL query."""
    as_of = as_of or timezone.localdate()
    windows = rule_windows(kind, as_of, rules)
    objects = _base(principal, kind)
    if within is not None:
        objects = objects.filter(owner_unit__path__startswith=within.path)
    if not windows:
        return objects.none()
    matched = Q()
    for w in windows:
        matched |= w.condition
    inspections = Subquery(
        Inspection.objects.filter(**{kind: OuterRef("pk"), "inspected_on__lte": as_of})
        .order_by("-inspected_on")
        .values("inspected_on")[:1],
        output_field=DateField(),
    )
    date: DateField[Any, Any] = DateField()
    return (
        objects.filter(matched)
        .annotate(
            period=_per_rule(windows, lambda w: w.rule.period, CharField()),
            current_start=_per_rule(windows, lambda w: w.current.start, date),
            current_end=_per_rule(windows, lambda w: w.current.end, date),
            previous_start=_per_rule(windows, lambda w: w.previous.start, date),
            previous_end=_per_rule(windows, lambda w: w.previous.end, date),
            previous_start_at=_per_rule(windows, lambda w: w.previous_start_at, DateTimeField()),
            last_inspected_on=inspections,
        )
        .annotate(
            status=Case(
                When(last_inspected_on__gte=F("current_start"), then=Value(Status.DONE.value)),
                When(last_inspected_on__gte=F("previous_start"), then=Value(Status.DUE.value)),
                When(last_inspected_on__isnull=False, then=Value(Status.OVERDUE.value)),
                When(created_at__lt=F("previous_start_at"), then=Value(Status.OVERDUE.value)),
                default=Value(Status.DUE.value),
                output_field=CharField(),
            ),
        )
        .annotate(
            deadline=Case(
                When(status=Status.OVERDUE.value, then=F("previous_end")),
                default=F("current_end"),
                output_field=date,
            ),
        )
    )


@dataclass
class Counts:
    """Due, overdue and done objects (房屋 and 场所 apart)."""

    by_kind: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))

    def add(self, kind: str, status: str, n: int) -> None:
        self.by_kind[kind][status] += n

    def merge(self, other: Counts) -> None:
        for kind, statuses in other.by_kind.items():
            for status, n in statuses.items():
                self.add(kind, status, n)

    def get(self, kind: str, status: str) -> int:
        return self.by_kind.get(kind, {}).get(status, 0)

    def total(self, status: str) -> int:
        return sum(v.get(status, 0) for v in self.by_kind.values())

    # the cells the pages show
    @property
    def overdue_total(self) -> int:
        return self.total(Status.OVERDUE)

    @property
    def due_total(self) -> int:
        return self.total(Status.DUE)

    @property
    def done_total(self) -> int:
        return self.total(Status.DONE)

    @property
    def house_overdue(self) -> int:
        return self.get(TargetKind.HOUSE, Status.OVERDUE)

    @property
    def house_due(self) -> int:
        return self.get(TargetKind.HOUSE, Status.DUE)

    @property
    def establishment_overdue(self) -> int:
        return self.get(TargetKind.ESTABLISHMENT, Status.OVERDUE)

    @property
    def establishment_due(self) -> int:
        return self.get(TargetKind.ESTABLISHMENT, Status.DUE)

    @property
    def to_do(self) -> int:
        return self.total(Status.DUE) + self.total(Status.OVERDUE)

    @property
    def expected(self) -> int:
        return self.to_do + self.total(Status.DONE)

    def as_dict(self) -> dict[str, Any]:
        return {kind: {s: self.get(kind, s) for s in Status.values} for kind in TargetKind.values} | {
            "total": {s: self.total(s) for s in Status.values}
        }


def counts_by_district(
    principal: Any, *, within: OrgUnit | None = None, as_of: dt.date | None = None, kinds: tuple[str, ...] = ()
) -> dict[int | None, Counts]:
    """{district id: Counts} for every police district with covered objects, in scope and under
    ``within``: one grouped query per target kind (objects sit in grids; a grid's parent is its
    district). ``None`` collects objects not located to any grid."""
    result: dict[int | None, Counts] = defaultdict(Counts)
    rules = active_rules()
    for kind in kinds or tuple(TargetKind.values):
        rows = (
            cadence_queryset(principal, kind, as_of=as_of, within=within, rules=rules)
            .values("owner_unit__parent_id", "status")
            .annotate(n=models.Count("pk"))
            .order_by()
        )
        for row in rows:
            result[row["owner_unit__parent_id"]].add(kind, row["status"], row["n"])
    return dict(result)


def counts_total(
    principal: Any, *, within: OrgUnit | None = None, as_of: dt.date | None = None, kinds: tuple[str, ...] = ()
) -> Counts:
    counts = Counts()
    rules = active_rules()
    for kind in kinds or tuple(TargetKind.values):
        rows = (
            cadence_queryset(principal, kind, as_of=as_of, within=within, rules=rules)
            .values("status")
            .annotate(n=models.Count("pk"))
            .order_by()
        )
        for row in rows:
            counts.add(kind, row["status"], row["n"])
    return counts


#: the columns both kinds share in a merged to-do list
LIST_COLUMNS = ("kind", "pk", "label", "selector_value", "owner_unit_id", "period", "status", "deadline", "urgency")


def due_list(
    principal: Any,
    *,
    kinds: tuple[str, ...] = (),
    statuses: tuple[str, ...] = TO_DO,
    within: OrgUnit | None = None,
    as_of: dt.date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """One page of houses and establishments by status, overdue first, then by deadline (weekly
    objects before monthly ones), then by address or name: one UNION query."""
    parts = []
    urgency = Case(
        When(status=Status.OVERDUE.value, then=Value(0)), When(status=Status.DUE.value, then=Value(1)), default=Value(2)
    )
    rules = active_rules()
    for kind in kinds or tuple(TargetKind.values):
        qs = cadence_queryset(principal, kind, as_of=as_of, within=within, rules=rules)
        qs = qs.filter(status__in=list(statuses))
        label = F("address__full_text") if kind == TargetKind.HOUSE else F("name")
        selector = F("use") if kind == TargetKind.HOUSE else Coalesce(F("trade"), Value(""))
        parts.append(
            qs.annotate(
                kind=Value(kind, output_field=CharField()),
                label=label,
                selector_value=selector,
                urgency=urgency,
            )
            .values(*LIST_COLUMNS)
            .order_by()
        )
    if not parts:
        return []
    combined = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return list(combined.order_by("urgency", "deadline", "label", "kind", "pk")[offset : offset + limit])


def status_of(principal: Any, kind: str, pk: int, *, as_of: dt.date | None = None) -> dict[str, Any] | None:
    """The cadence status of one object (``None`` when no active rule covers it or it is out of scope)."""
    return (
        cadence_queryset(principal, kind, as_of=as_of)
        .filter(pk=pk)
        .values(
            "period",
            "status",
            "deadline",
            "current_start",
            "current_end",
            "previous_start",
            "previous_end",
            "last_inspected_on",
        )
        .first()
    )
