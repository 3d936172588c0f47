from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from zhufang.privacy import keyring as keyring_module
from zhufang.privacy.keyring import (
    ENV_KEY_FILE,
    ENV_KEYS,
    KeyringError,
    add_data_key,
    get_keyring,
    key_file_path,
    new_key_document,
    reset_keyring_cache,
)

pytestmark = pytest.mark.sqlite

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def test_key_file_is_created_on_first_use_with_mode_0600(key_file: Path) -> None:
    assert not key_file.exists()
    ring = get_keyring()
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    data = json.loads(key_file.read_text())
    assert set(data) == {"data_keys", "active_data_key", "blind_index_key", "audit_key", "secret_key"}
    assert data["active_data_key"] == "k1"
    assert ring.active_data_key_id == "k1"
    assert ring.data_keys["k1"] == base64.b64decode(data["data_keys"]["k1"])
    assert len(ring.data_keys["k1"]) == len(ring.blind_index_key) == len(ring.audit_key) == 32
    assert len({ring.data_keys["k1"], ring.blind_index_key, ring.audit_key}) == 3
    assert isinstance(ring.secret_key, str) and len(ring.secret_key) == 50
    assert list(key_file.parent.iterdir()) == [key_file]  # no temp file left behind


def test_existing_key_file_is_reused_and_cached(key_file: Path) -> None:
    first = get_keyring()
    assert get_keyring() is first
    reset_keyring_cache()
    again = get_keyring()
    assert again is not first
    assert again == first


def test_repr_shows_no_key_material() -> None:
    ring = get_keyring()
    text = repr(ring)
    assert "k1" in text
    assert ring.secret_key not in text
    assert str(ring.data_keys["k1"]) not in text


def test_default_key_file_is_var_keys_json_under_project_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_KEY_FILE)
    assert key_file_path() == PROJECT_ROOT / "var" / "keys.json"


def test_keys_from_environment_take_precedence(key_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    document = new_key_document()
    monkeypatch.setenv(ENV_KEYS, json.dumps(document))
    ring = get_keyring()
    assert ring.secret_key == document["secret_key"]
    assert ring.blind_index_key == base64.b64decode(document["blind_index_key"])
    assert not key_file.exists()
    with pytest.raises(KeyringError, match=ENV_KEYS):
        add_data_key()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(active_data_key="k9"), "'active_data_key' 'k9' is not one of the data keys"),
        (lambda d: d.update(data_keys={}), "'data_keys' must be a non-empty object"),
        (lambda d: d["data_keys"].update(k1="c2hvcnQ="), "must decode to 32 bytes, not 5"),
        (lambda d: d.update(audit_key="not base64!"), "'audit_key' is not valid base64"),
        (lambda d: d["data_keys"].update({"k$2": d["data_keys"]["k1"]}), "invalid data key id 'k$2'"),
        (lambda d: d.update(secret_key="short"), "'secret_key' must be a string of at least 50"),
    ],
)
def test_malformed_key_documents_are_refused(monkeypatch: pytest.MonkeyPatch, mutate, message: str) -> None:
    document = new_key_document()
    mutate(document)
    monkeypatch.setenv(ENV_KEYS, json.dumps(document))
    with pytest.raises(KeyringError, match=message.replace("$", r"\$")):
        get_keyring()


def test_invalid_json_is_reported_without_echoing_it(key_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_KEYS, '{"secret_key": "abc"')
    with pytest.raises(KeyringError) as excinfo:
        get_keyring()
    assert "not valid JSON" in str(excinfo.value)
    assert "abc" not in str(excinfo.value)
    monkeypatch.delenv(ENV_KEYS)
    key_file.parent.mkdir()
    key_file.write_text("{oops")
    with pytest.raises(KeyringError, match="not valid JSON"):
        get_keyring()


def test_add_data_key_appends_and_activates(key_file: Path) -> None:
    old = get_keyring()
    assert add_data_key() == "k2"
    assert add_data_key() == "k3"
    data = json.loads(key_file.read_text())
    assert sorted(data["data_keys"]) == ["k1", "k2", "k3"]
    assert data["active_data_key"] == "k3"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    ring = get_keyring()  # add_data_key resets the cache
    assert ring.active_data_key_id == "k3"
    assert ring.data_keys["k1"] == old.data_keys["k1"]
    assert ring.secret_key == old.secret_key
    assert ring.blind_index_key == old.blind_index_key
    assert len({ring.data_keys[k] for k in ("k1", "k2", "k3")}) == 3


def test_add_data_key_to_explicit_path_creates_it(tmp_path: Path) -> None:
    path = tmp_path / "other" / "keys.json"
    assert add_data_key(path) == "k2"
    assert json.loads(path.read_text())["active_data_key"] == "k2"


def test_concurrent_first_use_creates_one_key_file(key_file: Path) -> None:
    barrier = threading.Barrier(16)

    def load(_: int) -> str:
        barrier.wait()
        return json.dumps(keyring_module._load_or_create(key_file), sort_keys=True)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = set(pool.map(load, range(16)))
    assert len(results) == 1
    assert json.loads(results.pop()) == json.loads(key_file.read_text())
    assert [p.name for p in key_file.parent.iterdir()] == ["keys.json"]


def test_concurrent_processes_agree_on_the_keys(key_file: Path) -> None:
    code = "from zhufang.privacy.keyring import get_keyring; print(get_keyring().secret_key)"
    env = {**os.environ, ENV_KEY_FILE: str(key_file)}
    procs = [
        subprocess.Popen(  # noqa: S603 - fixed interpreter and code
            [sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    outputs = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert outputs == {get_keyring().secret_key}


def test_keyring_and_crypto_do_not_import_django() -> None:
    code = (
        "import sys, zhufang.privacy.keyring, zhufang.privacy.crypto, zhufang.privacy.blind_index, "
        "zhufang.privacy.masking; print(sorted(m for m in sys.modules if m.startswith('django')))"
    )
    out = subprocess.run(  # noqa: S603 - fixed interpreter and code
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
