"""The doctor's value readers: dates in every common form (和暦 included), kana, spreadsheet
numbers; property tests for the date and kana conversions."""

import datetime as dt

import jaconv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uploads.lib.doctor import conversions, values
from uploads.lib.doctor.masking import mask_personal, shown

FAST = settings(max_examples=200, deadline=None)
KATAKANA = st.text(
    st.sampled_from(
        [chr(c) for c in range(0x30A1, 0x30F5)] + ["ー", "\u3000", "ヴ", "・"]
    ),  # ァ … ヴ, as 氏名カナ holds them
    min_size=1,
    max_size=30,
)


@pytest.mark.parametrize(
    ("text", "date", "form"),
    [
        ("R6.4.1", "2024-04-01", "wareki"),
        ("r06.04.01", "2024-04-01", "wareki"),
        ("Ｒ６．４．１", "2024-04-01", "wareki"),
        ("令和6年4月1日", "2024-04-01", "wareki"),
        ("令和元年5月1日", "2019-05-01", "wareki"),
        ("R元.5.1", "2019-05-01", "wareki"),
        ("H31/4/30", "2019-04-30", "wareki"),
        ("平成31年4月30日", "2019-04-30", "wareki"),
        ("H 31. 4. 30", "2019-04-30", "wareki"),
        ("S55.1.1", "1980-01-01", "wareki"),
        ("昭和64年1月7日", "1989-01-07", "wareki"),
        ("T1.7.30", "1912-07-30", "wareki"),
        ("大正15年12月24日", "1926-12-24", "wareki"),
        ("M45.7.29", "1912-07-29", "wareki"),
        ("明治元年1月25日", "1868-01-25", "wareki"),
        ("平1.1.8", "1989-01-08", "wareki"),
        ("5060401", "2024-04-01", "era_code"),
        ("4310430", "2019-04-30", "era_code"),
        ("3550101", "1980-01-01", "era_code"),
        ("2024-04-01", "2024-04-01", "iso"),
        ("2024-4-1", "2024-04-01", "iso"),
        ("2024-04-01 00:00:00", "2024-04-01", "iso"),
        ("2024/4/1", "2024-04-01", "slash"),
        ("2024.4.1", "2024-04-01", "dot"),
        ("2024年4月1日", "2024-04-01", "kanji"),
        ("20240401", "2024-04-01", "ymd8"),
        ("45383", "2024-04-01", "excel_serial"),
    ],
)
def test_dates_in_every_common_form(text, date, form):
    assert values.parse_date(text) == (dt.date.fromisoformat(date), form)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("H31.5.1", "令和の日付です（令和元年5月1日）"),
        ("S64.1.8", "平成の日付です"),
        ("R6.2.30", "令和6年2月30日という日付はありません"),
        ("R1.4.30", "令和の始まりより前"),
        ("S0.1.1", "昭和0年はありません"),
        ("2023-02-29", "2023年2月29日という日付はありません"),
        ("60", "存在しない 1900年2月29日"),
        ("5061301", "令和6年13月1日という日付はありません"),
    ],
)
def test_dates_that_do_not_exist_are_refused_with_a_reason(text, reason):
    with pytest.raises(ValueError, match=reason):
        values.parse_date(text)


@pytest.mark.parametrize("text", ["", "不明", "R6", "2024/4", "12345678901", "X6.4.1", "6.4.1"])
def test_values_that_are_not_dates(text):
    assert values.parse_date(text) is None


def test_only_the_forms_asked_for_are_read():
    assert values.parse_date("45383", ("wareki",)) is None
    assert values.parse_date("R6.4.1", ("iso",)) is None
    assert values.parse_date("5060401", ("era_code",))[1] == "era_code"


DATES = st.dates(min_value=dt.date(1868, 1, 25), max_value=dt.date(2099, 12, 31))


@FAST
@given(DATES, st.sampled_from(["letter", "kanji", "code"]))
def test_wareki_round_trip(date, style):
    text = values.to_wareki(date, style)
    assert values.parse_date(text) == (date, "era_code" if style == "code" else "wareki")


@FAST
@given(
    DATES,
    st.sampled_from(
        [
            "{y}/{m}/{d}",
            "{y}-{m:02d}-{d:02d}",
            "{y}年{m}月{d}日",
            "{y}{m:02d}{d:02d}",
            "{y}.{m}.{d}",
        ]
    ),
)
def test_western_round_trip(date, pattern):
    text = pattern.format(y=date.year, m=date.month, d=date.day)
    assert values.parse_date(text)[0] == date


@FAST
@given(DATES)
def test_wareki_with_full_width_digits_and_zero_padding(date):
    letter = values.to_wareki(date)
    era, rest = letter[0], letter[1:]
    y, m, d = rest.split(".")
    padded = f"{era}{int(y):02d}.{int(m):02d}.{int(d):02d}"
    assert values.parse_date(padded)[0] == date
    assert values.parse_date(jaconv.h2z(letter, ascii=True, digit=True))[0] == date


@FAST
@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)))
def test_excel_serials_round_trip(date):
    serial = (date - dt.date(1899, 12, 30)).days
    assert values.excel_date(serial) == date


@FAST
@given(KATAKANA)
def test_half_width_kana_becomes_the_full_width_original(text):
    half = jaconv.z2h(text, kana=True, ascii=False, digit=False).replace("\u3000", " ")
    assert values.full_katakana(half) == text


@FAST
@given(KATAKANA)
def test_hiragana_becomes_katakana(text):
    assert values.full_katakana(jaconv.kata2hira(text)) == text


@FAST
@given(KATAKANA)
def test_full_width_katakana_is_left_as_it_is(text):
    assert values.full_katakana(text) == text
    assert values.kana_form(text) == "full"


def test_kana_conversion_composes_voiced_marks_and_keeps_other_characters():
    assert values.full_katakana("ｶﾞｷﾞﾊﾟｳﾞ ﾀﾛｰ") == "ガギパヴ\u3000タロー"
    assert values.full_katakana("山田 ﾀﾛｳ") == "山田\u3000タロウ"
    assert values.full_katakana("やまだ ﾀﾛｳ", hiragana=False, space=False) == "やまだ タロウ"
    assert values.kana_form("ﾔﾏﾀﾞ") == "half"
    assert values.kana_form("やまだ") == "hiragana"
    assert values.kana_form("山田") is None


@pytest.mark.parametrize(
    ("cell", "text"),
    [
        (131016.0, "131016"),
        (123456789018.0, "123456789018"),
        (123456789018, "123456789018"),
        (1.5, "1.5"),
        (dt.datetime(2024, 4, 1), "2024-04-01"),
        (dt.datetime(2024, 4, 1, 9, 30), "2024-04-01 09:30:00"),
        (dt.date(2024, 4, 1), "2024-04-01"),
        (True, "1"),
        (None, ""),
        ("0123", "0123"),
    ],
)
def test_spreadsheet_cells_as_text(cell, text):
    assert values.cell_text(cell) == text


@pytest.mark.parametrize(
    ("text", "repaired"),
    [
        ("1.23456789018E+11", "123456789018"),
        ("1.31016E+05", "131016"),
        ("5.4131016E7", "54131016"),
        ("12", "12"),
    ],
)
def test_exponent_numbers_are_repaired_only_when_no_digit_was_lost(text, repaired):
    assert values.repair_exponent(text) == repaired


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.23457E+11", "有効数字6桁しか残っておらず、元の12桁の値は復元できません"),
        ("1.2E+3", "有効数字2桁"),
        ("1.5E+0", "整数ではありません"),
    ],
)
def test_lost_exponent_numbers_are_errors_never_guesses(text, reason):
    with pytest.raises(ValueError, match=reason):
        values.repair_exponent(text)


def test_excel_text_markers_are_removed():
    assert values.excel_text('="0123"') == "0123"
    assert values.excel_text("'0123") == "0123"
    assert values.excel_text('="say ""hi"""') == 'say "hi"'
    assert values.excel_text("0123") == "0123"


def test_conversion_functions():
    build = lambda c: conversions.build(c)[1]  # noqa: E731
    assert build({"op": "trim"})("\u3000 山田 \t") == "山田"
    assert build({"op": "halfwidth"})("１２３ＡＢ") == "123AB"
    assert build({"op": "remove", "chars": "- "})("1234-5678 9018") == "123456789018"
    assert build({"op": "pad", "width": 7})("123457") == "0123457"
    assert build({"op": "pad", "width": 7})("K12") == "K12"  # only digits lost their zeros
    assert build({"op": "integer"})("¥10,000円") == "10000"
    sex = build({"op": "map", "table": {"男": "1", "女": "2"}})
    assert (sex("男"), sex(" 女 "), sex("")) == ("1", "2", "")
    with pytest.raises(ValueError, match="対応表にありません"):
        sex("不詳")
    assert build({"op": "map", "table": {"女": "2"}, "other": "keep"})("不詳") == "不詳"
    assert build({"op": "map", "table": {"○": "1", "": "0"}})("") == "0"
    date = build({"op": "date", "forms": ["wareki"]})
    assert date("R6.4.1") == "2024-04-01"
    assert date("2024-04-01") == "2024-04-01"  # an Excel date cell
    with pytest.raises(ValueError, match="想定する書き方: 和暦"):
        date("2024/4/1")


def test_personal_masking_keeps_the_form_not_the_person():
    assert mask_personal("山田\u3000太郎") == "山＊\u3000＊＊"
    assert mask_personal("S55.1.1") == "S**.*.*"
    assert mask_personal("1980-01-01") == "****-**-**"
    assert shown("123456789018") == "********9018"
    assert shown("山田 123456789018", personal=True) == "山＊ ************"
    assert shown("1.23457E+11", last4=True) == "*******E+11"
