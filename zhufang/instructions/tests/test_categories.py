"""The categories file is configuration: validated on load with errors naming category and field."""

from __future__ import annotations

import pytest

from zhufang.instructions.categories import CategoryConfigError, categories, parse_categories, validate_feedback

pytestmark = pytest.mark.sqlite

GOOD = """
[[category]]
code = "visit"
name = "走访"
deadline = { unit = "working_days", amount = 2 }
escalation = [0, 1]
targets = ["house"]
  [[category.form]]
  name = "met"
  label = "是否见面"
  type = "bool"
  required = true
  [[category.form]]
  name = "count"
  label = "人数"
  type = "number"
"""


def test_the_shipped_file_holds_the_seed_categories() -> None:
    shipped = categories()
    assert {
        "population",
        "venue",
        "dispute",
        "publicity",
        "unit_supervision",
        "anti_fraud",
        "visit",
        "hazard",
        "model_check",
    } <= set(shipped)
    assert (shipped["anti_fraud"].deadline_unit, shipped["anti_fraud"].deadline_amount) == ("hours", 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('unit = "working_days"', 'unit = "weeks"'),
        ("escalation = [0, 1]", "escalation = [1, 0]"),
        ('targets = ["house"]', 'targets = ["moon"]'),
        ('type = "bool"', 'type = "colour"'),
    ],
)
def test_bad_files_are_refused_naming_category_and_field(change: str, message: str) -> None:
    with pytest.raises(CategoryConfigError) as refused:
        parse_categories(GOOD.replace(change, message), source="mine.toml")
    assert str(refused.value).startswith("mine.toml: category 'visit'")


def test_feedback_values_are_cleaned_to_their_types() -> None:
    visit = parse_categories(GOOD)["visit"]
    cleaned, errors = validate_feedback(visit, {"met": "是", "count": "3"})
    assert (cleaned, errors) == ({"met": True, "count": 3}, {})
    _cleaned, errors = validate_feedback(visit, {"met": "maybe", "count": "many"})
    assert errors == {"met": "是否见面：应为“是”或“否”", "count": "人数：应为数字"}
