from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from zhufang.privacy.validators import (
    USCC_ALPHABET,
    IdNumberError,
    IdNumberInfo,
    UsccError,
    check_id_number,
    check_uscc,
    id_check_digit,
    upgrade_15_to_18,
    uscc_check_code,
    validate_id_number,
    validate_uscc,
)

pytestmark = pytest.mark.sqlite

TODAY = date(2025, 6, 30)
ID_CHARS = "0123456789X"

# Every example below was checked against the algorithm, not only copied from a source.
VALID_IDS = ["11010519491231002X", "440524188001010014", "34052419800101001X"]
VALID_USCCS = ["91350100M000100Y43", "91440300708461136T", "91110108551385082Q"]


# ---- 公民身份号码 ----------------------------------------------------------------------------


def test_standard_examples() -> None:
    assert check_id_number("11010519491231002X", today=TODAY) == IdNumberInfo(
        region_code="110105", birth_date=date(1949, 12, 31), sex="female", normalised="11010519491231002X"
    )
    info = check_id_number("440524188001010014", today=TODAY)
    assert (info.region_code, info.birth_date, info.sex, info.sex_code) == (
        "440524",
        date(1880, 1, 1),
        "male",
        "1",
    )
    info = check_id_number("34052419800101001X", today=TODAY)
    assert (info.birth_date, info.sex, info.sex_code) == (date(1980, 1, 1), "male", "1")


@pytest.mark.parametrize("first17", [v[:17] for v in VALID_IDS])
def test_id_check_digit(first17: str) -> None:
    assert first17 + id_check_digit(first17) in VALID_IDS


@pytest.mark.parametrize("bad", ["1234567890123456", "1101051949123100A", "１１０１０５１９４９１２３１００２"])
def test_id_check_digit_needs_17_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        id_check_digit(bad)


@pytest.mark.parametrize(
    "variant",
    [
        "11010519491231002x",
        " 11010519491231002X ",
        "110105 19491231 002X",
        "１１０１０５１９４９１２３１００２Ｘ",
    ],
)
def test_lower_case_x_full_width_and_spaces_are_normalised(variant: str) -> None:
    assert check_id_number(variant, today=TODAY).normalised == "11010519491231002X"


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("1101051949123100", "length", "身份证号码应为18位，实际为16位"),
        ("11010519491231002", "length", "身份证号码应为18位，实际为17位"),
        ("11010519491231002X1", "length", "身份证号码应为18位，实际为19位"),
        ("", "length", "身份证号码应为18位，实际为0位"),
        ("110105194912310025", "check_digit", "身份证号码校验码错误：应为X，实际为5"),
        ("440524188001010015", "check_digit", "身份证号码校验码错误：应为4，实际为5"),
        ("1101051949123100XX", "invalid_chars", "身份证号码含非法字符"),
        ("11010519491231002Y", "invalid_chars", "身份证号码含非法字符"),
        ("11010519491231-02X", "invalid_chars", "身份证号码含非法字符"),
        ("110105199013010014", "birth_date_invalid", "身份证号码出生日期无效：19901301"),
        ("110105199002300014", "birth_date_invalid", "身份证号码出生日期无效：19900230"),
        ("110105000001010014", "birth_date_invalid", "身份证号码出生日期无效：00000101"),
        ("110105491231002", "legacy_15", "身份证号码为旧版15位号码，请先升级为18位号码"),
    ],
)
def test_invalid_id_numbers(value: str, code: str, message: str) -> None:
    with pytest.raises(IdNumberError) as excinfo:
        check_id_number(value, today=TODAY)
    assert excinfo.value.code == code
    assert excinfo.value.message == message
    assert str(excinfo.value) == message


def test_future_birth_date_is_refused() -> None:
    first17 = "11010520250701001"
    number = first17 + id_check_digit(first17)
    with pytest.raises(IdNumberError) as excinfo:
        check_id_number(number, today=TODAY)
    assert (excinfo.value.code, excinfo.value.message) == ("birth_date_future", "出生日期不能晚于今天")
    assert check_id_number(number, today=date(2025, 7, 1)).birth_date == date(2025, 7, 1)  # born today: fine


def test_today_defaults_to_the_real_date() -> None:
    assert check_id_number("11010519491231002X").birth_date == date(1949, 12, 31)
    first17 = "110105" + "29991231" + "001"
    with pytest.raises(IdNumberError, match="出生日期不能晚于今天"):
        check_id_number(first17 + id_check_digit(first17))


def test_upgrade_15_to_18() -> None:
    assert upgrade_15_to_18("110105491231002") == "11010519491231002X"
    assert upgrade_15_to_18("440524800101001") == "44052419800101001" + id_check_digit("44052419800101001")
    assert check_id_number(upgrade_15_to_18("340524800101001"), today=TODAY).normalised == "34052419800101001X"
    with pytest.raises(IdNumberError, match="旧版身份证号码应为15位数字"):
        upgrade_15_to_18("11010519491231002X")
    with pytest.raises(IdNumberError, match="身份证号码出生日期无效：19491331"):
        upgrade_15_to_18("110105491331002")


@st.composite
def valid_id_numbers(draw: st.DrawFn) -> str:
    region = draw(st.text("0123456789", min_size=6, max_size=6))
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.text("0123456789", min_size=3, max_size=3))
    first17 = f"{region}{birth:%Y%m%d}{sequence}"
    return first17 + id_check_digit(first17)


@given(valid_id_numbers())
def test_every_single_character_substitution_of_an_id_is_detected(number: str) -> None:
    info = check_id_number(number, today=TODAY)
    assert info.normalised == number
    assert info.sex == ("male" if int(number[16]) % 2 else "female")
    for position, original in enumerate(number):
        for replacement in ID_CHARS:
            if replacement == original:
                continue
            altered = number[:position] + replacement + number[position + 1 :]
            with pytest.raises(IdNumberError):
                check_id_number(altered, today=TODAY)


@pytest.mark.parametrize("number", VALID_IDS)
def test_every_single_digit_change_of_the_standard_examples_is_detected(number: str) -> None:
    for position in range(18):
        for replacement in ID_CHARS:
            altered = number[:position] + replacement + number[position + 1 :]
            if altered != number:
                with pytest.raises(IdNumberError):
                    check_id_number(altered, today=TODAY)


def test_validate_id_number_raises_django_validation_error() -> None:
    validate_id_number("11010519491231002X")
    with pytest.raises(ValidationError) as excinfo:
        validate_id_number("110105194912310025")
    assert excinfo.value.messages == ["身份证号码校验码错误：应为X，实际为5"]
    assert excinfo.value.code == "id_number_check_digit"


# ---- 统一社会信用代码 ------------------------------------------------------------------------


@pytest.mark.parametrize("code", VALID_USCCS)
def test_valid_usccs(code: str) -> None:
    assert check_uscc(code) == code
    assert uscc_check_code(code[:17]) == code[17]


def test_uscc_is_normalised() -> None:
    assert check_uscc(" 91350100m000100y43 ") == "91350100M000100Y43"
    assert check_uscc("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


def test_uscc_check_code_31_maps_to_zero() -> None:
    # Σ value·weight ≡ 0 (mod 31) gives 31 - 0 = 31, written "0".
    assert uscc_check_code("0" * 17) == "0"
    assert check_uscc("0" * 18) == "0" * 18


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("91350100M000100Y4", "length", "统一社会信用代码应为18位，实际为17位"),
        ("91350100M000100Y431", "length", "统一社会信用代码应为18位，实际为19位"),
        ("91350100I000100Y43", "invalid_chars", "统一社会信用代码含非法字符：I"),
        ("91350100M000100O43", "invalid_chars", "统一社会信用代码含非法字符：O"),
        ("9135010-M000100Y43", "invalid_chars", "统一社会信用代码含非法字符：-"),
        ("91350100M000100Y44", "check_code", "统一社会信用代码校验码错误：应为3，实际为4"),
        # Often quoted as an example, but its check code does not verify:
        ("911100001000051217", "check_code", "统一社会信用代码校验码错误：应为Q，实际为7"),
    ],
)
def test_invalid_usccs(value: str, code: str, message: str) -> None:
    with pytest.raises(UsccError) as excinfo:
        check_uscc(value)
    assert (excinfo.value.code, excinfo.value.message) == (code, message)


@pytest.mark.parametrize("letter", "IOZSV")
def test_excluded_letters_are_illegal(letter: str) -> None:
    with pytest.raises(UsccError, match=f"统一社会信用代码含非法字符：{letter}"):
        check_uscc("91350100M000100Y4" + letter)


@given(st.text(USCC_ALPHABET, min_size=17, max_size=17))
def test_every_single_character_substitution_of_a_uscc_is_detected(first17: str) -> None:
    code = first17 + uscc_check_code(first17)
    assert check_uscc(code) == code
    for position, original in enumerate(code):
        for replacement in USCC_ALPHABET:
            if replacement != original:
                with pytest.raises(UsccError):
                    check_uscc(code[:position] + replacement + code[position + 1 :])


def test_validate_uscc_raises_django_validation_error() -> None:
    validate_uscc("91350100M000100Y43")
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc("91350100M000100Y44")
    assert excinfo.value.messages == ["统一社会信用代码校验码错误：应为3，实际为4"]
    assert excinfo.value.code == "uscc_check_code"
