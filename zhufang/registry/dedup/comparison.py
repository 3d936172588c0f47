"""A duplicate pair side by side for the reviewer (疑似重复比对): each field of both records, masked
as everywhere else, with whether they agree. Identifiers are compared by their blind indexes, never
by decrypting both; records outside the reviewer's scope are not shown at all."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from zhufang.accounts.scope import visible_to
from zhufang.privacy.masking import mask_id_number, mask_phone
from zhufang.registry.dedup.similarity import Residence, address_closeness
from zhufang.registry.models import DuplicateCandidate, DuplicateKind, Establishment, Person

RULE_LABELS: dict[str, Any] = {
    "same_id": _("Same document number"),
    "name_birth_address": _("Same name and birth date, similar address"),
    "same_uscc": _("Same unified social credit code"),
    "similar_name_address": _("Similar name at the same address"),
}
CLOSENESS_LABELS: dict[str, Any] = {
    "same_house": _("same house"),
    "same_door": _("same door, another room"),
    "neighbouring_door": _("neighbouring door"),
}


@dataclass(frozen=True)
class FieldComparison:
    """One row of the side-by-side table; ``agrees`` is None when neither record has a value."""

    key: str
    label: Any
    first: str
    second: str
    agrees: bool | None
    note: str = ""


@dataclass
class PairComparison:
    candidate: DuplicateCandidate
    first: dict[str, Any] | None  # None: outside the reviewer's scope
    second: dict[str, Any] | None
    fields: list[FieldComparison] = field(default_factory=list)

    @property
    def reviewable(self) -> bool:
        return self.first is not None and self.second is not None

    @property
    def rule_label(self) -> Any:
        return RULE_LABELS.get(self.candidate.rule, self.candidate.rule)

    def as_dict(self) -> dict[str, Any]:
        c = self.candidate
        return {
            "id": c.pk,
            "kind": c.kind,
            "rule": c.rule,
            "rule_label": str(self.rule_label),
            "score": c.score,
            "status": c.status,
            "kept_id": c.kept_id,
            "note": c.note,
            "first_id": c.first_id,
            "second_id": c.second_id,
            "reviewable": self.reviewable,
            "first": self.first,
            "second": self.second,
            "fields": [
                {"key": f.key, "label": str(f.label), "first": f.first, "second": f.second, "agrees": f.agrees}
                | ({"note": f.note} if f.note else {})
                for f in self.fields
            ],
        }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return "、".join(map(str, value))
    return str(value)


def _agree(a: Any, b: Any) -> bool | None:
    if a in (None, "", []) and b in (None, "", []):
        return None
    return a == b


@dataclass(frozen=True)
class Shown:
    """A field as shown (``show``) and what decides agreement (``compare``: e.g. the blind index)."""

    key: str
    label: Any
    show: Callable[[Any], Any]
    compare: Callable[[Any], Any]


def _masked_id(attr: str) -> Callable[[Any], Any]:
    return lambda r: mask_id_number(getattr(r, attr)) or ""


def _masked_phone(attr: str) -> Callable[[Any], Any]:
    return lambda r: mask_phone(getattr(r, attr)) or ""


def _attr(name: str) -> Callable[[Any], Any]:
    return lambda r: getattr(r, name)


def _person_address(p: Person) -> str:
    return p.house.address.full_text if p.house_id and p.house else ""


PERSON_FIELDS: tuple[Shown, ...] = (
    Shown("name", _("Name"), _attr("name"), _attr("name")),
    Shown("id_type", _("Document type"), lambda p: p.get_id_type_display() if p.id_index else "", _attr("id_type")),
    Shown("id_number", _("Document number"), _masked_id("id_number"), _attr("id_index")),
    Shown("sex", _("Sex"), lambda p: {"1": _("male"), "2": _("female")}.get(p.sex, ""), _attr("sex")),
    Shown("birth_year", _("Year of birth"), lambda p: p.birth_date.year if p.birth_date else "", _attr("birth_date")),
    Shown("phone", _("Phone"), _masked_phone("phone"), _attr("phone_index")),
    Shown("category", _("Category"), lambda p: p.get_category_display(), _attr("category")),
    Shown("address", _("Residence"), _person_address, _attr("house_id")),
    Shown("residence_since", _("Living here since"), _attr("residence_since"), _attr("residence_since")),
    Shown("labels", _("Labels"), _attr("labels"), lambda p: sorted(p.labels or [])),
    Shown("legacy_number", _("Record number in the old system"), _attr("legacy_number"), _attr("legacy_number")),
    Shown("source_updated_at", _("Last updated at source"), _attr("source_updated_at"), _attr("source_updated_at")),
    Shown("is_active", _("Living here"), _attr("is_active"), _attr("is_active")),
)

ESTABLISHMENT_FIELDS: tuple[Shown, ...] = (
    Shown("name", _("Name"), _attr("name"), _attr("name")),
    Shown("uscc", _("Unified social credit code"), _attr("uscc"), _attr("uscc")),
    Shown("category", _("Category"), _attr("category"), _attr("category")),
    Shown("industry", _("Industry"), _attr("industry"), _attr("industry")),
    Shown("trade", _("Key trade"), _attr("trade"), _attr("trade")),
    Shown("address", _("Address"), lambda e: e.address.full_text if e.address_id else "", _attr("address_id")),
    Shown("legal_rep_name", _("Legal representative"), _attr("legal_rep_name"), _attr("legal_rep_name")),
    Shown(
        "legal_rep_id_number",
        _("Legal representative's ID number"),
        _masked_id("legal_rep_id_number"),
        _attr("legal_rep_id_index"),
    ),
    Shown("security_contact", _("Security contact"), _attr("security_contact"), _attr("security_contact")),
    Shown(
        "security_contact_phone",
        _("Security contact phone"),
        _masked_phone("security_contact_phone"),
        _attr("security_contact_phone"),
    ),
    Shown("staff_count", _("Staff"), _attr("staff_count"), _attr("staff_count")),
    Shown("legacy_number", _("Record number in the old system"), _attr("legacy_number"), _attr("legacy_number")),
    Shown("is_active", _("Active"), _attr("is_active"), _attr("is_active")),
)


def _residence(p: Person) -> Residence | None:
    if not p.house_id or p.house is None:
        return None
    a = p.house.address
    return Residence(a.pk, a.township, a.community, a.street, a.house_number, a.building)


def _compare(shown: Iterable[Shown], a: Any, b: Any) -> list[FieldComparison]:
    rows = []
    for s in shown:
        rows.append(
            FieldComparison(s.key, s.label, _text(s.show(a)), _text(s.show(b)), _agree(s.compare(a), s.compare(b)))
        )
    return rows


def _summary(shown: Iterable[Shown], r: Any) -> dict[str, Any]:
    return {"id": r.pk, **{s.key: _text(s.show(r)) for s in shown}}


def compare_pairs(principal: Any, candidates: Iterable[DuplicateCandidate]) -> list[PairComparison]:
    """Side-by-side comparisons of ``candidates`` (already read through scope), reading each kind's
    records in one scoped query."""
    candidates = list(candidates)
    records: dict[str, dict[int, Any]] = {}
    for kind, model, related in (
        (DuplicateKind.PERSON, Person, ("house__address",)),
        (DuplicateKind.ESTABLISHMENT, Establishment, ("address",)),
    ):
        ids = {i for c in candidates if c.kind == kind for i in (c.first_id, c.second_id)}
        rows = visible_to(principal, model.objects.filter(pk__in=ids)).select_related(*related) if ids else []
        records[kind] = {r.pk: r for r in rows}
    out = []
    for c in candidates:
        shown = PERSON_FIELDS if c.kind == DuplicateKind.PERSON else ESTABLISHMENT_FIELDS
        a, b = records[c.kind].get(c.first_id), records[c.kind].get(c.second_id)
        pair = PairComparison(c, _summary(shown, a) if a else None, _summary(shown, b) if b else None)
        if a is not None and b is not None:
            pair.fields = _compare(shown, a, b)
            if c.kind == DuplicateKind.PERSON:
                ra, rb = _residence(a), _residence(b)
                closeness = address_closeness(ra, rb) if ra and rb else None
                if closeness:
                    pair.fields = [
                        FieldComparison(f.key, f.label, f.first, f.second, f.agrees, str(CLOSENESS_LABELS[closeness]))
                        if f.key == "address"
                        else f
                        for f in pair.fields
                    ]
        out.append(pair)
    return out
