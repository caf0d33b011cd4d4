"""The combination rules of record-layout §9, and the field rules around them."""

import copy
import datetime as dt
import io

import pytest

from uploads.lib.validation import samples, validate_file

TODAY = dt.date(2025, 6, 1)


def record(**changes):
    base = samples.records(1, seed=5)[0]
    base = copy.deepcopy(base)
    base["isNotDisclosed"] = False
    base["medicalSubsidyInsurerNumber"] = samples.insurer_number("54")
    base["medicalSubsidyRecipientNumber"] = "1234566"
    for path, value in changes.items():
        samples._set(base, path.replace("__", "."), value)
    return base


def check_csv(rec, **kwargs):
    kwargs.setdefault("today", TODAY)
    return validate_file(io.BytesIO(samples.csv_bytes([rec])), **kwargs)


def check_json(rec, **kwargs):
    kwargs.setdefault("today", TODAY)
    return validate_file(io.BytesIO(samples.json_bytes([rec])), **kwargs)


def issues(report):
    return [(i.field, i.code, i.severity) for i in report.issues]


def test_a_valid_record_passes_in_csv_and_json():
    assert check_csv(record()).accepted
    assert check_json(record()).accepted


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "V_REQUIRED"),
        ("12345678901a", "V_CHARSET"),  # a non-digit in a digits-only field
        ("1234-5678-9018", "V_CHARSET"),
        ("１２３４５６７８９０１８", "V_CHARSET"),
        ("1.23457E+11", "V_CHARSET"),
        ("12345678901", "V_LENGTH"),  # wrong number of digits
        ("1234567890180", "V_LENGTH"),
        ("123456789012", "V_CHECK_DIGIT"),
    ],
)
def test_one_error_per_field_in_the_order_of_section_9(value, code):
    report = check_csv(record(myNumber=value))
    assert issues(report) == [("myNumber", code, "error")]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1,000", "V_NUMBER"),
        ("1.5", "V_NUMBER"),
        ("１０００", "V_NUMBER"),
        ("+5", "V_NUMBER"),
        ("-1", "V_RANGE"),
        ("10000000", "V_RANGE"),
        ("99999999999999999999999", "V_RANGE"),
        ("007", None),
    ],
)
def test_amounts_plain_integers(value, code):
    report = check_csv(record(maxCopaymentAmount__monthlyCap=value))
    assert issues(report) == ([("maxCopaymentAmount.monthlyCap", code, "error")] if code else [])


@pytest.mark.parametrize(
    ("value", "code"),
    [(1000, None), (1000.5, "V_NUMBER"), (-3, "V_RANGE"), (True, "V_TYPE")],
)
def test_amounts_may_be_json_numbers(value, code):
    report = check_json(record(maxCopaymentAmount__amountMonth=value))
    assert issues(report) == ([("maxCopaymentAmount.amountMonth", code, "error")] if code else [])


def test_a_5000_digit_json_integer_is_a_range_error():
    data = samples.json_bytes([record(maxCopaymentAmount__amountMonth=123)])
    data = data.replace(b'"amountMonth": 123', b'"amountMonth": ' + b"9" * 5000)
    report = validate_file(io.BytesIO(data), today=TODAY)
    assert issues(report) == [("maxCopaymentAmount.amountMonth", "V_RANGE", "error")]


@pytest.mark.parametrize(
    "path", ["myNumber", "medicalSubsidyInsurerNumber", "medicalSubsidyRecipientNumber"]
)
def test_identifiers_sent_as_json_numbers_are_v_type(path):
    rec = record()
    samples._set(rec, path, int(rec_value(rec, path)))
    report = check_json(rec)
    assert (path, "V_TYPE", "error") in issues(report)


def rec_value(rec, path):
    for part in path.split("."):
        rec = rec[part]
    return rec


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("ﾔﾏﾀﾞ", "半角カナ"),
        ("やまだ", "ひらがな"),
        (" ヤマダ", "空白"),
        ("ヤマダ  タロウ", "全角スペース"),
        ("YAMADA", ""),
    ],
)
def test_kana_field(value, hint):
    report = check_csv(record(basicFiveInfo__nameKana=value))
    assert issues(report) == [("basicFiveInfo.nameKana", "V_KANA", "error")]
    assert hint in report.issues[0].message


def test_kana_accepts_long_vowel_vu_and_ideographic_space():
    assert check_csv(record(basicFiveInfo__nameKana="ヴァーチャル\u3000ヶ")).accepted


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("2001-02-03", None),
        ("20010203", None),
        ("2001/02/03", None),
        ("2001/2/3", None),
        ("H13.2.3", "V_DATE"),
        ("平成13年2月3日", "V_DATE"),
        ("2001-2-3", None),
        ("2001-02-3", None),
        ("2001-002-03", "V_DATE"),
        ("2001-02-29", "V_DATE"),
        ("2000-02-29", None),
        ("0000-00-00", "V_DATE"),
        ("2001-02-03T00:00:00+09:00", "V_DATE"),
        ("1899-12-31", "V_DATE_RANGE"),
        ("2025-06-02", "V_DATE_RANGE"),
        ("2025-06-01", None),
    ],
)
def test_csv_dates(value, code):
    report = check_csv(record(basicFiveInfo__dateOfBirth=value))
    assert issues(report) == ([("basicFiveInfo.dateOfBirth", code, "error")] if code else [])


def test_json_dates_only_iso():
    report = check_json(record(basicFiveInfo__dateOfBirth="20010203"))
    assert issues(report) == [("basicFiveInfo.dateOfBirth", "V_DATE", "error")]


def test_date_order_names_the_later_field():
    report = check_csv(record(validFrom="2026-04-01", validTo="2026-03-31"))
    assert issues(report) == [("validTo", "V_DATE_RANGE", "error")]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("0", None),
        ("1", None),
        ("true", None),
        ("FALSE", None),
        ("True", None),
        ("1 ", "V_BOOLEAN"),
        ("１", "V_BOOLEAN"),
        ("2", "V_BOOLEAN"),
        ("yes", "V_BOOLEAN"),
    ],
)
def test_csv_booleans(value, code):
    report = check_csv(record(isNotDisclosed=value))
    assert [(f, c) for f, c, _ in issues(report)] == ([("isNotDisclosed", code)] if code else [])


@pytest.mark.parametrize("value", ["true", 1, "1"])
def test_json_booleans_only_true_false(value):
    report = check_json(record(isNotDisclosed=value))
    assert issues(report) == [("isNotDisclosed", "V_BOOLEAN", "error")]


def test_empty_string_and_null_are_absent_in_json():
    report = check_json(record(basicFiveInfo__name="", certificationName=None))
    assert issues(report) == [
        ("basicFiveInfo.name", "V_REQUIRED", "error"),
        ("certificationName", "V_REQUIRED", "error"),
    ]


def test_values_are_never_trimmed():
    report = check_csv(record(orgSpecificCertificateTypeId=" PMH01"))
    assert issues(report) == [("orgSpecificCertificateTypeId", "V_CHARSET", "error")]


def test_houbetsu_taken_even_when_check_digit_fails():
    rec = record(basicFiveInfo__sex="1", medicalSubsidyInsurerNumber="15131019")
    report = check_csv(rec)
    assert ("medicalSubsidyInsurerNumber", "V_CHECK_DIGIT", "error") in issues(report)
    assert ("basicFiveInfo.sex", "V_SEX_NOT_MANAGED", "warning") in issues(report)


def test_without_insurer_number_no_national_or_sex_rule():
    rec = record(medicalSubsidyInsurerNumber=None, medicalSubsidyRecipientNumber="AB12")
    assert check_csv(rec).accepted


@pytest.mark.parametrize("houbetsu", ["15", "16", "21"])
def test_sex_should_be_zero_for_jiritsu_shien(houbetsu):
    rec = record(medicalSubsidyInsurerNumber=samples.insurer_number(houbetsu))
    rec["basicFiveInfo"]["sex"] = "2"
    assert issues(check_csv(rec)) == [("basicFiveInfo.sex", "V_SEX_NOT_MANAGED", "warning")]
    rec["basicFiveInfo"]["sex"] = "0"
    assert check_csv(rec).accepted


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("123456", "V_LENGTH"),
        ("01234567", "V_LENGTH"),
        ("12345A6", "V_CHARSET"),
        ("1234567", "V_CHECK_DIGIT"),
        ("1234566", None),
    ],
)
def test_national_recipient_number(value, code):
    report = check_csv(record(medicalSubsidyRecipientNumber=value))
    expected = [("medicalSubsidyRecipientNumber", code, "error")] if code else []
    assert issues(report) == expected


def test_local_recipient_number_is_free_alnum():
    rec = record(medicalSubsidyInsurerNumber=samples.insurer_number("81"))
    rec["medicalSubsidyRecipientNumber"] = "K0001"
    assert check_csv(rec).accepted


def test_prefecture_out_of_range_is_an_error():
    rec = record(medicalSubsidyInsurerNumber=samples.insurer_number("54", "00"))
    assert issues(check_csv(rec)) == [("medicalSubsidyInsurerNumber", "V_PREFECTURE", "error")]


def test_warnings_stand_together_and_only_without_error():
    rec = record(medicalSubsidyInsurerNumber=samples.insurer_number("46", "27"))
    rec["medicalSubsidyRecipientNumber"] = "X1"
    report = check_csv(rec, municipality_code="131016")
    assert issues(report) == [
        ("medicalSubsidyInsurerNumber", "V_HOUBETSU_UNKNOWN", "warning"),
        ("medicalSubsidyInsurerNumber", "V_PREFECTURE", "warning"),
    ]
    assert report.accepted and report.valid_rows == 1
    bad = record(medicalSubsidyInsurerNumber="46271019")
    assert [c for _, c, _ in issues(check_csv(bad, municipality_code="131016"))] == [
        "V_CHECK_DIGIT"
    ]


def test_registered_program_makes_its_houbetsu_known():
    number = samples.insurer_number("46")
    rec = record(medicalSubsidyInsurerNumber=number, medicalSubsidyRecipientNumber="X1")
    assert check_csv(rec).warnings == 1
    assert check_csv(rec, programs=[number]).warnings == 0


def test_mynumber_check_digit_can_be_a_warning():
    report = check_csv(record(myNumber="123456789012"), mynumber_check="warning")
    assert issues(report) == [("myNumber", "V_CHECK_DIGIT", "warning")]
    assert report.accepted
    assert report.options == {"myNumberCheckDigit": "warning", "insurerCheckDigit": "error"}


def test_is_deleted_true_in_full_file_is_v_code():
    report = check_csv(record(isDeleted="1"))
    assert issues(report) == [("isDeleted", "V_CODE", "error")]


def test_diff_mode_requires_history_key_and_is_deleted():
    report = check_csv(record(historyKey=None), mode="diff")
    assert ("historyKey", "V_REQUIRED", "error") in issues(report)
    assert ("isDeleted", "V_REQUIRED", "error") in issues(report)


def test_a_full_delete_row_is_only_k_delete_unknown():
    rec = record(isDeleted=True)
    report = check_json(rec, mode="diff")
    assert issues(report) == [(None, "K_DELETE_UNKNOWN", "warning")]
    rec["basicFiveInfo"]["nameKana"] = "ﾔ"
    assert ("basicFiveInfo.nameKana", "V_KANA", "error") in issues(check_json(rec, mode="diff"))


def test_conditions_grammar():
    assert check_csv(record(additionalConditions="A01-1;B02-3")).accepted
    for bad in ("A01;B02", "A01-1;", "A-1-2", "Ａ01-1", "A01-1; B02-3"):
        report = check_csv(record(additionalConditions=bad))
        assert issues(report) == [("additionalConditions", "V_CONDITIONS", "error")], bad


def test_control_characters_are_charset_errors():
    for bad in ("山田\x1b[31m", "山田\u202e", "山田\n太郎"):
        report = check_json(record(basicFiveInfo__name=bad))
        assert issues(report) == [("basicFiveInfo.name", "V_CHARSET", "error")]


def test_lone_surrogate_from_json_escape_is_a_charset_error():
    data = samples.json_bytes([record()]).replace("パーキンソン病".encode(), b"\\ud800")
    report = validate_file(io.BytesIO(data), today=TODAY)
    assert [(i.field, i.code) for i in report.issues] == [
        ("certificationDetail[1].value", "V_CHARSET")
    ]
    report.to_json().encode("utf-8")  # the report itself stays encodable


def test_lengths_count_characters():
    assert check_csv(record(basicFiveInfo__name="髙" * 100)).accepted
    report = check_csv(record(basicFiveInfo__address="あ" * 100_000))
    assert issues(report) == [("basicFiveInfo.address", "V_LENGTH", "error")]


def test_json_duplicate_key_is_v_type_and_masks():
    text = samples.json_bytes([record()]).decode()
    text = text.replace(
        '"isNotDisclosed": false', '"isNotDisclosed": true, "isNotDisclosed": false'
    )
    text = text.replace('"segment": "一般"', '"segment": "x\\u0001"')
    report = validate_file(io.BytesIO(text.encode()), today=TODAY)
    assert issues(report) == [
        ("isNotDisclosed", "V_TYPE", "error"),
        ("segment", "V_CHARSET", "error"),
    ]
    assert report.issues[1].value == "(不開示)"


def test_json_containers_of_the_wrong_type():
    rec = record()
    rec["basicFiveInfo"] = "山田"
    rec["certificationDetail"] = [{"label": "a", "value": 1}, "x"]
    assert issues(check_json(rec)) == [
        ("basicFiveInfo", "V_TYPE", "error"),
        ("certificationDetail[1].value", "V_TYPE", "error"),
        ("certificationDetail[2]", "V_TYPE", "error"),
    ]


def test_certification_detail_required_in_json_but_empty_list_is_fine():
    rec = record()
    rec["certificationDetail"] = []
    assert check_json(rec).accepted
    del rec["certificationDetail"]
    assert issues(check_json(rec)) == [("certificationDetail", "V_REQUIRED", "error")]


def test_blank_lines_are_skipped_and_lines_counted():
    data = samples.csv_bytes(samples.records(2)).replace(b"\r\n", b"\r\n\r\n", 1)
    report = validate_file(io.BytesIO(data + b"\r\n\r\n\r\n"), today=TODAY)
    assert report.rows == 2 and report.accepted


def test_quoted_newline_keeps_physical_lines():
    recs = samples.records(3)
    recs[0]["designatedMedicalInstitutions"] = "A病院\nB病院"
    recs[2]["myNumber"] = "123456789012"
    report = validate_file(io.BytesIO(samples.csv_bytes(recs, newline="\n")), today=TODAY)
    assert [(i.row, i.line) for i in report.issues] == [(3, 5)]


def test_cp932_trail_byte_5c_inside_quotes():
    recs = samples.records(2)
    recs[0]["basicFiveInfo"]["address"] = "表,ソ"
    recs[1]["certificationDetail"][0]["value"] = '十"能'
    data = samples.csv_bytes(recs, encoding="cp932")
    assert validate_file(io.BytesIO(data), today=TODAY).accepted


def test_header_aliases_after_nfkc_trim_and_case():
    data = samples.csv_bytes(samples.records(1), aliases=True).decode()
    data = data.replace("負担率(日)", " 負担率（日） ", 1).replace("氏名カナ", "氏名ｶﾅ", 1)
    assert validate_file(io.BytesIO(data.encode()), today=TODAY).accepted
    data = samples.csv_bytes(samples.records(1)).decode().replace("myNumber", "MYNUMBER", 1)
    assert validate_file(io.BytesIO(data.encode()), today=TODAY).accepted


def test_header_looking_like_data_is_not_echoed():
    data = "PMH01,123456789018,山田　太郎\r\nPMH01,123456789018,山田　太郎\r\n".encode()
    report = validate_file(io.BytesIO(data))
    assert [(i.code, i.field) for i in report.issues] == [("F_HEADER_MISSING", None)]
