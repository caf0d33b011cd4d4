"""The 変換仕様書: every field with its source, its conversion in plain Japanese and masked
examples from the vendor's own file; as CSV (UTF-8 with BOM) and as an Excel workbook."""

import csv
import datetime as dt
import io
import re
from pathlib import Path

from openpyxl import load_workbook

from uploads.lib.doctor import new_mapping, profile_file
from uploads.lib.doctor.spec import (
    HEADER,
    specification,
    write_specification_csv,
    write_specification_xlsx,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "uploads" / "doctor"
KOKUHO = FIXTURES / "kokuho.cp932.csv"


def _mapping():
    mapping = profile_file(KOKUHO, today=dt.date(2025, 6, 1)).mapping()
    mapping["fields"]["orgSpecificCertificateTypeId"] = {"value": "=HYPERLINK(1)"}
    return mapping


def _rows():
    return {r.field: r for r in specification(_mapping(), KOKUHO)}


def test_each_field_says_where_it_comes_from_and_how_it_is_converted():
    rows = _rows()
    assert list(rows)[:3] == ["orgSpecificCertificateTypeId", "myNumber", "basicFiveInfo.name"]
    sex = rows["basicFiveInfo.sex"]
    assert (sex.label, sex.required, sex.source) == ("性別", "必須", "列「性別」")
    assert sex.conversion == "値を対応表で置き換える（男→1、女→2、不明→0）。表にない値はエラー。"
    assert sex.examples == (("男", "1"), ("女", "2"), ("不明", "0"))
    birth = rows["basicFiveInfo.dateOfBirth"]
    assert birth.conversion.startswith("日付を西暦の YYYY-MM-DD にする（元の書き方: 和暦")
    assert birth.examples[0] == ("平＊**年**月**日", "****-**-**")  # masked: personal
    assert rows["validFrom"].examples == (("R7.4.1", "2025-04-01"),)
    assert rows["myNumber"].conversion == "変換なし（値をそのまま使う）"
    assert rows["myNumber"].examples[0][0].startswith("********")
    kana = rows["basicFiveInfo.nameKana"]
    assert kana.examples[0] == ("ｻ*** **", "サ＊＊＊\u3000＊＊")
    assert rows["isAlwaysReimbursement"].conversion == (
        "必須の項目です。割り当てる列か固定値を決めてください。"
    )
    assert rows["historyKey"].required == "差分ファイルでは必須"
    assert rows["isNotDisclosed"].examples == (("（空欄）", "0"),)


def test_examples_come_only_from_rows_clearly_disclosed():
    mapping = new_mapping()
    mapping["fields"] = {"segment": {"column": "区分"}}
    data = io.BytesIO("区分\n一般\n".encode())
    [segment] = [r for r in specification(mapping, data) if r.field == "segment"]
    assert segment.examples == ()  # no non-disclosure column: fails closed
    mapping["fields"]["isNotDisclosed"] = {"column": "不開示"}
    data = io.BytesIO("区分,不開示\n上位,1\n一般,0\n".encode())
    [segment] = [r for r in specification(mapping, data) if r.field == "segment"]
    assert segment.examples == (("一般", "一般"),)


def test_without_a_file_there_are_no_examples():
    rows = specification(_mapping())
    assert all(r.examples == () for r in rows)


def test_csv_is_utf8_with_bom_and_never_a_formula():
    out = io.BytesIO()
    write_specification_csv(specification(_mapping(), KOKUHO), out)
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    fixed = next(r for r in rows if r[0] == "orgSpecificCertificateTypeId")
    assert fixed[3] == "固定値「=HYPERLINK(1)」"
    assert fixed[5] == "（なし） → =HYPERLINK(1)"
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    assert not re.search(r"\d{12}", data.decode("utf-8-sig"))


def test_xlsx_has_the_same_rows_as_text_cells():
    rows = specification(_mapping(), KOKUHO)
    out = io.BytesIO()
    write_specification_xlsx(rows, out, title="A市 子ども医療 変換仕様書")
    book = load_workbook(io.BytesIO(out.getvalue()))
    ws = book["変換仕様書"]
    assert ws["A1"].value == "A市 子ども医療 変換仕様書"
    assert [c.value for c in ws[2]] == HEADER
    assert ws.max_row == 2 + len(rows)
    assert ws["D3"].value == "固定値「=HYPERLINK(1)」" and ws["D3"].data_type == "s"
    assert ws["F3"].data_type == "s"
    sex_row = next(
        r for r in ws.iter_rows(min_row=3, values_only=True) if r[0] == "basicFiveInfo.sex"
    )
    assert sex_row[5:8] == ("男 → 1", "女 → 2", "不明 → 0")
