"""Stale registry records (过期数据): people whose record nobody has confirmed for too long.

A person's record is stale when the source last updated it more than ``days_since_update`` days
before today (a record entered here without a source date counts from when it was written), or when
their residence permit (居住证) expired more than ``days_since_permit_expired`` days before today —
the person has most likely left without anyone noting it. Both limits are configuration
(``settings.ZHUFANG_STALE_RECORDS``; default 365 days each; ``None`` switches the permit test off).
Only active people (living here, not merged) are judged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import DateField, Q, QuerySet
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from zhufang.registry.models import Person

SETTING = "ZHUFANG_STALE_RECORDS"
#: annotation carrying the date a record was last confirmed
LAST_UPDATE = "last_update"


@dataclass(frozen=True)
class StaleRule:
    """过期认定标准: how old a record may get before it needs checking."""

    days_since_update: int = 365
    days_since_permit_expired: int | None = 365


def current_rule() -> StaleRule:
    """The rule in ``settings.ZHUFANG_STALE_RECORDS``; a bad value fails naming the setting and key."""
    raw: dict[str, Any] = dict(getattr(settings, SETTING, {}) or {})
    unknown = set(raw) - {"days_since_update", "days_since_permit_expired"}
    if unknown:
        raise ImproperlyConfigured(f"{SETTING}: unknown key(s) {', '.join(sorted(unknown))}")
    defaults = StaleRule()
    values: dict[str, int | None] = {}
    for key in ("days_since_update", "days_since_permit_expired"):
        value = raw.get(key, getattr(defaults, key))
        optional = key == "days_since_permit_expired"
        if (value is None and not optional) or (
            value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1)
        ):
            expected = "a whole number of days ≥ 1" + (" or None" if optional else "")
            raise ImproperlyConfigured(f"{SETTING}[{key!r}]: expected {expected}, got {value!r}")
        values[key] = value
    update_days = values["days_since_update"]
    assert update_days is not None
    return StaleRule(days_since_update=update_days, days_since_permit_expired=values["days_since_permit_expired"])


def last_update_expression() -> Coalesce:
    """When a record was last confirmed: the source's date, else the day it was written here."""
    return Coalesce("source_updated_at", TruncDate("updated_at"), output_field=DateField())


def stale_condition(today: dt.date, rule: StaleRule | None = None) -> Q:
    """A filter over ``Person`` rows annotated with ``last_update`` (see ``stale_people``)."""
    rule = rule or current_rule()
    condition = Q(**{f"{LAST_UPDATE}__lt": today - dt.timedelta(days=rule.days_since_update)})
    if rule.days_since_permit_expired is not None:
        condition |= Q(permit_expires__lt=today - dt.timedelta(days=rule.days_since_permit_expired))
    return condition


def stale_people(
    people: QuerySet[Person], today: dt.date | None = None, rule: StaleRule | None = None
) -> QuerySet[Person]:
    """The stale records among ``people`` (active ones only), annotated with ``last_update``."""
    today = today or timezone.localdate()
    annotated = people.filter(is_active=True).annotate(**{LAST_UPDATE: last_update_expression()})
    return annotated.filter(stale_condition(today, rule))


def stale_reasons(
    *, last_update: dt.date | None, permit_expires: dt.date | None, today: dt.date, rule: StaleRule | None = None
) -> list[str]:
    """Why one record is stale (empty: it is not); the same tests as ``stale_people``."""
    rule = rule or current_rule()
    reasons = []
    if last_update is not None and (today - last_update).days > rule.days_since_update:
        reasons.append(_("not updated for %(days)d days") % {"days": (today - last_update).days})
    limit = rule.days_since_permit_expired
    if limit is not None and permit_expires is not None and (today - permit_expires).days > limit:
        reasons.append(_("residence permit expired %(days)d days ago") % {"days": (today - permit_expires).days})
    return reasons
