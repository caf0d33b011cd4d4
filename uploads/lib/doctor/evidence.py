"""What a column's sample values say: the share of values of each kind a PMH field expects.

Counts only; nothing here keeps a value beyond the sample it is given.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from coderules.checkdigits import insurer_number_valid, mynumber_valid, recipient_number_valid

from . import values
from .conversions import table_key
from .headers import synonym_data

_SEPARATED_DIGITS = re.compile(r"[0-9]+(?:[-‐ー\s][0-9]+)+")
_SEPARATORS = re.compile(r"[-‐ー\s]")
_KANJI = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff々〆]")
_ADDRESS = re.compile("(都|道|府|県|市|区|町|村|郡).*[0-9０-９一二三四五六七八九十丁番]")
_AMOUNT = re.compile(r"[¥￥]?\s*-?[0-9]{1,3}(?:,[0-9]{3})+\s*円?|[¥￥]?\s*-?[0-9]+\s*円")
_ALNUM = re.compile(r"[A-Za-z0-9]+")
_CONDITIONS = re.compile(r"[A-Za-z0-9]+-[A-Za-z0-9]+(?:;[A-Za-z0-9]+-[A-Za-z0-9]+)*")
_FULLWIDTH_ALNUM = re.compile("[０-９Ａ-Ｚａ-ｚ]")
TEXT_DATE_FORMS = tuple(f for f in values.DATE_FORMS if f != "excel_serial")


@dataclass
class Evidence:
    """Counts over one column's non-empty sample values."""

    total: int = 0  # rows sampled
    filled: int = 0
    numeric_cells: int = 0  # spreadsheet numbers (not text)
    distinct: int = 0
    mynumber: int = 0
    mynumber_padded: int = 0  # 11 digits whose leading 0 was lost
    insurer: int = 0
    recipient: int = 0
    recipient_padded: int = 0  # 6 digits or fewer that check once zero-padded to 7
    exponent_ok: int = 0
    exponent_lost: int = 0
    exponent_lost_12: int = 0  # lost and about 12 digits: a 個人番号 shown as 1.23457E+11
    separated_digits: int = 0
    fullwidth: int = 0
    dates: int = 0
    date_errors: int = 0
    date_forms: Counter = field(default_factory=Counter)
    past_dates: int = 0  # more than a year before today: birth dates
    kana: Counter = field(default_factory=Counter)
    half_space_kana: int = 0
    kanji: int = 0
    address: int = 0
    sex: int = 0
    sex_words: int = 0  # 男/女/M/F rather than digits
    flags: int = 0
    marks: int = 0
    digits: int = 0
    alnum: int = 0
    amounts: int = 0
    integers: int = 0
    conditions: int = 0
    certificate: int = 0  # 受給者証 names: "…証" or "…医療…"
    needs_trim: int = 0
    excel_text: int = 0
    seen: Counter = field(default_factory=Counter)  # table keys of short values (codes, flags)

    def share(self, count: int) -> float:
        return count / self.filled if self.filled else 0.0


def gather(cells: list[Any], houbetsu_known, today: dt.date) -> Evidence:
    ev = Evidence(total=len(cells))
    tables = _value_tables()
    distinct = set()
    for raw in cells:
        text = values.cell_text(raw)
        if not text.strip():
            continue
        ev.filled += 1
        if not isinstance(raw, str):
            ev.numeric_cells += isinstance(raw, int | float) and not isinstance(raw, bool)
        distinct.add(text)
        _count_text(ev, raw, text, tables, houbetsu_known, today)
    ev.distinct = len(distinct)
    return ev


def _count_text(ev: Evidence, raw, text: str, tables, houbetsu_known, today) -> None:
    if text != text.strip(" \t\r\n\u3000"):
        ev.needs_trim += 1
    text = text.strip(" \t\r\n\u3000")
    plain = values.excel_text(text)
    ev.excel_text += plain != text
    _count_numbers(ev, plain, houbetsu_known)
    _count_date(ev, raw, plain, today)
    _count_words(ev, plain, tables)


def _count_numbers(ev: Evidence, text: str, houbetsu_known) -> None:
    folded = unicodedata.normalize("NFKC", text)
    ev.fullwidth += bool(_FULLWIDTH_ALNUM.search(text))
    if _SEPARATED_DIGITS.fullmatch(folded):
        ev.separated_digits += 1
        folded = _SEPARATORS.sub("", folded)
    if values.looks_exponent(folded):
        try:
            folded = values.repair_exponent(folded)
            ev.exponent_ok += 1
        except ValueError:
            ev.exponent_lost += 1
            ev.exponent_lost_12 += folded.upper().endswith(("E+11", "E+011"))
            return
    if folded.isascii() and folded.isdigit():
        ev.digits += 1
        _count_identifiers(ev, folded, houbetsu_known)
    ev.alnum += bool(_ALNUM.fullmatch(folded))
    ev.amounts += bool(_AMOUNT.fullmatch(folded))
    ev.integers += (folded.isascii() and folded.isdigit()) or bool(_AMOUNT.fullmatch(folded))
    ev.conditions += bool(_CONDITIONS.fullmatch(folded))


def _count_identifiers(ev: Evidence, digits: str, houbetsu_known) -> None:
    n = len(digits)
    ev.mynumber += n == 12 and mynumber_valid(digits)
    ev.mynumber_padded += n == 11 and mynumber_valid(digits.zfill(12))
    ev.insurer += n == 8 and insurer_number_valid(digits) and houbetsu_known(digits[:2])
    ev.recipient += n == 7 and recipient_number_valid(digits)
    ev.recipient_padded += n < 7 and recipient_number_valid(digits.zfill(7))


def _count_date(ev: Evidence, raw, text: str, today: dt.date) -> None:
    numeric = isinstance(raw, int | float) and not isinstance(raw, bool)
    forms = ("excel_serial",) if numeric else TEXT_DATE_FORMS
    try:
        parsed = values.parse_date(text, forms)
    except ValueError:
        ev.date_errors += 1
        return
    if parsed is None:
        return
    date, form = parsed
    if form == "excel_serial" and date.year > 2100:
        return  # a code stored as a number (131016), not a date
    if isinstance(raw, dt.date):
        form = "excel_date"  # a real date cell: no conversion of its form is needed
    ev.dates += 1
    ev.date_forms[form] += 1
    ev.past_dates += date < today - dt.timedelta(days=365)


def _count_words(ev: Evidence, text: str, tables) -> None:
    form = values.kana_form(text)
    if form is not None:
        ev.kana[form] += 1
        ev.half_space_kana += " " in text
    ev.kanji += bool(_KANJI.search(text))
    ev.address += bool(_ADDRESS.search(text))
    ev.certificate += bool(_KANJI.search(text)) and ("証" in text or "医療" in text)
    key = table_key(text)
    if len(key) <= 10:
        ev.seen[key] += 1
    ev.sex += key in tables["sex"]
    ev.sex_words += key in tables["sex"] and not key.isdigit()
    ev.flags += key in tables["true"] or key in tables["false"] or key in tables["mark"]
    ev.marks += key in tables["mark"]


def _value_tables() -> dict[str, Any]:
    data = synonym_data()
    return {
        "sex": {table_key(k): v for k, v in data["sex_values"].items()},
        "true": {table_key(v) for v in data["true_values"]},
        "false": {table_key(v) for v in data["false_values"]},
        "mark": {table_key(v) for v in data["mark_values"]},
    }
