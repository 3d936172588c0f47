"""Shared fixtures: the small demo county, built once per test database, and its users by role."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.signals import request_finished
from django.test import Client
from django.utils import translation

from zhufang.accounts.models import User
from zhufang.org.demo import DEMO_LOGINS, DEMO_PASSWORD, build_demo
from zhufang.org.models import OrgKind, OrgUnit


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``postgresql`` exercise PostgreSQL-only behaviour (concurrent writers); on an
    SQLite run they are deselected — they run in the PostgreSQL suite of ``make test``."""
    if os.environ.get("DATABASE_URL"):
        return
    kept = [item for item in items if item.get_closest_marker("postgresql") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item not in kept])
        items[:] = kept


@pytest.fixture(autouse=True)
def _english_service_messages() -> Iterator[None]:
    """Services speak the active language; tests assert their English text. Pages still negotiate
    their own language per request (LocaleMiddleware), so Chinese pages are tested as Chinese."""

    def back_to_english(**_kwargs: object) -> None:
        translation.activate("en")  # LocaleMiddleware leaves the request's language active

    request_finished.connect(back_to_english, dispatch_uid="zhufang-tests-english")
    with translation.override("en"):
        yield
    request_finished.disconnect(dispatch_uid="zhufang-tests-english")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> None:
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        build_demo(size="small", seed=2026)


@dataclass
class Demo:
    """The small demo county: units by kind (ordered by code) and one user per role."""

    bureau: OrgUnit
    stations: list[OrgUnit]
    districts: list[OrgUnit]
    grids: list[OrgUnit]
    users: dict[str, User]

    def user(self, role: str) -> User:
        return User.objects.select_related("unit").get(pk=self.users[role].pk)

    def client_for(self, role: str) -> Client:
        client = Client()
        client.force_login(self.user(role))
        return client


def load_demo() -> Demo:
    build_demo(size="small", seed=2026)  # idempotent; rebuilds after a transactional test's flush
    units = OrgUnit.objects.active().order_by("code")
    numbers = {number: role for role, number, _name, _where in DEMO_LOGINS}
    users = {numbers[u.police_number]: u for u in User.objects.filter(police_number__in=numbers)}
    return Demo(
        bureau=units.get(kind=OrgKind.BUREAU),
        stations=list(units.filter(kind=OrgKind.STATION)),
        districts=list(units.filter(kind=OrgKind.DISTRICT)),
        grids=list(units.filter(kind=OrgKind.GRID)),
        users=users,
    )


@pytest.fixture
def demo(db: None) -> Demo:
    return load_demo()


@pytest.fixture
def demo_password() -> str:
    return DEMO_PASSWORD
