"""Reading the values of a municipality's export: dates in every common form, kana, numbers.

Pure functions over text. Each parser answers None (or raises ``ValueError`` with a Japanese
reason) rather than guessing: a value the doctor cannot read exactly is left for the user.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal

# Start of each era (the first day it is used); an era ends the day before the next one starts.
ERAS = (
    ("M", "明治", dt.date(1868, 1, 25)),
    ("T", "大正", dt.date(1912, 7, 30)),
    ("S", "昭和", dt.date(1926, 12, 25)),
    ("H", "平成", dt.date(1989, 1, 8)),
    ("R", "令和", dt.date(2019, 5, 1)),
)
# The 元号 code of 7-digit dates (5060401 = 令和6年4月1日), as 住基 and レセプト systems use it.
ERA_CODES = {"1": "M", "2": "T", "3": "S", "4": "H", "5": "R"}
_ERA_BY_NAME = {}
for _letter, _name, _start in ERAS:
    for _alias in (_letter, _name, _name[0]):
        _ERA_BY_NAME[_alias] = _letter
_ERA_INDEX = {letter: i for i, (letter, _n, _s) in enumerate(ERAS)}

# Excel's 1900 date system counts 1900-02-29, which never existed: serial 60. From serial 61 on,
# day 0 is 1899-12-30.
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_MIN, EXCEL_MAX = 61, 2958465  # 1900-03-01 … 9999-12-31

_SEP = r"\s*[./\-]\s*"
_ERA_NAMES = "|".join(sorted(_ERA_BY_NAME, key=len, reverse=True))
_WAREKI = re.compile(
    rf"(?P<era>{_ERA_NAMES})\s*(?P<y>元|\d{{1,2}})\s*(?:年\s*|{_SEP})"
    rf"(?P<m>\d{{1,2}})\s*(?:月\s*|{_SEP})(?P<d>\d{{1,2}})\s*日?"
)
_WESTERN = (
    ("iso", re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")),
    ("slash", re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})")),
    ("dot", re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})")),
    ("kanji", re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")),
    ("ymd8", re.compile(r"(\d{4})(\d{2})(\d{2})")),
)
_ERA_CODE = re.compile(r"([1-5])(\d{2})(\d{2})(\d{2})")
_SERIAL = re.compile(r"(\d{2,7})(?:\.0+)?")
_MIDNIGHT = re.compile(r"(\d{4}-\d{2}-\d{2})[ T]00:00(?::00(?:\.0+)?)?")

# Forms of dates, in the order a column's values are tried; the names appear in mappings.
DATE_FORMS = ("iso", "slash", "dot", "kanji", "ymd8", "wareki", "era_code", "excel_serial")
# Forms that the engine reads as they are (record-layout §2).
ENGINE_DATE_FORMS = frozenset({"iso", "slash", "ymd8"})


def era_date(letter: str, year: int, month: int, day: int) -> dt.date:
    """The date of 和暦 (era letter, year of era, month, day); ValueError when none exists."""
    index = _ERA_INDEX[letter]
    _l, name, start = ERAS[index]
    if year < 1:
        raise ValueError(f"{name}0年はありません")
    try:
        date = dt.date(start.year + year - 1, month, day)
    except ValueError:
        raise ValueError(
            f"{name}{_year_text(year)}年{month}月{day}日という日付はありません"
        ) from None
    if date < start:
        raise ValueError(f"{name}{_year_text(year)}年{month}月{day}日は{name}の始まりより前です")
    if index + 1 < len(ERAS) and date >= ERAS[index + 1][2]:
        nxt = ERAS[index + 1]
        raise ValueError(
            f"{name}{_year_text(year)}年{month}月{day}日は{nxt[1]}の日付です"
            f"（{nxt[1]}{_year_text(date.year - nxt[2].year + 1)}年{month}月{day}日）"
        )
    return date


def _year_text(year: int) -> str:
    return "元" if year == 1 else str(year)


def to_wareki(date: dt.date, style: str = "letter") -> str:
    """A date in 和暦: ``R6.4.1`` (letter), ``令和6年4月1日`` (kanji) or ``5060401`` (code)."""
    letter, name, start = next(e for e in reversed(ERAS) if date >= e[2])
    year = date.year - start.year + 1
    if style == "kanji":
        return f"{name}{_year_text(year)}年{date.month}月{date.day}日"
    if style == "code":
        code = next(c for c, era in ERA_CODES.items() if era == letter)
        return f"{code}{year:02d}{date.month:02d}{date.day:02d}"
    return f"{letter}{year}.{date.month}.{date.day}"


def parse_date(text: str, forms: tuple[str, ...] | frozenset[str] = DATE_FORMS):
    """``(date, form)`` for a date written in one of ``forms``; None when it is not a date.

    Raises ValueError (Japanese reason) for a value that is clearly meant as a date of that
    form but does not exist (R6.2.30, H31.5.1). Full-width digits and letters are accepted.
    """
    value = unicodedata.normalize("NFKC", text).strip().upper()
    if not value:
        return None
    match = _MIDNIGHT.fullmatch(value)
    if match:  # an Excel date cell read as a datetime at midnight
        value = match.group(1)
    for form, pattern in _WESTERN:
        if form in forms and (m := pattern.fullmatch(value)):
            return _western(m), form
    if "wareki" in forms and (m := _WAREKI.fullmatch(value)):
        year = 1 if m["y"] == "元" else int(m["y"])
        return era_date(_ERA_BY_NAME[m["era"]], year, int(m["m"]), int(m["d"])), "wareki"
    if "era_code" in forms and (m := _ERA_CODE.fullmatch(value)):
        era = ERA_CODES[m[1]]
        return era_date(era, int(m[2]), int(m[3]), int(m[4])), "era_code"
    if "excel_serial" in forms and (m := _SERIAL.fullmatch(value)):
        return excel_date(int(m[1])), "excel_serial"
    return None


def _western(match: re.Match) -> dt.date:
    year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"{year}年{month}月{day}日という日付はありません") from None


def excel_date(serial: int) -> dt.date:
    """The date of an Excel serial day number (1900 date system)."""
    if serial == 60:
        raise ValueError("Excel の日付 60 は存在しない 1900年2月29日です")
    if not EXCEL_MIN <= serial <= EXCEL_MAX:
        raise ValueError(f"Excel の日付の通し番号として範囲外です（{serial}）")
    return EXCEL_EPOCH + dt.timedelta(days=serial)


# ---- kana -----------------------------------------------------------------------------------

_HIRAGANA_TO_KATAKANA = {cp: cp + 0x60 for cp in range(0x3041, 0x3097)} | {
    0x309D: 0x30FD,
    0x309E: 0x30FE,
}
_HALF_KANA = re.compile("[\uff61-\uff9f]")
_HALF_KANA_RUN = re.compile("[\uff61-\uff9f]+")
_HIRAGANA = re.compile("[\u3041-\u3096\u309d\u309e]")
_FULL_KATAKANA = re.compile("[\u30a1-\u30f6\u30fc\u30fb\u3000\uff1d]+")
_KANA_ANY = re.compile(
    "[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc\u30fb\uff61-\uff9f =＝\u3000]+"
)


def full_katakana(text: str, *, hiragana: bool = True, space: bool = True) -> str:
    """Half-width katakana to full-width (ｶﾞ → ガ), and optionally hiragana to katakana and
    half-width spaces to the full-width space PMH wants between family and given name."""
    if _HALF_KANA.search(text):
        # NFKC composes a half-width voiced mark with its letter; applied to the kana only,
        # so that other characters of the value stay as they were.
        text = _HALF_KANA_RUN.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    if hiragana:
        text = text.translate(_HIRAGANA_TO_KATAKANA)
    if space:
        text = text.replace(" ", "\u3000")
    return text


def kana_form(text: str) -> str | None:
    """How a kana value is written: "full", "half" (some half-width kana), "hiragana", or None
    when it is not kana at all (a kanji name, a code)."""
    if not _KANA_ANY.fullmatch(text):
        return None
    if _HALF_KANA.search(text):
        return "half"
    if _HIRAGANA.search(text):
        return "hiragana"
    return "full"


def is_full_katakana(text: str) -> bool:
    return bool(_FULL_KATAKANA.fullmatch(text))


# ---- numbers as spreadsheets write them -------------------------------------------------------

_EXPONENT = re.compile(r"([+-]?)(\d+)(?:\.(\d+))?[eE]([+-]?\d+)")
_EXCEL_FORMULA_TEXT = re.compile(r'="(.*)"', re.DOTALL)
# Excel keeps 15 significant digits; a longer integer stored as a number has lost its tail.
EXCEL_DIGITS = 15


def cell_text(value) -> str:
    """The text of a spreadsheet cell as the export meant it (numbers without ``.0``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def float_text(value: float) -> str:
    """A float cell as text: an integral value as its digits (131016.0 → 131016)."""
    if math.isfinite(value) and value == int(value) and abs(value) < 10**EXCEL_DIGITS:
        return str(int(value))
    return repr(value)


def excel_text(text: str) -> str:
    """``="0123"`` (a formula Excel users type to keep zeros) and a leading ``'`` removed."""
    match = _EXCEL_FORMULA_TEXT.fullmatch(text)
    if match:
        return match.group(1).replace('""', '"')
    if text.startswith("'"):
        return text[1:]
    return text


def repair_exponent(text: str) -> str:
    """``1.23456789018E+11`` → ``123456789018``; ValueError when digits were lost (1.23457E+11).

    The text Excel shows for a wide number keeps about six significant digits; the rest of the
    number is gone and cannot be recovered from the file, so it is never guessed.
    """
    match = _EXPONENT.fullmatch(text.strip())
    if match is None:
        return text
    number = Decimal(text.strip())
    if number != number.to_integral_value():
        raise ValueError(f"指数表記（{text.strip()}）の数値が整数ではありません")
    integer = int(number)
    significant = len((match[2] + (match[3] or "")).lstrip("0"))
    if significant < len(str(abs(integer))):
        raise ValueError(
            f"指数表記（{text.strip()}）で下の桁が失われています。有効数字{significant}桁しか"
            f"残っておらず、元の{len(str(abs(integer)))}桁の値は復元できません"
        )
    return str(integer)


def looks_exponent(text: str) -> bool:
    return bool(_EXPONENT.fullmatch(text.strip()))
