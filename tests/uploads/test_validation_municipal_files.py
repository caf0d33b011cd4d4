"""The inputs municipalities actually send (issue 19), judged as PMH will judge them.

One test (or a few) per point of the issue, each asserting the exact issues: code, severity,
row and field. ``both`` runs the CSV and the JSON form of the same records where a rule is not
specific to one format, and they must agree.
"""

import copy
import datetime as dt
import io
import json

import pytest

from tests.uploads.submission_helpers import store_of
from uploads.lib.validation import InMemoryStore, samples, summary_text, validate_file
from uploads.lib.validation.layout import load_layout

TODAY = dt.date(2025, 6, 1)
INSURER = "medicalSubsidyInsurerNumber"


def record(**changes):
    """A valid 指定難病 (法別 54) record, disclosed, with ``changes`` (a__b for a.b)."""
    base = copy.deepcopy(samples.records(1, seed=5)[0])
    base["isNotDisclosed"] = False
    base[INSURER] = samples.insurer_number("54")
    base["medicalSubsidyRecipientNumber"] = "1234566"
    for path, value in changes.items():
        samples._set(base, path.replace("__", "."), value)
    return base


def run(data: bytes, **kwargs):
    kwargs.setdefault("today", TODAY)
    return validate_file(io.BytesIO(data), **kwargs)


def csv_of(records, **kwargs):
    return run(samples.csv_bytes(records), **kwargs)


def json_of(records, **kwargs):
    return run(samples.json_bytes(records), **kwargs)


def issues(report):
    return [(i.code, i.severity, i.row, i.field) for i in report.issues]


def both(records, **kwargs):
    """The CSV and the JSON report of the same records: the same issues, the same verdict."""
    from_csv, from_json = csv_of(records, **kwargs), json_of(records, **kwargs)
    assert issues(from_csv) == issues(from_json)
    assert (from_csv.accepted, from_csv.valid_rows) == (from_json.accepted, from_json.valid_rows)
    return from_csv


# 1. Unknown JSON keys ----------------------------------------------------------------------


def test_a_misspelt_json_key_is_reported_once_with_the_key_it_probably_meant():
    recs = [record(), record(myNumber="987654321093"), record(myNumber="111111111118")]
    for rec in recs[1:]:
        rec["medicalSubsidyInsureNumber"] = rec.pop(INSURER)
    report = json_of(recs)
    assert issues(report) == [("F_HEADER_UNKNOWN", "warning", 2, "medicalSubsidyInsureNumber")]
    assert "「medicalSubsidyInsurerNumber」の誤りではありませんか" in report.issues[0].message
    assert report.accepted and report.warnings == 1


def test_unknown_keys_of_nested_objects_and_list_items_are_named_by_their_path():
    rec = record()
    rec["basicFiveInfo"]["nmae"] = rec["basicFiveInfo"].pop("name")
    rec["certificationDetail"] = [
        {"itemName": "病名", "itemValue": "パーキンソン病"},
        {"itemName": "負担上限月額", "itemValue": "10,000円"},
    ]
    report = json_of([rec])
    assert issues(report) == [
        ("F_HEADER_UNKNOWN", "warning", 1, "basicFiveInfo.nmae"),
        ("F_HEADER_UNKNOWN", "warning", 1, "certificationDetail[1].itemName"),
        ("F_HEADER_UNKNOWN", "warning", 1, "certificationDetail[1].itemValue"),
        ("V_REQUIRED", "error", 1, "basicFiveInfo.name"),
    ]
    assert "「basicFiveInfo.name」" in report.issues[0].message
    assert "誤りではありませんか" not in report.issues[1].message  # nothing close to label


def test_a_key_at_the_wrong_level_points_to_its_place():
    rec = record()
    rec["name"] = rec["basicFiveInfo"].pop("name")
    report = json_of([rec])
    assert issues(report) == [
        ("F_HEADER_UNKNOWN", "warning", 1, "name"),
        ("V_REQUIRED", "error", 1, "basicFiveInfo.name"),
    ]
    assert "「basicFiveInfo.name」" in report.issues[0].message


def test_an_unknown_csv_column_gets_the_same_hint():
    data = samples.csv_bytes([record()]).decode()
    data = data.replace("medicalSubsidyInsurerNumber", "medicalSubsidyInsureNumber", 1)
    report = run(data.encode())
    assert issues(report) == [("F_HEADER_UNKNOWN", "warning", None, "medicalSubsidyInsureNumber")]
    assert "「medicalSubsidyInsurerNumber」の誤りではありませんか" in report.issues[0].message


def test_json_lines_report_unknown_keys_too_and_a_known_key_never():
    rec = record(myNumber="987654321093")
    rec["memo"] = "x"
    again = {**rec, "myNumber": "111111111118"}
    report = run(samples.json_bytes([record(), rec, again], lines=True))
    assert issues(report) == [("F_HEADER_UNKNOWN", "warning", 2, "memo")]
    assert report.issues[0].line == 2
    assert "誤りではありませんか" not in report.issues[0].message


# 2. JSON numbers for string codes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value"), [("basicFiveInfo.sex", 1), ("isAlwaysReimbursement", 0)]
)
def test_codes_sent_as_json_numbers_are_v_type(path, value):
    report = json_of([record(**{path.replace(".", "__"): value})])
    assert issues(report) == [("V_TYPE", "error", 1, path)]
    assert "引用符" in report.issues[0].message


def test_amounts_stay_json_numbers():
    assert json_of([record(maxCopaymentAmount__monthlyCap=10000)]).accepted


# 3. Diff delete rows are full records ---------------------------------------------------------


def test_a_key_only_delete_row_is_refused_in_json_as_in_csv():
    full = record(historyKey="H1", isDeleted=True)
    key_only = {k: full.get(k) for k in ("orgSpecificCertificateTypeId", "myNumber", "historyKey")}
    key_only["isDeleted"] = True
    report = json_of([key_only], mode="diff")
    required = [
        spec.path for spec in load_layout().fields if spec.required_in("diff") and spec.path
        not in key_only
    ]  # fmt: skip
    expected = [("V_REQUIRED", "error", 1, path) for path in required]
    expected.append(("V_REQUIRED", "error", 1, "certificationDetail"))
    assert issues(report) == [*expected, ("K_DELETE_UNKNOWN", "warning", 1, None)]
    assert not report.accepted
    data = "orgSpecificCertificateTypeId,myNumber,historyKey,isDeleted\r\n"
    data += f"{full['orgSpecificCertificateTypeId']},{full['myNumber']},H1,1\r\n"
    report = run(data.encode(), mode="diff")
    assert {c for c, *_ in issues(report)} == {"F_HEADER_MISSING"}


def test_a_full_delete_row_deletes_in_both_formats():
    recs = samples.records(10, mode="diff")
    store = InMemoryStore()
    run(samples.csv_bytes(recs), on_record=lambda r: store.put(r.key, r.fingerprint))
    recs[1]["isDeleted"] = True
    for data in (samples.csv_bytes(recs), samples.json_bytes(recs)):
        report = run(data, mode="diff", store=store)
        assert report.accepted and report.issues == []
        assert report.diff == {"inserted": 0, "updated": 9, "deleted": 1}


def test_is_deleted_must_be_a_json_boolean():
    report = json_of([record(historyKey="H1", isDeleted="true")], mode="diff")
    assert issues(report) == [("V_BOOLEAN", "error", 1, "isDeleted")]


# 4. Insurer numbers in the 公費負担者番号 field -----------------------------------------------


@pytest.mark.parametrize(
    "number", ["01131010", "39131016", samples.insurer_number("06", "27", "999")]
)
def test_a_health_insurers_number_is_v_houbetsu_insurance(number):
    report = both([record(**{INSURER: number, "medicalSubsidyRecipientNumber": "X1"})])
    assert issues(report) == [("V_HOUBETSU_INSURANCE", "error", 1, INSURER)]
    assert "保険者番号を入力していませんか" in report.issues[0].message


# 5. Official column names ----------------------------------------------------------------------


def test_the_official_api_column_names_are_aliases():
    data = samples.csv_bytes([record()], aliases=True).decode()
    for ours, official in [
        ("個人番号", "個人番号(マイナンバー)"),
        ("受給者番号", "公費受給者番号"),
        ("有効期間開始日", "医療費助成資格有効期間開始日"),
        ("有効期間終了日", "医療費助成資格有効期間終了日"),
        ("負担率(日)", "負担率（日）"),
    ]:
        data = data.replace(f",{ours},", f",{official},", 1)
    data = data.replace("個人番号(マイナンバー)", "個人番号（マイナンバー）", 1)  # full-width
    assert "医療費助成資格有効期間終了日" in data and "個人番号（マイナンバー）" in data
    report = run(data.encode())
    assert report.accepted and report.issues == []


# 6. Kana of foreign residents, and a half-width space --------------------------------------


@pytest.mark.parametrize("kana", ["スミス・ジョン", "スミス＝ジョン", "グエン・ヴァン＝アン"])
def test_foreign_residents_kana_is_valid(kana):
    report = both([record(basicFiveInfo__nameKana=kana)])
    assert report.accepted and report.issues == []


def test_a_half_width_space_between_names_is_a_kana_warning():
    report = both([record(basicFiveInfo__nameKana="ヤマダ タロウ")])
    assert issues(report) == [("V_KANA", "warning", 1, "basicFiveInfo.nameKana")]
    assert "全角スペース" in report.issues[0].message and report.accepted


@pytest.mark.parametrize("kana", ["ヤマダ  タロウ", " ヤマダ", "ヤマダ ", "ﾔﾏﾀﾞ ﾀﾛｳ"])
def test_other_spaces_in_kana_stay_errors(kana):
    report = both([record(basicFiveInfo__nameKana=kana)])
    assert issues(report) == [("V_KANA", "error", 1, "basicFiveInfo.nameKana")]


# 7. A line break inside an address ---------------------------------------------------------


@pytest.mark.parametrize("address", ["東京都千代田区霞が関1-2-2\n中央合同庁舎", "東京都\r\n港区"])
def test_a_line_break_in_the_address_is_a_warning(address):
    report = both([record(basicFiveInfo__address=address)])
    assert issues(report) == [("V_CHARSET", "warning", 1, "basicFiveInfo.address")]
    assert report.accepted


def test_a_line_break_elsewhere_or_a_tab_in_the_address_stays_an_error():
    recs = samples.records(2)
    recs[0]["basicFiveInfo"]["name"] = "山田\n太郎"
    recs[1]["basicFiveInfo"]["address"] = "a\tb"
    for rec in recs:
        rec["isNotDisclosed"] = False
    report = both(recs)
    assert issues(report) == [
        ("V_CHARSET", "error", 1, "basicFiveInfo.name"),
        ("V_CHARSET", "error", 2, "basicFiveInfo.address"),
    ]


def test_an_address_with_a_line_break_and_too_long_is_only_the_length_error():
    report = both([record(basicFiveInfo__address="あ\n" * 101)])
    assert issues(report) == [("V_LENGTH", "error", 1, "basicFiveInfo.address")]


# 8. The EOF byte 0x1A ----------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["cp932", "utf-8"])
def test_one_trailing_eof_byte_is_ignored_with_a_file_warning(encoding):
    data = samples.csv_bytes(samples.records(3), encoding=encoding, aliases=True)
    for tail in (b"\x1a", b""):
        report = run(data.rstrip(b"\r\n") + tail)
        assert report.accepted and report.rows == 3
    report = run(data + b"\x1a")
    assert issues(report) == [("F_EOF_MARKER", "warning", None, None)]
    assert report.accepted and report.rows == report.valid_rows == 3


def test_the_eof_byte_after_json_too_but_only_one():
    data = samples.json_bytes(samples.records(2))
    report = run(data + b"\x1a")
    assert issues(report) == [("F_EOF_MARKER", "warning", None, None)] and report.accepted
    assert not run(data + b"\x1a\x1a").accepted


def test_an_eof_byte_alone_is_an_empty_file():
    report = run(b"\x1a")
    assert [c for c, *_ in issues(report)] == ["F_EOF_MARKER", "F_EMPTY"]


def test_the_eof_byte_of_a_large_file_validated_on_two_cores(tmp_path):
    path = tmp_path / "big.csv"
    samples.write_csv(path, samples.records(4000), aliases=True)
    with open(path, "ab") as fh:
        fh.write(b"\x1a")
    report = validate_file(path, workers=2, today=TODAY)
    assert issues(report) == [("F_EOF_MARKER", "warning", None, None)]
    assert report.rows == report.valid_rows == 4000


# 9. Dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2024-4-1", "2024/4/1", "2024-04-01", "20240401", "2024/04/01"])
def test_csv_dates_with_or_without_leading_zeros(value):
    report = csv_of([record(validFrom=value)])
    assert report.accepted and report.issues == []


def test_json_dates_stay_iso():
    assert issues(json_of([record(validFrom="2024-4-1")])) == [("V_DATE", "error", 1, "validFrom")]


# 10. V_SEX_NOT_MANAGED ---------------------------------------------------------------------


def test_sex_2_for_ikusei_iryou_is_a_warning():
    rec = record(**{INSURER: samples.insurer_number("16"), "basicFiveInfo__sex": "2"})
    report = both([rec])
    assert issues(report) == [("V_SEX_NOT_MANAGED", "warning", 1, "basicFiveInfo.sex")]
    assert report.accepted


# 11. Insurer and recipient check digits as warnings -------------------------------------------


def _bad(number):
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def test_insurer_check_digit_lowered_for_all_programs():
    local = record(
        **{INSURER: _bad(samples.insurer_number("81")), "medicalSubsidyRecipientNumber": "K1"}
    )
    national = record(myNumber="987654321093", medicalSubsidyRecipientNumber="1234567")
    assert issues(both([local, national])) == [
        ("V_CHECK_DIGIT", "error", 1, INSURER),
        ("V_CHECK_DIGIT", "error", 2, "medicalSubsidyRecipientNumber"),
    ]
    report = both([local, national], insurer_check="warning")
    assert issues(report) == [
        ("V_CHECK_DIGIT", "warning", 1, INSURER),
        ("V_CHECK_DIGIT", "warning", 2, "medicalSubsidyRecipientNumber"),
    ]
    assert report.accepted
    assert report.options == {"myNumberCheckDigit": "error", "insurerCheckDigit": "warning"}


def test_insurer_check_digit_lowered_for_listed_programs_only():
    numbers = [_bad(samples.insurer_number(h)) for h in ("81", "83", "85")]
    recs = [
        record(**{INSURER: n, "myNumber": samples.mynumber(__import__("random").Random(i)),
                  "medicalSubsidyRecipientNumber": "K1"})
        for i, n in enumerate(numbers)
    ]  # fmt: skip
    report = both(recs, insurer_check="warning", insurer_check_programs=["81", numbers[1]])
    assert issues(report) == [
        ("V_CHECK_DIGIT", "warning", 1, INSURER),
        ("V_CHECK_DIGIT", "warning", 2, INSURER),
        ("V_CHECK_DIGIT", "error", 3, INSURER),
    ]
    assert report.options["insurerCheckDigitPrograms"] == ["81", numbers[1]]


def test_a_lowered_check_digit_keeps_the_other_insurer_rules():
    number = _bad(samples.insurer_number("46", "27"))
    rec = record(**{INSURER: number, "medicalSubsidyRecipientNumber": "X1"})
    report = both([rec], insurer_check="warning", municipality_code="131016")
    assert issues(report) == [
        ("V_CHECK_DIGIT", "warning", 1, INSURER),
        ("V_HOUBETSU_UNKNOWN", "warning", 1, INSURER),
        ("V_PREFECTURE", "warning", 1, INSURER),
    ]
    stored = []
    run(samples.csv_bytes([rec]), insurer_check="warning", on_record=stored.append)
    assert stored[0].values[INSURER] == number


def test_an_insurance_number_with_a_lowered_check_digit_is_still_refused():
    rec = record(**{INSURER: _bad("01131010"), "medicalSubsidyRecipientNumber": "X1"})
    report = both([rec], insurer_check="warning")
    assert issues(report) == [("V_HOUBETSU_INSURANCE", "error", 1, INSURER)]


def test_bad_insurer_check_options_are_refused():
    for kwargs in ({"insurer_check": "ignore"}, {"insurer_check_programs": ["8"]}):
        with pytest.raises(ValueError):
            csv_of([record()], **kwargs)


# 12. 外字 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("basicFiveInfo.name", "山田\u3000\ue000郎"),
        ("basicFiveInfo.name", "〓田\u3000太郎"),
        ("basicFiveInfo.nameKana", "ヤマ〓\u3000タロウ"),
        ("basicFiveInfo.address", "東京都千代田区●町1-1"),
        ("basicFiveInfo.address", "東京都\uf8ff区"),
    ],
)
def test_gaiji_in_name_kana_and_address_is_a_warning(path, value):
    report = both([record(**{path.replace(".", "__"): value})])
    assert issues(report) == [("V_GAIJI", "warning", 1, path)]
    assert "外字の可能性" in report.issues[0].message and report.accepted


def test_gaiji_elsewhere_passes_silently_and_cp932_user_characters_are_gaiji():
    assert both([record(certificationName="受給者証\ue000")]).issues == []
    data = samples.csv_bytes([record(basicFiveInfo__name="山田\u3000太郎")], encoding="cp932")
    data = data.replace("田".encode("cp932"), b"\xf0\x40", 1)  # the first user-defined character
    report = run(data)
    assert issues(report) == [("V_GAIJI", "warning", 1, "basicFiveInfo.name")]


def test_the_address_may_carry_both_of_its_warnings():
    report = both([record(basicFiveInfo__address="東京都〓区\n1-1")])
    assert issues(report) == [
        ("V_CHARSET", "warning", 1, "basicFiveInfo.address"),
        ("V_GAIJI", "warning", 1, "basicFiveInfo.address"),
    ]


# 13. Hints ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("sep", "word"), [("\t", "タブ"), (";", "「;」")])
def test_a_file_separated_by_tab_or_semicolon(sep, word):
    text = samples.csv_bytes([record()], aliases=True).decode()
    lines = [",".join(row) for row in _rows(text)]
    data = "\r\n".join(line.replace(",", sep) for line in lines).encode()
    report = run(data)
    assert issues(report) == [("F_HEADER_MISSING", "error", None, None)]
    assert f"区切り文字が{word}のようです" in report.issues[0].message


def _rows(text):
    import csv

    return [[c.replace(",", "、") for c in row] for row in csv.reader(io.StringIO(text))]


def test_a_title_row_above_the_header():
    data = "医療費助成受給者一覧（令和7年4月1日現在）,,\r\n\r\n".encode("cp932")
    data += samples.csv_bytes([record()], encoding="cp932", aliases=True)
    report = run(data)
    assert issues(report) == [("F_HEADER_MISSING", "error", None, None)]
    assert "その2行下に見出し行があるようです" in report.issues[0].message


def test_an_euc_jp_file_says_so():
    text = samples.csv_bytes([record(incomeSegment="一般")], aliases=True).decode()
    report = run(text.encode("euc_jp"))
    assert issues(report) == [("F_ENCODING", "error", None, None)]  # its code of today
    assert "EUC-JP のようです" in report.issues[0].message
    # the same file in CP932 or UTF-8 gets no such hint
    assert run(text.encode("cp932")).accepted and run(text.encode()).accepted


def test_an_euc_jp_file_that_cp932_can_read_says_so_on_its_rows():
    rec = record(basicFiveInfo__name="YAMADA", basicFiveInfo__nameKana="ヤマダ\u3000タロウ")
    for path in ("basicFiveInfo__address", "certificationName"):
        samples._set(rec, path.replace("__", "."), "TOKYO")
    for path in ("incomeSegment", "segment", "designatedMedicalInstitutions"):
        rec[path] = None
    rec["certificationDetail"] = []
    report = run(samples.csv_bytes([rec]).decode().encode("euc_jp"))
    assert issues(report) == [("V_KANA", "error", 1, "basicFiveInfo.nameKana")]
    assert "EUC-JP のようです" in report.issues[0].message


def test_a_cp932_file_of_half_width_kana_is_not_taken_for_euc_jp():
    rec = record(basicFiveInfo__nameKana="ﾔﾏﾀﾞ\u3000ﾀﾛｳ")
    report = run(samples.csv_bytes([rec], encoding="cp932"))
    assert issues(report) == [("V_KANA", "error", 1, "basicFiveInfo.nameKana")]
    assert "EUC-JP" not in report.issues[0].message


@pytest.mark.parametrize(
    ("path", "value", "code", "hint"),
    [
        (INSURER, "54131016 ", "V_CHARSET", "固定長"),
        (INSURER, "\u300054131016", "V_CHARSET", "固定長"),
        ("medicalSubsidyRecipientNumber", '="1234566"', "V_CHARSET", '="…"'),
        ("medicalSubsidyRecipientNumber", "'1234566", "V_CHARSET", "文字列指定の '"),
        ("myNumber", "23456789018", "V_LENGTH", "先頭の0が消えた"),
        ("medicalSubsidyRecipientNumber", "234566", "V_LENGTH", "先頭の0が消えた"),
        (INSURER, "8131012", "V_LENGTH", "先頭の0が消えた"),
        ("basicFiveInfo.dateOfBirth", "4120101", "V_DATE", "元号コード"),
        ("basicFiveInfo.dateOfBirth", "2001-02-03 ", "V_DATE", "固定長"),
        ("basicFiveInfo.sex", "1 ", "V_CODE", "固定長"),
    ],
)
def test_hints_say_what_probably_happened(path, value, code, hint):
    report = csv_of([record(**{path.replace(".", "__"): value})])
    assert issues(report) == [(code, "error", 1, path)]
    assert hint in report.issues[0].message
    if len(value.strip()) >= 5:
        assert value.strip(" \u3000=\"'") not in report.issues[0].message  # never the value


# 14. Mass removal ------------------------------------------------------------------------------


def _stored(records):
    return store_of(samples.csv_bytes(records))


def test_a_full_file_removing_more_than_a_fifth_of_the_store_warns_at_the_top():
    recs = samples.records(10)
    store = _stored(recs)
    sex, recs[9]["basicFiveInfo"]["sex"] = recs[9]["basicFiveInfo"]["sex"], "9"
    assert "K_MASS_REMOVAL" not in csv_of(recs[3:], store=store).counts  # rejected: no diff
    recs[9]["basicFiveInfo"]["sex"] = sex
    kept = recs[3:]
    kept[0]["basicFiveInfo"]["nameKana"] = "ヤマダ タロウ"  # a row warning before it
    report = both(kept, store=store)
    assert issues(report) == [
        ("K_MASS_REMOVAL", "warning", None, None),
        ("V_KANA", "warning", 1, "basicFiveInfo.nameKana"),
    ]
    issue = report.issues[0]
    assert issue.extra == {"removed": 3, "stored": 10}
    assert "10件のうち3件（30%）" in issue.message
    assert report.diff["removed"] == 3 and report.accepted
    text = summary_text(report)
    assert text.index("削除されるレコード: 3件") < text.index("K_MASS_REMOVAL")


def test_a_fifth_exactly_is_no_mass_removal():
    recs = samples.records(10)
    report = csv_of(recs[2:], store=_stored(recs))
    assert report.diff["removed"] == 2 and report.issues == []


def test_a_diff_deleting_more_than_a_fifth_warns():
    recs = samples.records(10, mode="diff")
    store = _stored(recs)
    deletes = [{**r, "isDeleted": True} for r in recs[:3]]
    report = both(deletes, mode="diff", store=store)
    assert issues(report) == [("K_MASS_REMOVAL", "warning", None, None)]
    assert report.issues[0].extra == {"deleted": 3, "stored": 10}
    assert report.diff == {"inserted": 0, "updated": 0, "deleted": 3}


def test_the_sink_gets_the_mass_removal_warning_last():
    recs = samples.records(5)
    seen = []
    report = csv_of(recs[:1], store=_stored(recs), on_issue=seen.append)
    assert [i.code for i in seen] == ["K_MASS_REMOVAL"] == [i.code for i in report.issues]


# 15. 法別 12 (医療扶助) ---------------------------------------------------------------------------


def test_houbetsu_12_is_a_warning_with_its_own_hint():
    rec = record(**{INSURER: samples.insurer_number("12")})
    report = both([rec])
    assert issues(report) == [("V_HOUBETSU_UNKNOWN", "warning", 1, INSURER)]
    assert "別の手続き" in report.issues[0].message
    number = rec[INSURER]
    assert issues(both([rec], programs=[number])) == issues(report)


# The same records as CSV and as JSON ---------------------------------------------------------


def test_csv_and_json_of_the_same_municipal_records_give_the_same_verdict():
    recs = samples.records(12)
    for rec in recs:
        rec["isNotDisclosed"] = False
    recs[0]["basicFiveInfo"]["nameKana"] = "スミス・ジョン"
    recs[1]["basicFiveInfo"]["nameKana"] = "ヤマダ タロウ"
    recs[2]["basicFiveInfo"]["address"] = "東京都港区\n芝公園"
    recs[3]["basicFiveInfo"]["name"] = "〓田\u3000花子"
    recs[4][INSURER] = "01131010"
    recs[5][INSURER] = samples.insurer_number("12")
    recs[5]["medicalSubsidyRecipientNumber"] = "1234566"
    recs[6][INSURER] = samples.insurer_number("21")
    recs[6]["medicalSubsidyRecipientNumber"] = "1234566"
    recs[6]["basicFiveInfo"]["sex"] = "2"
    recs[7]["validTo"] = "2024-03-31"  # before validFrom
    recs[8]["myNumber"] = recs[9]["myNumber"]
    recs[8]["historyKey"] = recs[9]["historyKey"]
    recs[8]["orgSpecificCertificateTypeId"] = recs[9]["orgSpecificCertificateTypeId"]
    recs[8]["certificationSubKey"] = recs[9]["certificationSubKey"]
    report = both(recs)
    assert [(c, s, r) for c, s, r, _ in issues(report)] == [
        ("V_KANA", "warning", 2),
        ("V_CHARSET", "warning", 3),
        ("V_GAIJI", "warning", 4),
        ("V_HOUBETSU_INSURANCE", "error", 5),
        ("V_HOUBETSU_UNKNOWN", "warning", 6),
        ("V_SEX_NOT_MANAGED", "warning", 7),
        ("V_DATE_RANGE", "error", 8),
        ("K_DUPLICATE", "error", 10),
    ]
    text = json.dumps(report.to_dict(), ensure_ascii=False)
    assert recs[0]["myNumber"] not in text
