"""Web tests render pages in Chinese, so they need the compiled catalogue (``*.mo`` is not committed:
``make messages`` builds it). Compile it here when it is missing or older than its ``.po``."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test.signals import setting_changed

MESSAGE_IGNORE = [".venv", ".git", "frontend", "var", "staticfiles", "node_modules"]


def _stale_catalogues() -> list[Path]:
    stale = []
    for locale_dir in settings.LOCALE_PATHS:
        for po in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
            mo = po.with_suffix(".mo")
            if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
                stale.append(po)
    return stale


@pytest.fixture(scope="session", autouse=True)
def compiled_messages() -> None:
    stale = _stale_catalogues()
    if not stale:
        return
    locales = sorted({po.parent.parent.name for po in stale})
    # compilemessages walks the current directory for locale dirs: run it from the project root.
    with contextlib.chdir(settings.BASE_DIR):
        call_command("compilemessages", locale=locales, ignore_patterns=MESSAGE_IGNORE, verbosity=0)
    # Catalogues loaded by earlier tests in this session were read without the new .mo: drop Django's
    # translation caches the way override_settings(LOCALE_PATHS=...) does.
    setting_changed.send(sender=type(settings), setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False)
