import pytest

from onboarding.rules import choice_problems, missing_choices

VALID = {
    "rework_method": "api",
    "route": "lgwan",
    "data_mode": "diff",
    "test_access": "lgwan",
    "data_format": "json",
}


def test_recommended_choices_are_consistent():
    assert choice_problems(VALID) == {}
    assert missing_choices(VALID) == []


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"route": "usb", "rework_method": "api"}, "route", "USB"),
        ({"rework_method": "batch", "route": "usb"}, "rework_method", "LGWAN"),
        (
            {"rework_method": "manual", "route": "lgwan", "data_format": "json"},
            "data_format",
            "CSV",
        ),
        (
            {"rework_method": "manual_edit", "route": "lgwan", "data_format": "json"},
            "data_format",
            "CSV",
        ),
        ({"test_access": "lgwan", "route": "vpn"}, "test_access", "LGWAN"),
    ],
)
def test_each_consistency_rule_names_its_field(change, field, words):
    problems = choice_problems({**VALID, **change})
    assert field in problems
    assert words in " ".join(problems[field])


def test_undecided_choices_break_no_rule_but_are_missing():
    values = {**VALID, "route": "", "data_format": ""}
    assert choice_problems(values) == {}
    assert missing_choices(values) == ["route", "data_format"]


def test_usb_with_manual_upload_is_fine():
    values = {
        **VALID,
        "rework_method": "manual",
        "route": "usb",
        "test_access": "offline",
        "data_format": "csv",
    }
    assert choice_problems(values) == {}
