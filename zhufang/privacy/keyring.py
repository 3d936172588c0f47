"""Key management (密钥管理) for personal-data protection.

Keys come from the environment variable ``ZHUFANG_KEYS`` (a JSON document) or from a key
file whose path is ``ZHUFANG_KEY_FILE`` (default ``<project root>/var/keys.json``).  A missing
key file is created on first use, mode 0600, with fresh random keys::

    {"data_keys": {"k1": "<base64 32 bytes>"}, "active_data_key": "k1",
     "blind_index_key": "<base64 32 bytes>", "audit_key": "<base64 32 bytes>",
     "secret_key": "<random 50-character string>"}

- data keys (数据加密密钥) encrypt sensitive columns; old ones stay so that old ciphertexts
  still decrypt after key rotation (密钥轮换);
- the blind-index key (盲索引密钥) makes searchable HMACs of ID numbers and phones;
- the audit key (审计密钥) signs the audit trail;
- the secret key is Django's ``SECRET_KEY``.

``settings.py`` imports this module, so it must never import Django.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import json
import logging
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - non-POSIX platforms
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

ENV_KEYS = "ZHUFANG_KEYS"
ENV_KEY_FILE = "ZHUFANG_KEY_FILE"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_KEY_FILE = PROJECT_ROOT / "var" / "keys.json"

KEY_BYTES = 32
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
SECRET_KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789!@#$%^&*(-_=+)"  # noqa: S105 - Django's alphabet
SECRET_KEY_LENGTH = 50


class KeyringError(RuntimeError):
    """The key material is missing, malformed or cannot be changed."""


@dataclass(frozen=True)
class Keyring:
    """All keys of one deployment.  ``repr`` never shows key material."""

    data_keys: dict[str, bytes] = field(repr=False)
    active_data_key_id: str
    blind_index_key: bytes = field(repr=False)
    audit_key: bytes = field(repr=False)
    secret_key: str = field(repr=False)

    @property
    def active_data_key(self) -> bytes:
        return self.data_keys[self.active_data_key_id]


def key_file_path() -> Path:
    """Path of the key file: ``$ZHUFANG_KEY_FILE`` or ``<project root>/var/keys.json``."""
    configured = os.environ.get(ENV_KEY_FILE, "").strip()
    return Path(configured) if configured else DEFAULT_KEY_FILE


@functools.cache
def get_keyring() -> Keyring:
    """The deployment's keyring, loaded once per process (see ``reset_keyring_cache``)."""
    raw = os.environ.get(ENV_KEYS, "").strip()
    if raw:
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise KeyringError(f"{ENV_KEYS} is not valid JSON (line {exc.lineno})") from None
        return parse_keyring(data, source=ENV_KEYS)
    path = key_file_path()
    return parse_keyring(_load_or_create(path), source=str(path))


def reset_keyring_cache() -> None:
    """Forget the cached keyring; the next ``get_keyring()`` reads the keys again."""
    get_keyring.cache_clear()


def add_data_key(path: Path | str | None = None) -> str:
    """Add a fresh data key (k2, k3 …) to the key file, make it active and return its id."""
    if path is None:
        if os.environ.get(ENV_KEYS, "").strip():
            raise KeyringError(f"keys come from {ENV_KEYS}; add the new data key there instead")
        path = key_file_path()
    path = Path(path)
    with _file_lock(path):
        data = _load_or_create(path)
        parse_keyring(data, source=str(path))  # refuse to extend a broken file
        key_id = _next_key_id(data["data_keys"])
        data["data_keys"][key_id] = _new_key()
        data["active_data_key"] = key_id
        _replace_file(path, data)
    reset_keyring_cache()
    return key_id


def parse_keyring(data: Any, *, source: str) -> Keyring:
    """Validate a decoded key document and turn it into a ``Keyring``."""
    if not isinstance(data, dict):
        raise KeyringError(f"{source}: the key document must be a JSON object")
    data_keys = data.get("data_keys")
    if not isinstance(data_keys, dict) or not data_keys:
        raise KeyringError(f"{source}: 'data_keys' must be a non-empty object")
    decoded: dict[str, bytes] = {}
    for key_id, value in data_keys.items():
        if not KEY_ID_PATTERN.match(key_id):
            raise KeyringError(f"{source}: invalid data key id {key_id!r}")
        decoded[key_id] = _decode_key(value, f"{source}: data key {key_id!r}")
    active = data.get("active_data_key")
    if active not in decoded:
        raise KeyringError(f"{source}: 'active_data_key' {active!r} is not one of the data keys")
    secret_key = data.get("secret_key")
    if not isinstance(secret_key, str) or len(secret_key) < SECRET_KEY_LENGTH:
        raise KeyringError(f"{source}: 'secret_key' must be a string of at least {SECRET_KEY_LENGTH} chars")
    return Keyring(
        data_keys=decoded,
        active_data_key_id=active,
        blind_index_key=_decode_key(data.get("blind_index_key"), f"{source}: 'blind_index_key'"),
        audit_key=_decode_key(data.get("audit_key"), f"{source}: 'audit_key'"),
        secret_key=secret_key,
    )


def new_key_document() -> dict[str, Any]:
    """A fresh key document with random keys."""
    return {
        "data_keys": {"k1": _new_key()},
        "active_data_key": "k1",
        "blind_index_key": _new_key(),
        "audit_key": _new_key(),
        "secret_key": "".join(secrets.choice(SECRET_KEY_ALPHABET) for _ in range(SECRET_KEY_LENGTH)),
    }


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def _decode_key(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise KeyringError(f"{what} must be a base64 string")
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"{what} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise KeyringError(f"{what} must decode to {KEY_BYTES} bytes, not {len(key)}")
    return key


def _next_key_id(data_keys: dict[str, Any]) -> str:
    numbers = [int(k[1:]) for k in data_keys if re.fullmatch(r"k\d+", k)]
    return f"k{max(numbers, default=0) + 1}"


def _load_or_create(path: Path) -> dict[str, Any]:
    """Read the key file, creating it first if it does not exist yet."""
    if not path.exists():
        _create_exclusively(path, new_key_document())
    elif path.stat().st_mode & 0o077:
        logger.warning("key file %s is readable by group or others; chmod 600 it", path)
    try:
        with path.open(encoding="utf-8") as f:
            data: dict[str, Any] = json.load(f)
    except json.JSONDecodeError as exc:
        raise KeyringError(f"{path}: not valid JSON (line {exc.lineno})") from None
    return data


def _write_temp(directory: Path, data: dict[str, Any]) -> Path:
    """Write ``data`` to a fresh 0600 temp file in ``directory`` (fsynced) and return its path."""
    fd, tmp = tempfile.mkstemp(prefix=".keys-", suffix=".tmp", dir=directory)  # mkstemp uses 0600
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    return Path(tmp)


def _create_exclusively(path: Path, data: dict[str, Any]) -> None:
    """Create the key file atomically; if another process wins the race, keep its file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _write_temp(path.parent, data)
    try:
        try:
            os.link(tmp, path)  # atomic and fails if the file exists: O_EXCL semantics
        except FileExistsError:
            return  # lost the race: the winner's complete file stays
        except OSError:  # filesystem without hard links
            with contextlib.suppress(FileExistsError):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(tmp.read_text(encoding="utf-8"))
        logger.warning("created new key file %s; back it up, data encrypted with it is lost without it", path)
    finally:
        tmp.unlink()


def _replace_file(path: Path, data: dict[str, Any]) -> None:
    tmp = _write_temp(path.parent, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink()
        raise


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialise read-modify-write of the key file between processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
