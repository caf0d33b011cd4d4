"""Profiling real-looking exports: the proposed mapping, its confidences, what stays unmapped,
and that only masked samples come out."""

import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest

from tests.fixtures.uploads.doctor import exports
from uploads.lib.doctor import profile_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "uploads" / "doctor"
TODAY = dt.date(2025, 6, 1)


def _profile(name: str):
    return profile_file(FIXTURES / name, today=TODAY)


def _proposed(profile) -> dict[str, str]:
    return {f.field: f.column for f in profile.fields if f.column is not None}


def _confidence(profile, field: str) -> float:
    return next(f.confidence for f in profile.fields if f.field == field)


def test_cp932_export_with_japanese_headers_in_another_order():
    profile = _profile("kokuho.cp932.csv")
    assert (profile.format, profile.encoding, profile.header_line) == ("csv", "cp932", 1)
    assert _proposed(profile) == {
        "myNumber": "個人番号",
        "basicFiveInfo.name": "氏名",
        "basicFiveInfo.nameKana": "ｶﾅ氏名",
        "basicFiveInfo.address": "住所",
        "basicFiveInfo.dateOfBirth": "生年月日",
        "basicFiveInfo.sex": "性別",
        "isNotDisclosed": "DV支援措置",
        "medicalSubsidyInsurerNumber": "公費負担者番号",
        "certificationName": "受給者証名称",
        "medicalSubsidyRecipientNumber": "受給者番号",
        "incomeSegment": "所得区分",
        "validFrom": "有効開始日",
        "validTo": "有効終了日",
    }
    # Layout names with values that fit > vendor names with values that fit > a layout name
    # whose values fit only partly (受給者番号: local programs have other numbers).
    assert _confidence(profile, "basicFiveInfo.address") == 1.0
    assert _confidence(profile, "myNumber") > _confidence(profile, "validFrom") == 0.9
    assert _confidence(profile, "validFrom") > _confidence(profile, "basicFiveInfo.nameKana")
    assert 0.9 > _confidence(profile, "basicFiveInfo.nameKana") > 0.8


def test_cp932_export_conversions_proposed_from_the_values():
    fields = {f.field: f for f in _profile("kokuho.cp932.csv").fields}
    assert fields["basicFiveInfo.dateOfBirth"].conversions == [{"op": "date", "forms": ["wareki"]}]
    assert fields["validFrom"].conversions == [{"op": "date", "forms": ["wareki"]}]
    assert fields["basicFiveInfo.nameKana"].conversions == [
        {"op": "kana", "hiragana": True, "space": True}
    ]
    assert fields["basicFiveInfo.sex"].conversions == [
        {"op": "map", "table": {"男": "1", "女": "2", "不明": "0"}}
    ]
    assert fields["isNotDisclosed"].conversions == [
        {"op": "map", "table": {"○": "1", "": "0", "×": "0"}}
    ]
    assert fields["myNumber"].conversions == []  # the engine reads the rest as it is
    assert fields["basicFiveInfo.dateOfBirth"].reason == (
        "列名「生年月日」が項目名「生年月日」と一致します。見本14件のうち93%が1年以上前の日付です。"
    )


def test_unmapped_columns_and_unmatched_required_fields_are_explained():
    profile = _profile("kokuho.cp932.csv")
    assert [c.name for c in profile.unmapped_columns] == ["備考"]
    # 備考 holds a few kanji words, which look a little like names.
    assert profile.unmapped_columns[0].note.startswith(
        "「氏名」の候補でしたが、より当てはまる列「氏名」を割り当てました。"
    )
    missing = {f.field: f.reason for f in profile.unmatched_required}
    assert set(missing) == {"orgSpecificCertificateTypeId", "isAlwaysReimbursement"}
    assert "固定値" in missing["orgSpecificCertificateTypeId"]
    assert "固定値「0」" in missing["isAlwaysReimbursement"]
    assert all(reason.startswith("必須の項目です。") for reason in missing.values())


def test_xlsx_with_a_title_row_and_numbers_stored_as_numbers():
    profile = _profile("kodomo-title-row.xlsx")
    assert (profile.format, profile.sheet, profile.header_line) == ("xlsx", "受給者一覧", 4)
    fields = {f.field: f for f in profile.fields}
    assert fields["myNumber"].column == "個人番号"
    assert fields["myNumber"].conversions == [{"op": "exponent"}, {"op": "pad", "width": 12}]
    assert fields["medicalSubsidyRecipientNumber"].conversions == [{"op": "pad", "width": 7}]
    assert fields["validFrom"].conversions == [{"op": "date", "forms": ["excel_serial"]}]
    assert fields["validTo"].conversions == []  # real date cells
    assert fields["maxCopaymentAmount.monthlyCap"].conversions == [{"op": "integer"}]
    assert fields["basicFiveInfo.nameKana"].conversions[0]["op"] == "kana"  # some hiragana
    codes = next(c for c in profile.columns if c.name == "市町村コード")
    assert codes.field is None and codes.samples == ("131016",)


def test_romanised_vendor_headers_and_era_code_dates():
    profile = _profile("vendor.utf8-bom.csv")
    assert profile.encoding == "utf-8-sig"
    fields = {f.field: f for f in profile.fields}
    assert fields["basicFiveInfo.dateOfBirth"].conversions == [
        {"op": "date", "forms": ["era_code"]}
    ]
    assert fields["basicFiveInfo.sex"].conversions == [
        {"op": "map", "table": {"M": "1", "F": "2", "": "0"}}
    ]
    assert fields["isNotDisclosed"].conversions == [{"op": "map", "table": {"無": "0", "有": "1"}}]
    assert fields["validFrom"].conversions == []  # YYYYMMDD: the engine reads it
    assert "よく使われる列名「KOJIN_NO」" in fields["myNumber"].reason


def test_values_alone_propose_a_field_with_less_confidence_than_a_header():
    recs = exports.records(30, seed=3)
    lines = ["番号A,番号B,かな,日付"]
    for r in recs:
        b = r["basicFiveInfo"]
        lines.append(
            f"{r['myNumber']},{r['medicalSubsidyInsurerNumber']},"
            f"{exports._half_kana(b['nameKana'])},{b['dateOfBirth']}"
        )
    profile = profile_file(io.BytesIO("\n".join(lines).encode()), today=TODAY)
    fields = {f.field: f for f in profile.fields}
    assert fields["myNumber"].column == "番号A"
    assert fields["medicalSubsidyInsurerNumber"].column == "番号B"
    assert fields["basicFiveInfo.nameKana"].column == "かな"
    assert fields["basicFiveInfo.dateOfBirth"].column == "日付"
    assert 0.9 >= fields["myNumber"].confidence > fields["medicalSubsidyInsurerNumber"].confidence
    assert (
        fields["medicalSubsidyInsurerNumber"].confidence
        > fields["basicFiveInfo.nameKana"].confidence
    )
    assert (
        fields["basicFiveInfo.nameKana"].confidence > fields["basicFiveInfo.dateOfBirth"].confidence
    )
    assert "列名" not in fields["myNumber"].reason
    assert "100%が個人番号の検査数字が正しい12桁の数字" in fields["myNumber"].reason


def test_a_header_whose_values_do_not_fit_loses_confidence():
    data = "個人番号,氏名\n12345,山田\n67890,佐藤\n".encode()
    profile = profile_file(io.BytesIO(data), today=TODAY)
    assert _confidence(profile, "myNumber") == 0.7
    assert "0%が個人番号" in next(f.reason for f in profile.fields if f.field == "myNumber")


def test_each_column_is_proposed_for_one_field_at_most():
    data = "生年月日,開始日,終了日\nS55.1.1,R7.4.1,R8.3.31\n".encode()
    profile = profile_file(io.BytesIO(data), today=TODAY)
    columns = [f.column for f in profile.fields if f.column]
    assert sorted(columns) == sorted(set(columns)) == ["生年月日", "終了日", "開始日"]
    assert _proposed(profile)["validFrom"] == "開始日"


@pytest.mark.parametrize(
    "name", ["kokuho.cp932.csv", "kodomo-title-row.xlsx", "vendor.utf8-bom.csv"]
)
def test_only_masked_samples_come_out(name):
    profile = _profile(name)
    text = json.dumps(profile.to_dict(), ensure_ascii=False)
    assert not re.search(r"\d{12}", text)
    recs = {
        "kokuho.cp932.csv": exports.records(**exports.KOKUHO_RECORDS),
        "kodomo-title-row.xlsx": exports.kodomo_records(),
        "vendor.utf8-bom.csv": exports.records(**exports.VENDOR_RECORDS),
    }[name]
    for r in recs:
        b = r["basicFiveInfo"]
        for secret in (b["name"], b["address"], b["nameKana"], b["dateOfBirth"]):
            assert secret not in text
    personal = {c.name for c in profile.columns if c.personal}
    assert {"氏名", "住所"} <= personal or {"SHIMEI", "JUSHO"} <= personal


def test_samples_never_come_from_rows_under_a_non_disclosure_measure():
    data = ("個人番号,受給者番号,不開示\n123456789018,1234566,1\n987654321093,7654321,0\n").encode()
    profile = profile_file(io.BytesIO(data), today=TODAY)
    column = next(c for c in profile.columns if c.name == "受給者番号")
    assert column.samples == ("7654321",)
