from __future__ import annotations

import pytest
from django.db.models.lookups import IsNull

from zhufang.privacy.crypto import decrypt, encrypt, key_id_of
from zhufang.privacy.fields import BlindIndexField, EncryptedLookupError, EncryptedTextField
from zhufang.privacy.keyring import add_data_key

pytestmark = pytest.mark.sqlite


@pytest.fixture
def field() -> EncryptedTextField:
    return EncryptedTextField(context="person.id_number", null=True, blank=True)


def test_context_is_required() -> None:
    with pytest.raises(TypeError):
        EncryptedTextField()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="non-empty context"):
        EncryptedTextField(context="")


def test_get_prep_value_encrypts(field: EncryptedTextField) -> None:
    token = field.get_prep_value("11010519491231002X")
    assert token != "11010519491231002X"
    assert key_id_of(token) == "k1"
    assert decrypt(token, context="person.id_number") == "11010519491231002X"
    assert field.get_prep_value("11010519491231002X") != token  # fresh nonce every time
    assert field.get_prep_value(None) is None
    assert decrypt(field.get_prep_value(""), context="person.id_number") == ""


def test_from_db_value_decrypts(field: EncryptedTextField) -> None:
    token = encrypt("张三", context="person.id_number")
    assert field.from_db_value(token, None, None) == "张三"
    assert field.from_db_value(None, None, None) is None
    assert field.from_db_value("", None, None) == ""


def test_from_db_value_uses_old_keys_after_rotation(field: EncryptedTextField) -> None:
    token = field.get_prep_value("13812345678")
    add_data_key()
    assert key_id_of(field.get_prep_value("x")) == "k2"
    assert field.from_db_value(token, None, None) == "13812345678"


def test_token_of_another_column_is_refused(field: EncryptedTextField) -> None:
    other = EncryptedTextField(context="person.phone")
    with pytest.raises(ValueError, match="another column"):
        field.from_db_value(other.get_prep_value("13812345678"), None, None)


def test_to_python_keeps_plaintext(field: EncryptedTextField) -> None:
    assert field.to_python("11010519491231002X") == "11010519491231002X"
    assert field.to_python(None) is None
    assert field.to_python(42) == "42"


def test_deconstruct_round_trip(field: EncryptedTextField) -> None:
    _, path, args, kwargs = field.deconstruct()
    assert path == "zhufang.privacy.fields.EncryptedTextField"
    assert kwargs == {"context": "person.id_number", "null": True, "blank": True}
    clone = EncryptedTextField(*args, **kwargs)
    assert clone.context == "person.id_number"


def test_only_isnull_lookups(field: EncryptedTextField) -> None:
    assert field.get_lookup("isnull") is IsNull
    for lookup in ("exact", "iexact", "in", "contains", "startswith", "gt"):
        with pytest.raises(EncryptedLookupError, match=f"'{lookup}' lookups on encrypted field 'person.id_number'"):
            field.get_lookup(lookup)
    assert field.get_transform("lower") is None


def test_blind_index_field_defaults_and_deconstruct() -> None:
    field = BlindIndexField()
    assert (field.max_length, field.db_index) == (32, True)
    assert field.deconstruct()[3] == {}
    plain = BlindIndexField(db_index=False, null=True)
    assert plain.deconstruct()[3] == {"db_index": False, "null": True}
    assert BlindIndexField(max_length=64).deconstruct()[3] == {"max_length": 64}
