"""Every privacy test gets its own key file under ``tmp_path`` and a fresh keyring cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from zhufang.privacy.keyring import ENV_KEY_FILE, ENV_KEYS, reset_keyring_cache


@pytest.fixture(autouse=True)
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "keys" / "keys.json"
    monkeypatch.delenv(ENV_KEYS, raising=False)
    monkeypatch.setenv(ENV_KEY_FILE, str(path))
    reset_keyring_cache()
    yield path
    reset_keyring_cache()
