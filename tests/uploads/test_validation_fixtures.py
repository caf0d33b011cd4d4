"""One fixture file per issue code (tests/fixtures/uploads, written by make_fixtures.py)."""

import datetime as dt
from pathlib import Path

import pytest

from uploads.lib.validation import InMemoryStore, validate_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "uploads"
TODAY = dt.date(2025, 6, 1)

# file, code, severity, row, line, field, exit status
CASES = [
    ("F_EMPTY.csv", "F_EMPTY", "error", None, None, None, 2),
    ("F_EMPTY.header-only.csv", "F_EMPTY", "error", None, None, None, 2),
    ("F_EMPTY.json", "F_EMPTY", "error", None, None, None, 2),
    ("F_NOT_TEXT.xlsx.csv", "F_NOT_TEXT", "error", None, None, None, 2),
    ("F_NOT_TEXT.utf16.csv", "F_NOT_TEXT", "error", None, None, None, 2),
    ("F_NOT_TEXT.gzip.csv", "F_NOT_TEXT", "error", None, None, None, 2),
    ("F_NOT_TEXT.nul.csv", "F_NOT_TEXT", "error", None, 2, None, 2),
    ("F_ENCODING.cp932.csv", "F_ENCODING", "error", None, 2, None, 2),
    ("F_ENCODING.truncated.cp932.csv", "F_ENCODING", "error", None, 3, None, 2),
    ("F_ENCODING.json", "F_ENCODING", "error", None, 34, None, 2),
    ("F_CSV_SYNTAX.csv", "F_CSV_SYNTAX", "error", None, 3, None, 2),
    ("F_JSON_SYNTAX.json", "F_JSON_SYNTAX", "error", None, 3, None, 2),
    ("F_JSON_SYNTAX.nan.json", "F_JSON_SYNTAX", "error", None, 2, None, 2),
    ("F_JSON_SYNTAX.object.json", "F_JSON_SYNTAX", "error", None, 1, None, 2),
    ("F_HEADER_MISSING.csv", "F_HEADER_MISSING", "error", None, 1, "myNumber", 2),
    ("F_HEADER_DUPLICATE.csv", "F_HEADER_DUPLICATE", "error", None, 1, "basicFiveInfo.name", 2),
    ("F_HEADER_UNKNOWN.csv", "F_HEADER_UNKNOWN", "warning", None, 1, "memo", 0),
    ("R_COLUMN_COUNT.csv", "R_COLUMN_COUNT", "error", 2, 3, None, 1),
    ("R_NOT_OBJECT.json", "R_NOT_OBJECT", "error", 2, 1, None, 1),
    ("V_REQUIRED.csv", "V_REQUIRED", "error", 2, 3, "basicFiveInfo.name", 1),
    ("V_TYPE.json", "V_TYPE", "error", 2, 42, "myNumber", 1),
    ("V_LENGTH.csv", "V_LENGTH", "error", 2, 3, "myNumber", 1),
    ("V_CHARSET.csv", "V_CHARSET", "error", 2, 3, "myNumber", 1),
    ("V_KANA.csv", "V_KANA", "error", 2, 3, "basicFiveInfo.nameKana", 1),
    ("V_KANA.cp932.csv", "V_KANA", "error", 2, 3, "basicFiveInfo.nameKana", 1),
    ("V_DATE.csv", "V_DATE", "error", 2, 3, "basicFiveInfo.dateOfBirth", 1),
    ("V_DATE_RANGE.csv", "V_DATE_RANGE", "error", 2, 3, "basicFiveInfo.dateOfBirth", 1),
    ("V_CODE.csv", "V_CODE", "error", 2, 3, "basicFiveInfo.sex", 1),
    ("V_BOOLEAN.csv", "V_BOOLEAN", "error", 2, 3, "isNotDisclosed", 1),
    ("V_NUMBER.csv", "V_NUMBER", "error", 2, 3, "maxCopaymentAmount.monthlyCap", 1),
    ("V_RANGE.csv", "V_RANGE", "error", 2, 3, "maxCopaymentAmount.rateMonth", 1),
    ("V_CHECK_DIGIT.csv", "V_CHECK_DIGIT", "error", 2, 3, "myNumber", 1),
    ("V_PREFECTURE.csv", "V_PREFECTURE", "error", 2, 3, "medicalSubsidyInsurerNumber", 1),
    (
        "V_HOUBETSU_UNKNOWN.csv",
        "V_HOUBETSU_UNKNOWN",
        "warning",
        2,
        3,
        "medicalSubsidyInsurerNumber",
        0,
    ),
    ("V_SEX_NOT_MANAGED.csv", "V_SEX_NOT_MANAGED", "warning", 2, 3, "basicFiveInfo.sex", 0),
    ("V_CONDITIONS.csv", "V_CONDITIONS", "error", 2, 3, "additionalConditions", 1),
    (
        "V_HOUBETSU_INSURANCE.csv",
        "V_HOUBETSU_INSURANCE",
        "error",
        2,
        3,
        "medicalSubsidyInsurerNumber",
        1,
    ),
    ("V_GAIJI.csv", "V_GAIJI", "warning", 2, 3, "basicFiveInfo.name", 0),
    ("F_EOF_MARKER.cp932.csv", "F_EOF_MARKER", "warning", None, None, None, 0),
    ("K_DUPLICATE.csv", "K_DUPLICATE", "error", 2, 3, None, 1),
    ("K_DELETE_UNKNOWN.diff.jsonl", "K_DELETE_UNKNOWN", "warning", 2, 2, None, 0),
    ("K_MASS_REMOVAL.csv", "K_MASS_REMOVAL", "warning", None, None, None, 0),
]


def _store_of_valid_json() -> InMemoryStore:
    store = InMemoryStore()
    report = validate_file(
        FIXTURES / "valid.json", on_record=lambda r: store.put(r.key, r.fingerprint), today=TODAY
    )
    assert report.accepted and len(store) == 2
    return store


@pytest.mark.parametrize(("name", "code", "severity", "row", "line", "field", "status"), CASES)
def test_fixture_gives_its_issue(name, code, severity, row, line, field, status):
    mode = "diff" if ".diff." in name else "full"
    store = _store_of_valid_json() if code == "K_MASS_REMOVAL" else None
    report = validate_file(FIXTURES / name, mode=mode, today=TODAY, store=store)

    assert list(report.counts) == [code]
    issue = report.issues[0]
    assert (issue.code, issue.severity, issue.row, issue.line, issue.field) == (
        code,
        severity,
        row,
        line,
        field,
    )
    assert issue.message
    assert report.exit_code == status
    assert report.accepted == (status == 0)


def test_every_issue_code_has_a_fixture():
    codes = {c[1] for c in CASES} | {"F_TOO_LARGE"}  # size is a setting: see the next test
    spec_codes = {
        "F_EMPTY",
        "F_TOO_LARGE",
        "F_NOT_TEXT",
        "F_ENCODING",
        "F_CSV_SYNTAX",
        "F_JSON_SYNTAX",
        "F_HEADER_MISSING",
        "F_HEADER_DUPLICATE",
        "F_HEADER_UNKNOWN",
        "R_COLUMN_COUNT",
        "R_NOT_OBJECT",
        "V_REQUIRED",
        "V_TYPE",
        "V_LENGTH",
        "V_CHARSET",
        "V_KANA",
        "V_DATE",
        "V_DATE_RANGE",
        "V_CODE",
        "V_BOOLEAN",
        "V_NUMBER",
        "V_RANGE",
        "V_CHECK_DIGIT",
        "V_PREFECTURE",
        "V_HOUBETSU_UNKNOWN",
        "V_SEX_NOT_MANAGED",
        "V_CONDITIONS",
        "K_DUPLICATE",
        "K_DELETE_UNKNOWN",
        "V_HOUBETSU_INSURANCE",
        "V_GAIJI",
        "F_EOF_MARKER",
        "K_MASS_REMOVAL",
    }
    assert codes == spec_codes


def test_too_large_at_limit_plus_one():
    path = FIXTURES / "valid.utf8.csv"
    size = path.stat().st_size
    assert validate_file(path, max_bytes=size).accepted
    report = validate_file(path, max_bytes=size - 1)
    assert list(report.counts) == ["F_TOO_LARGE"]
    assert report.exit_code == 2
    assert report.format is None


@pytest.mark.parametrize(
    ("name", "fmt", "encoding"),
    [
        ("valid.utf8.csv", "csv", "utf-8"),
        ("valid.utf8-bom.csv", "csv", "utf-8-sig"),
        ("valid.cp932.csv", "csv", "cp932"),
        ("valid.json", "json", "utf-8"),
        ("valid.jsonl", "jsonl", "utf-8"),
    ],
)
def test_valid_fixtures_are_accepted_with_format_and_encoding(name, fmt, encoding):
    report = validate_file(FIXTURES / name, today=TODAY)
    assert (report.format, report.encoding, report.accepted) == (fmt, encoding, True)
    assert report.rows == report.valid_rows == 2
    assert report.diff == {"added": 2, "changed": 0, "unchanged": 0, "removed": 0}


def test_file_level_rejection_counts_rows_read_before_it():
    report = validate_file(FIXTURES / "F_CSV_SYNTAX.csv")
    assert report.rows == 1
    assert report.valid_rows == 0
    assert report.diff is None
