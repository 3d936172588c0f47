from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from zhufang.privacy.keyring import ENV_KEY_FILE, ENV_KEYS

pytestmark = pytest.mark.sqlite

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def test_encrypted_field_and_key_rotation_end_to_end(tmp_path: Path, key_file: Path) -> None:
    """Runs ``rotation_scenario`` against a throwaway SQLite database with test-only models."""
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", ENV_KEYS}}
    env[ENV_KEY_FILE] = str(key_file)
    result = subprocess.run(  # noqa: S603 - fixed interpreter and module
        [sys.executable, "-m", "zhufang.privacy.tests.rotation_scenario", str(tmp_path / "db.sqlite3")],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "OK"
