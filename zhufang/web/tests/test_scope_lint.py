"""A check that views and API handlers never read domain objects around the data-scope mechanism:
every ``.objects`` read in a view or API module goes through ``visible_to`` (or a helper built on it),
except the few lines listed here with the reason they are safe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.sqlite

ROOT = Path(__file__).resolve().parents[2]
#: (file, fragment) pairs allowed to use a manager directly, each with its reason
ALLOWED = {
    # ancestors of a unit the principal may already see: read off its own path for the breadcrumb
    ("org/views.py", "OrgUnit.objects.filter(pk__in=current.ancestor_ids()"),
    ("org/api.py", "OrgUnit.objects.filter(pk__in=unit.ancestor_ids()"),
    # querysets handed to get_visible_or_none / visible_to, which apply the scope
    ("org/api.py", "OrgUnit.objects.all()"),
    ("accounts/api.py", 'User.objects.select_related("unit")'),
    ("accounts/api.py", "User.objects.all()"),
    ("accounts/views.py", 'User.objects.select_related("unit")'),
    ("org/views.py", 'OrgUnit.objects.select_related("parent")'),
    # form querysets start empty and are replaced by visible_to in __init__
    ("org/views.py", "OrgUnit.objects.none()"),
    ("accounts/views.py", "OrgUnit.objects.none()"),
    # roles are configuration, not scoped data; only role.manage holders reach these views
    ("accounts/views.py", "Role.objects"),
    ("accounts/api.py", "Role.objects"),
    # tokens are filtered by the actor's scope right after the read (scope.contains_unit)
    ("accounts/views.py", "ApiToken.objects"),
}
MANAGER_READ = re.compile(r"\b(\w+)\.objects\.(?!visible_to\b)")


def view_and_api_modules() -> list[Path]:
    """Every module serving pages or the API: views.py / api.py and their siblings named for what they
    serve (quality_views.py, dedup_api.py, leave_api.py …), in apps and their sub-packages."""
    found = [
        p
        for p in ROOT.rglob("*.py")
        if p.name.endswith(("views.py", "api.py")) and not {"tests", "migrations"} & set(p.parts)
    ]
    return sorted(found)


def test_views_and_api_read_through_scope() -> None:
    offenders = []
    for path in view_and_api_modules():
        rel = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not MANAGER_READ.search(line) or "get_visible_or_none(" in line:
                continue  # get_visible_or_none applies the scope to the queryset it is given
            if any(rel == f and fragment in line for f, fragment in ALLOWED):
                continue
            offenders.append(f"{rel}:{number}: {line.strip()}")
    assert not offenders, "reads that bypass visible_to:\n" + "\n".join(offenders)


def test_the_lint_covers_the_modules_named_for_what_they_serve() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in view_and_api_modules()}
    assert {"registry/quality_views.py", "registry/dedup_api.py", "registry/dedup/views.py"} <= names
    assert not any("/tests/" in n or "/migrations/" in n for n in names)


def test_the_lint_catches_a_bypass(tmp_path: Path) -> None:
    assert MANAGER_READ.search("    rows = OrgUnit.objects.filter(kind='grid')")
    assert not MANAGER_READ.search("    rows = OrgUnit.objects.visible_to(user).filter(kind='grid')")
