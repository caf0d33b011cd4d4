"""Converting real-looking exports to PMH's layout and validating the result with the engine,
unchanged: the engine's report stays the truth; the conversion report says what was done."""

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import Workbook

from tests.fixtures.uploads.doctor import exports
from uploads.lib.doctor import check_mapping, convert, new_mapping, profile_file, twocores
from uploads.lib.validation import load_layout, samples, validate_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "uploads" / "doctor"
TODAY = dt.date(2025, 6, 1)
LAYOUT = load_layout()
FIXED = {
    "orgSpecificCertificateTypeId": {"value": "KODOMO01"},
    "isAlwaysReimbursement": {"value": "0"},
}


def _mapping_for(source) -> dict:
    """The profile's proposal, confirmed, with the fixed values a user adds."""
    mapping = profile_file(source, today=TODAY).mapping()
    for path, entry in FIXED.items():
        mapping["fields"].setdefault(path, entry)
    assert check_mapping(mapping) == []
    return mapping


def _convert(source, mapping):
    out = io.StringIO()
    summary = convert(source, mapping, out)
    return summary, out.getvalue()


def _validate(text: str):
    return validate_file(io.BytesIO(text.encode("utf-8")), today=TODAY)


def _issues(report) -> list[tuple]:
    return [(i.row, i.field, i.code) for i in report.issues]


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def _applied(summary) -> dict[tuple[str, str], int]:
    return {(a.field, a.op): a.rows for a in summary.applied}


def test_cp932_export_converted_and_validated():
    source = FIXTURES / "kokuho.cp932.csv"
    summary, text = _convert(source, _mapping_for(source))
    assert (summary.format, summary.encoding, summary.rows) == ("csv", "cp932", 14)
    assert _applied(summary) == {
        ("orgSpecificCertificateTypeId", "value"): 14,
        ("basicFiveInfo.nameKana", "kana"): 14,
        ("basicFiveInfo.dateOfBirth", "date"): 13,  # row 5 has no such day
        ("basicFiveInfo.sex", "map"): 13,  # row 8: 不詳
        ("isNotDisclosed", "map"): 14,
        ("isAlwaysReimbursement", "value"): 14,
        ("validFrom", "date"): 14,
        ("validTo", "date"): 14,
    }
    assert [(p.row, p.line, p.field, p.code) for p in summary.problems] == [
        (5, 6, "basicFiveInfo.dateOfBirth", "C_DATE"),
        (8, 9, "basicFiveInfo.sex", "C_VALUE"),
    ]
    assert summary.problems[0].message == (
        "「生年月日」（列「生年月日」）: 昭和55年2月30日という日付はありません。"
    )
    assert summary.problems[0].value == "S**.*.**"  # a birth date is personal
    assert summary.problems[1].value == "不詳"
    report = _validate(text)
    assert _issues(report) == [
        (5, "basicFiveInfo.dateOfBirth", "V_DATE"),
        (8, "basicFiveInfo.sex", "V_CODE"),
        (10, "myNumber", "V_CHECK_DIGIT"),
        (12, "basicFiveInfo.nameKana", "V_KANA"),
    ]
    assert (report.rows, report.valid_rows, report.encoding) == (14, 10, "utf-8")


def test_cp932_export_clean_rows_equal_the_records_it_was_made_from():
    source = FIXTURES / "kokuho.cp932.csv"
    _summary, text = _convert(source, _mapping_for(source))
    records = exports.records(**exports.KOKUHO_RECORDS)
    for n, (row, record) in enumerate(zip(_rows(text), records, strict=True), start=1):
        if n in (5, 8, 10, 12):
            continue  # planted
        truth = samples.flatten(record, LAYOUT)
        for path, value in row.items():
            if path not in FIXED:
                assert value == truth[path], (n, path)


def test_xlsx_with_title_row_and_numbers_converted_and_validated():
    source = FIXTURES / "kodomo-title-row.xlsx"
    summary, text = _convert(source, _mapping_for(source))
    assert (summary.format, summary.sheet, summary.header_line, summary.rows) == (
        "xlsx",
        "受給者一覧",
        4,
        12,
    )
    applied = _applied(summary)
    assert applied[("myNumber", "cell")] == 11  # numbers stored as numbers, one text cell
    assert applied[("myNumber", "exponent")] == 0  # 1.23457E+11 cannot be repaired
    assert (
        applied[
            (
                "myNumber",
                "pad",
            )
        ]
        == 1
    )  # a 個人番号 starting with 0
    assert applied[("medicalSubsidyRecipientNumber", "pad")] == 3  # leading zeros lost
    assert applied[("validFrom", "date")] == 12  # Excel serials
    assert applied[("maxCopaymentAmount.monthlyCap", "integer")] == 12  # 5,000円
    assert applied[("basicFiveInfo.nameKana", "kana")] == 3  # rows in hiragana
    [problem] = summary.problems
    assert (problem.row, problem.line, problem.field, problem.code) == (
        3,
        7,
        "myNumber",
        "C_EXPONENT",
    )
    assert "有効数字6桁しか残っておらず、元の12桁の値は復元できません" in problem.message
    assert problem.value == "*******E+11"
    report = _validate(text)
    assert _issues(report) == [(3, "myNumber", "V_CHARSET")]  # sent as it came
    truth = [samples.flatten(r, LAYOUT) for r in exports.kodomo_records()]
    for n, row in enumerate(_rows(text), start=1):
        for path in (
            "myNumber",
            "medicalSubsidyRecipientNumber",
            "basicFiveInfo.dateOfBirth",
            "basicFiveInfo.nameKana",
            "validFrom",
            "validTo",
            "maxCopaymentAmount.monthlyCap",
        ):
            if (n, path) != (3, "myNumber"):
                assert row[path] == truth[n - 1][path], (n, path)


def test_vendor_export_converted_and_accepted():
    source = FIXTURES / "vendor.utf8-bom.csv"
    summary, text = _convert(source, _mapping_for(source))
    assert summary.problems == []
    assert _applied(summary)[("basicFiveInfo.dateOfBirth", "date")] == 10  # 5060401 form
    report = _validate(text)
    assert report.accepted and report.issues == []


def test_the_header_is_found_under_a_different_title_block_next_month():
    source = FIXTURES / "kokuho.cp932.csv"
    mapping = _mapping_for(source)
    shifted = "令和7年5月分,,\r\n\r\n".encode("cp932") + source.read_bytes()
    summary, _text = _convert(io.BytesIO(shifted), mapping)
    assert (summary.header_line, summary.rows) == (3, 14)


def _csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


def _doc(**fields) -> dict:
    doc = new_mapping()
    doc["fields"] = fields
    assert check_mapping(doc) == []
    return doc


def test_joined_columns_fixed_values_and_missing_columns():
    mapping = _doc(
        **{
            "basicFiveInfo.name": {"columns": ["氏", "名"], "joiner": "\u3000"},
            "certificationDetail[1].label": {"value": "負担割合"},
            "certificationDetail[1].value": {"column": "負担割合"},
            "basicFiveInfo.address": {"column": "住所"},
        }
    )
    summary, text = _convert(_csv("氏,名,負担割合\n山田,太郎,2割\n佐藤,,1割\n"), mapping)
    assert summary.columns == [
        "basicFiveInfo.name",
        "certificationDetail[1].label",
        "certificationDetail[1].value",
    ]
    assert text.splitlines()[1:] == ["山田\u3000太郎,負担割合,2割", "佐藤,負担割合,1割"]
    [missing] = summary.problems
    assert (missing.row, missing.field, missing.code) == (
        None,
        "basicFiveInfo.address",
        "C_COLUMN_MISSING",
    )
    assert "列「住所」がファイルにありません" in missing.message


def test_rows_with_another_number_of_columns_and_undecodable_bytes():
    mapping = _doc(segment={"column": "区分"}, incomeSegment={"column": "所得区分"})
    data = "区分,所得区分\n一般,上位\n一般\n".encode("cp932") + b"\x82\xff,a\n"
    summary, text = _convert(io.BytesIO(data), mapping)
    assert [(p.row, p.line, p.code) for p in summary.problems] == [
        (2, 3, "C_COLUMN_COUNT"),
        (3, 4, "C_ENCODING"),
    ]
    assert text.splitlines()[2] == "一般,"


def test_problem_values_of_non_disclosed_rows_are_never_shown():
    mapping = _doc(
        isNotDisclosed={
            "column": "不開示",
            "conversions": [{"op": "map", "table": {"○": "1", "": "0"}}],
        },
        validFrom={"column": "開始日", "conversions": [{"op": "date", "forms": ["wareki"]}]},
    )
    summary, _text = _convert(_csv("不開示,開始日\n○,R6.2.30\n,R6.2.30\n"), mapping)
    assert [p.value for p in summary.problems] == ["(不開示)", "R6.2.30"]


def test_without_a_non_disclosure_column_problem_values_are_masked():
    mapping = _doc(
        validFrom={"column": "開始日", "conversions": [{"op": "date", "forms": ["wareki"]}]}
    )
    summary, _text = _convert(_csv("開始日\nR6.2.30\n"), mapping)
    assert summary.problems[0].value == "(不開示)"


def test_problems_are_counted_beyond_the_listed_ones():
    mapping = _doc(
        validFrom={"column": "開始日", "conversions": [{"op": "date", "forms": ["wareki"]}]}
    )
    out = io.StringIO()
    summary = convert(_csv("開始日\n" + "X\n" * 30), mapping, out, max_problems=5)
    assert (len(summary.problems), summary.problems_total, summary.counts) == (
        5,
        30,
        {"C_DATE": 30},
    )
    assert summary.to_dict()["problems_truncated"] is True
    json.dumps(summary.to_dict(), ensure_ascii=False)


def test_conversion_streams_rows_one_by_one():
    """Rows go out while the source is still being read: nothing waits for the whole file."""
    mapping = _doc(segment={"column": "区分", "conversions": [{"op": "trim"}]})
    source = io.BytesIO(("区分\n" + " 一般 \n" * 200_000).encode())  # 2.2 MB
    read_at_first_row = []

    class Watch(io.StringIO):
        def write(self, s):
            if not read_at_first_row and "一般" in s:
                read_at_first_row.append(source.tell())
            return super().write(s)

    summary = convert(source, mapping, Watch())
    assert summary.rows == 200_000
    assert _applied(summary)[("segment", "trim")] == 200_000
    assert read_at_first_row[0] < 300_000 < len(source.getvalue())


@pytest.mark.parametrize("number", ["1.23456789018E+11", "123456789018"])
def test_exponent_numbers_in_a_csv_are_repaired_when_complete(number):
    mapping = _doc(myNumber={"column": "個人番号", "conversions": [{"op": "exponent"}]})
    summary, text = _convert(_csv(f"個人番号\n{number}\n"), mapping)
    assert text.splitlines()[1] == "123456789018" and summary.problems == []


def test_xlsx_conversion_reads_the_sheet_named_in_the_mapping(tmp_path):
    book = Workbook()
    book.active.append(["区分"])
    book.active.append(["表紙"])
    sheet = book.create_sheet("データ")
    sheet.append(["区分"])
    sheet.append(["一般"])
    book.save(tmp_path / "two.xlsx")
    mapping = _doc(segment={"column": "区分"})
    mapping["source"] = {"sheet": "データ"}
    _summary, text = _convert(tmp_path / "two.xlsx", mapping)
    assert text.splitlines() == ["segment", "一般"]


def test_no_full_mynumber_in_the_summary():
    source = FIXTURES / "kokuho.cp932.csv"
    mapping = _mapping_for(source)
    mapping["fields"]["myNumber"]["conversions"] = [{"op": "date", "forms": ["wareki"]}]
    summary, _text = _convert(source, mapping)
    assert summary.problems_total == 16
    assert not re.search(r"\d{12}", json.dumps(summary.to_dict(), ensure_ascii=False))


def test_two_cores_give_exactly_the_sequential_result(tmp_path, monkeypatch):
    """A large CSV is cut at a record boundary; records, lines, counts and problems merge."""
    recs = exports.records(3000, seed=9)
    rows = list(exports.kokuho_rows(recs, plant=False))
    for n in (7, 1500, 2900):
        rows[n][4] = "H31.5.1"  # 令和の日付: a problem in each half
    rows[2000][13] = '備考\n二行目, "引用"'  # a quoted field over two lines in the second half
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(exports.KOKUHO_HEADER)
    writer.writerows(rows[:1000])
    buffer.write("\r\n")  # a blank line: not a record
    writer.writerows(rows[1000:])
    path = tmp_path / "big.cp932.csv"
    path.write_bytes(buffer.getvalue().encode("cp932"))
    mapping = _mapping_for(FIXTURES / "kokuho.cp932.csv")
    calls = []
    in_two = twocores.convert_in_two
    monkeypatch.setattr(twocores, "convert_in_two", lambda *a: calls.append(a) or in_two(*a))
    results = []
    for workers in (1, 2):
        out = io.StringIO()
        summary = convert(path, mapping, out, workers=workers, max_problems=2)
        results.append((summary.to_dict(), out.getvalue()))
    assert len(calls) == 1 and 0 < calls[0][1].offset < path.stat().st_size
    assert results[0] == results[1]
    summary, text = results[1]
    assert summary["rows"] == 3000 and summary["problems_total"] == 3
    assert [(p["row"], p["line"]) for p in summary["problems"]] == [(8, 9), (1501, 1503)]
    assert _validate(text).counts == {"V_DATE": 3}


@pytest.mark.parametrize(
    "cell", ["a,b", 'say "hi"', "two\nlines", "cr\rhere", "", "  spaced  ", "plain"]
)
def test_cells_that_need_quoting_survive_the_fast_writer(cell):
    mapping = _doc(segment={"column": "区分"}, incomeSegment={"column": "所得区分"})
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["区分", "所得区分"], [cell, "x"], ["y", cell]])
    _summary, text = _convert(_csv(buffer.getvalue()), mapping)
    assert list(csv.reader(io.StringIO(text)))[1:] == [[cell, "x"], ["y", cell]]


def test_a_single_empty_column_is_not_written_as_a_blank_line():
    mapping = _doc(segment={"column": "区分"})
    _summary, text = _convert(_csv("区分,備考\n,a\nb,c\n"), mapping)
    assert list(csv.reader(io.StringIO(text))) == [["segment"], [""], ["b"]]


def test_lines_stay_exact_after_blank_rows_and_cells_over_two_lines():
    mapping = _doc(
        designatedMedicalInstitutions={"column": "医療機関"},
        validFrom={"column": "開始日", "conversions": [{"op": "date", "forms": ["wareki"]}]},
        isNotDisclosed={"column": "不開示"},
    )
    data = (
        '医療機関,開始日,不開示\r\nA,R7.4.1,0\r\n\r\n"B\r\n二行目",R7.4.1,0\r\n'
        ",,\r\nC,R7.2.30,0\r\n"
    )
    summary, text = _convert(_csv(data), mapping)
    assert summary.rows == 3
    assert [(p.row, p.line, p.value) for p in summary.problems] == [(3, 7, "R7.2.30")]
    assert list(csv.reader(io.StringIO(text)))[1:] == [
        ["0", "A", "2025-04-01"],
        ["0", "B\r\n二行目", "2025-04-01"],
        ["0", "C", "R7.2.30"],
    ]
