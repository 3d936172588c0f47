"""Blind indexes (盲索引): searchable keyed hashes of encrypted values.

Encrypted columns use a random nonce, so equal values never have equal ciphertexts.  To find
a person by 身份证号 or 手机号 the owning model also stores ``blind_index(value, kind=...)``
(an HMAC-SHA256 under the blind-index key, truncated to 32 hex chars) in a
``BlindIndexField`` and looks that up.  Values are normalised first so that ``…002x`` and
``…002X``, or ``+86 138 1234 5678`` and ``13812345678``, share one index.  The ``kind`` is
hashed in, so equal strings of different kinds get different indexes.
"""

from __future__ import annotations

import functools
import hashlib
import unicodedata
from typing import Any

from zhufang.privacy.keyring import Keyring, get_keyring

INDEX_HEX_CHARS = 32
ASCII_DIGITS = frozenset("0123456789")


def normalise(value: str, *, kind: str) -> str:
    """The canonical form of ``value`` that the index of ``kind`` is computed over."""
    # full-width ０-９ Ａ-Ｚ → half-width; ASCII text is its own NFKC form
    text = value if value.isascii() else unicodedata.normalize("NFKC", value)
    if kind == "id_number":
        return "".join(text.split()).upper()
    if kind == "phone":
        digits = "".join(ch for ch in text if ch in ASCII_DIGITS)
        for country_code in ("0086", "86"):
            if digits.startswith(country_code) and len(digits) - len(country_code) == 11:
                return digits[len(country_code) :]
        return digits
    return text.strip().casefold()


def blind_index(value: str, *, kind: str, keyring: Keyring | None = None) -> str:
    """The 32-hex-char blind index of ``value`` (kinds: ``id_number``, ``phone``, anything else)."""
    if not kind or "\x00" in kind:
        raise ValueError("blind index kind must be a non-empty str without NUL")
    canonical = normalise(value, kind=kind)
    if not canonical:
        raise ValueError(f"cannot build a {kind} blind index of an empty value; store NULL instead")
    inner, outer = _pads((keyring or get_keyring()).blind_index_key)
    mac = inner.copy()
    mac.update(f"{kind}\x00{canonical}".encode())
    digest = outer.copy()
    digest.update(mac.digest())
    return digest.hexdigest()[:INDEX_HEX_CHARS]


@functools.lru_cache(maxsize=8)
def _pads(key: bytes) -> tuple[Any, Any]:
    """HMAC-SHA256 (RFC 2104) with its keyed inner and outer states computed once per key: each index
    then costs two hash copies instead of a fresh ``hmac.new`` (which re-derives both pads)."""
    block = key if len(key) <= 64 else hashlib.sha256(key).digest()
    block = block.ljust(64, b"\x00")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
    return inner, outer
