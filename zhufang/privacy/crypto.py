"""Field-level encryption (字段级加密) with AES-256-GCM.

A token looks like ``k1$<urlsafe base64 without padding of nonce(12) + ciphertext + tag(16)>``.
The ``context`` (e.g. ``"person.id_number"``) is bound as associated data, so a ciphertext
copied into another column does not decrypt there.  The key id in front of the ``$`` selects
the data key, so tokens made with an old key still decrypt after rotation (密钥轮换).

No Django imports here: settings and command-line tools may use this module.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
from collections.abc import Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from zhufang.privacy.keyring import Keyring, get_keyring, reset_keyring_cache

NONCE_BYTES = 12
TAG_BYTES = 16
SEPARATOR = "$"


class DecryptionError(ValueError):
    """A token is malformed, was tampered with, belongs to another context or an unknown key."""


def encrypt(plaintext: str, *, context: str, key_id: str | None = None, keyring: Keyring | None = None) -> str:
    """Encrypt ``plaintext`` for the column named by ``context`` with the active (or given) key."""
    if not isinstance(plaintext, str):
        raise TypeError(f"encrypt() takes a str, not {type(plaintext).__name__}")
    ring = keyring or get_keyring()
    key_id = key_id or ring.active_data_key_id
    if key_id not in ring.data_keys:
        raise KeyError(f"unknown data key id {key_id!r}")
    nonce = os.urandom(NONCE_BYTES)  # what secrets.token_bytes reads, without the indirection
    sealed = _cipher(ring.data_keys[key_id]).encrypt(nonce, plaintext.encode("utf-8"), _aad(context))
    body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
    return f"{key_id}{SEPARATOR}{body}"


def encrypt_many(plaintexts: Iterable[str | None], *, context: str, keyring: Keyring | None = None) -> list[str | None]:
    """``encrypt`` for a batch (``None`` stays ``None``): one key lookup, one read of random nonces."""
    values = list(plaintexts)
    ring = keyring or get_keyring()
    key_id = ring.active_data_key_id
    seal = _cipher(ring.data_keys[key_id]).encrypt
    aad = _aad(context)
    nonces = os.urandom(NONCE_BYTES * len(values))
    prefix = f"{key_id}{SEPARATOR}"
    b64 = base64.urlsafe_b64encode
    out: list[str | None] = []
    for i, plaintext in enumerate(values):
        if plaintext is None:
            out.append(None)
            continue
        if not isinstance(plaintext, str):
            raise TypeError(f"encrypt() takes a str, not {type(plaintext).__name__}")
        nonce = nonces[i * NONCE_BYTES : (i + 1) * NONCE_BYTES]
        sealed = seal(nonce, plaintext.encode("utf-8"), aad)
        out.append(prefix + b64(nonce + sealed).decode("ascii").rstrip("="))
    return out


def decrypt(token: str, *, context: str, keyring: Keyring | None = None) -> str:
    """Decrypt a token made by ``encrypt`` for the same ``context``; raise ``DecryptionError``."""
    key_id, body = _split(token)
    ring = keyring or get_keyring()
    if key_id not in ring.data_keys and keyring is None:
        # Another process may have rotated keys since this one cached its keyring.
        reset_keyring_cache()
        ring = get_keyring()
    key = ring.data_keys.get(key_id)
    if key is None:
        raise DecryptionError(f"unknown data key id {key_id!r}")
    try:
        blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("encrypted token is not valid base64") from None
    if len(blob) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("encrypted token is too short")
    try:
        plain = _cipher(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], _aad(context))
    except InvalidTag:
        raise DecryptionError(
            f"cannot decrypt token for context {context!r}: tampered, or it belongs to another column"
        ) from None
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:  # pragma: no cover - authenticated data is always our own UTF-8
        raise DecryptionError("decrypted value is not UTF-8") from None


def key_id_of(token: str) -> str:
    """The id of the data key that encrypted ``token`` (e.g. ``"k1"``)."""
    return _split(token)[0]


def _split(token: str) -> tuple[str, str]:
    if not isinstance(token, str):
        raise DecryptionError(f"encrypted token must be a str, not {type(token).__name__}")
    key_id, sep, body = token.partition(SEPARATOR)
    if not sep or not key_id or not body:
        raise DecryptionError("malformed encrypted token: expected '<key_id>$<data>'")
    return key_id, body


@functools.lru_cache(maxsize=16)
def _cipher(key: bytes) -> AESGCM:
    """One AESGCM object per data key (building it expands the key schedule every time)."""
    return AESGCM(key)


@functools.lru_cache(maxsize=256)
def _aad(context: str) -> bytes:
    if not isinstance(context, str) or not context:
        raise ValueError("encryption context must be a non-empty str, e.g. 'person.id_number'")
    return context.encode("utf-8")
