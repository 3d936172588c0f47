from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from zhufang.privacy.crypto import DecryptionError, decrypt, encrypt, key_id_of
from zhufang.privacy.keyring import add_data_key, get_keyring, new_key_document, parse_keyring

pytestmark = pytest.mark.sqlite

CONTEXT = "person.id_number"


@pytest.mark.parametrize("plaintext", ["11010519491231002X", "", "张三丰", "a" * 10_000, "😀\x00\n"])
def test_round_trip(plaintext: str) -> None:
    token = encrypt(plaintext, context=CONTEXT)
    assert token.isascii()
    assert "=" not in token
    assert decrypt(token, context=CONTEXT) == plaintext


def test_token_format_and_random_nonce() -> None:
    first = encrypt("13812345678", context="person.phone")
    second = encrypt("13812345678", context="person.phone")
    assert first != second
    key_id, _, body = first.partition("$")
    assert key_id == key_id_of(first) == "k1"
    blob = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    assert len(blob) == 12 + len("13812345678") + 16


def test_wrong_context_fails() -> None:
    token = encrypt("11010519491231002X", context=CONTEXT)
    with pytest.raises(DecryptionError, match="another column"):
        decrypt(token, context="person.phone")


@pytest.mark.parametrize("position", [0, 5, 11, 12, 20, -1])
def test_tampering_fails(position: int) -> None:
    token = encrypt("11010519491231002X", context=CONTEXT)
    key_id, _, body = token.partition("$")
    blob = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    blob[position] ^= 0x01
    forged = key_id + "$" + base64.urlsafe_b64encode(bytes(blob)).decode().rstrip("=")
    with pytest.raises(DecryptionError):
        decrypt(forged, context=CONTEXT)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("no-separator", "malformed"),
        ("$abc", "malformed"),
        ("k1$", "malformed"),
        ("k1$YWJj", "too short"),
        ("k1$a", "not valid base64"),
        ("k7$" + "A" * 40, "unknown data key id 'k7'"),
    ],
)
def test_malformed_tokens_raise_decryption_error(token: str, message: str) -> None:
    with pytest.raises(DecryptionError, match=message):
        decrypt(token, context=CONTEXT)


def test_key_id_of_malformed_token() -> None:
    with pytest.raises(DecryptionError):
        key_id_of("plaintext")


def test_old_key_still_decrypts_after_rotation() -> None:
    old_token = encrypt("张三", context="person.name")
    assert add_data_key() == "k2"
    new_token = encrypt("张三", context="person.name")
    assert key_id_of(old_token) == "k1"
    assert key_id_of(new_token) == "k2"
    assert decrypt(old_token, context="person.name") == "张三"
    assert decrypt(new_token, context="person.name") == "张三"


def test_explicit_key_id() -> None:
    add_data_key()
    token = encrypt("x", context=CONTEXT, key_id="k1")
    assert key_id_of(token) == "k1"
    with pytest.raises(KeyError):
        encrypt("x", context=CONTEXT, key_id="k9")


def test_stale_cached_keyring_reloads_for_an_unknown_key(key_file: Path) -> None:
    stale = get_keyring()  # this process caches a keyring holding k1 only
    # Another process rotates: it adds k2 to the key file and encrypts with it.
    document = json.loads(key_file.read_text())
    document["data_keys"]["k2"] = new_key_document()["data_keys"]["k1"]
    document["active_data_key"] = "k2"
    key_file.write_text(json.dumps(document))
    token = encrypt("x", context=CONTEXT, keyring=parse_keyring(document, source="test"))
    assert get_keyring() is stale
    with pytest.raises(DecryptionError, match="unknown data key id 'k2'"):
        decrypt(token, context=CONTEXT, keyring=stale)  # an explicit keyring is never reloaded
    assert decrypt(token, context=CONTEXT) == "x"  # the cached one is reloaded once
    assert get_keyring().active_data_key_id == "k2"


def test_context_and_plaintext_types_are_checked() -> None:
    with pytest.raises(ValueError, match="context"):
        encrypt("x", context="")
    with pytest.raises(TypeError):
        encrypt(123, context=CONTEXT)  # type: ignore[arg-type]
