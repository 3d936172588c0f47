from __future__ import annotations

import pytest

from zhufang.privacy.blind_index import blind_index, normalise
from zhufang.privacy.keyring import add_data_key, get_keyring, new_key_document, parse_keyring

pytestmark = pytest.mark.sqlite


def test_shape() -> None:
    index = blind_index("11010519491231002X", kind="id_number")
    assert len(index) == 32
    assert int(index, 16) >= 0


@pytest.mark.parametrize(
    "variant",
    [
        "11010519491231002x",
        " 110105 19491231 002X ",
        "１１０１０５１９４９１２３１００２Ｘ",
        "11010519491231002ｘ",
    ],
)
def test_id_number_variants_share_an_index(variant: str) -> None:
    assert blind_index(variant, kind="id_number") == blind_index("11010519491231002X", kind="id_number")


@pytest.mark.parametrize(
    "variant",
    ["+86 138 1234 5678", "008613812345678", "8613812345678", "138-1234-5678", "１３８１２３４５６７８"],
)
def test_phone_variants_share_an_index(variant: str) -> None:
    assert blind_index(variant, kind="phone") == blind_index("13812345678", kind="phone")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("+86 138 1234 5678", "13812345678"),
        ("0086 138 1234 5678", "13812345678"),
        ("(025) 8888-6666", "02588886666"),
        ("+86 025 8888 6666", "02588886666"),
        ("8612345", "8612345"),  # too short to hold a country code: kept
        ("861381234567", "861381234567"),  # 10 digits would remain: kept
    ],
)
def test_phone_normalisation(value: str, expected: str) -> None:
    assert normalise(value, kind="phone") == expected


def test_default_normalisation_is_nfkc_strip_casefold() -> None:
    assert normalise("  Straße ＡＢＣ ", kind="name") == "strasse abc"
    assert blind_index("Zhang San", kind="name") == blind_index(" zhang san ", kind="name")


def test_differs_across_kinds_and_values() -> None:
    assert blind_index("13812345678", kind="phone") != blind_index("13812345678", kind="id_number")
    assert blind_index("13812345678", kind="phone") != blind_index("13812345679", kind="phone")


def test_depends_on_the_blind_index_key_only() -> None:
    before = blind_index("13812345678", kind="phone")
    add_data_key()  # rotating data keys must not change blind indexes
    assert blind_index("13812345678", kind="phone") == before
    other = parse_keyring(new_key_document(), source="test")
    assert blind_index("13812345678", kind="phone", keyring=other) != before
    assert get_keyring().blind_index_key != other.blind_index_key


@pytest.mark.parametrize(
    ("value", "kind"), [("", "phone"), ("  ", "name"), ("+ - ()", "phone"), ("x", ""), ("x", "a\x00b")]
)
def test_refuses_empty_values_and_bad_kinds(value: str, kind: str) -> None:
    with pytest.raises(ValueError):
        blind_index(value, kind=kind)
