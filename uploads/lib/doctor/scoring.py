"""How well a column's values fit a PMH field, and which conversions they would need.

``fit`` gives the share of values that fit (0–1), how much values alone prove the field (the
strength: a valid 個人番号 check digit proves a lot, a 0/1 flag nearly nothing), and the words
for the reason. ``conversions_for`` proposes the conversions the values show are needed.
"""

from __future__ import annotations

from dataclasses import dataclass

from uploads.lib.validation import Layout
from uploads.lib.validation.layout import FieldSpec

from . import values
from .conversions import table_key
from .evidence import Evidence
from .headers import synonym_data

_ENGINE_CODES = {"0", "1", "2"}
_ENGINE_BOOLEANS = {"0", "1", "TRUE", "FALSE"}
_DATE_FIELDS_STRENGTH = {"basicFiveInfo.dateOfBirth": 0.4, "validFrom": 0.3, "validTo": 0.3}


@dataclass(frozen=True)
class Fit:
    share: float  # of the non-empty sample values
    strength: float  # what the values alone prove (0: nothing without a matching header)
    words: str  # what fitting values are, in Japanese ("検査数字の正しい12桁の数字")


def fit(spec: FieldSpec, ev: Evidence, layout: Layout) -> Fit:
    path = spec.path
    special = _SPECIAL.get(path)
    if special is not None:
        return special(ev)
    if path == layout.insurer.field:
        return Fit(ev.share(ev.insurer), 0.85, "検査数字が正しく法別番号が既知の8桁の数字")
    if spec.kind == "date":
        strength = _DATE_FIELDS_STRENGTH.get(path, 0.3)
        return Fit(ev.share(ev.dates), strength, "日付として読める値")
    return _by_kind(spec, ev)


def _mynumber(ev: Evidence) -> Fit:
    share = ev.share(ev.mynumber + ev.mynumber_padded + 0.5 * ev.exponent_lost_12)
    return Fit(share, 0.9, "個人番号の検査数字が正しい12桁の数字")


def _recipient(ev: Evidence) -> Fit:
    return Fit(ev.share(ev.recipient + ev.recipient_padded), 0.6, "検証番号が正しい7桁の数字")


def _birth(ev: Evidence) -> Fit:
    share = ev.share(min(ev.dates, ev.past_dates))
    return Fit(share, 0.4, "1年以上前の日付")


def _kana(ev: Evidence) -> Fit:
    return Fit(ev.share(sum(ev.kana.values())), 0.6, "カナ（全角・半角・ひらがな）の値")


def _name(ev: Evidence) -> Fit:
    names = max(ev.kanji - ev.address, 0)
    unique = ev.distinct >= 0.5 * ev.filled
    return Fit(ev.share(names), 0.35 if unique else 0.1, "漢字を含む人名らしい値")


def _address(ev: Evidence) -> Fit:
    return Fit(ev.share(ev.address), 0.5, "都道府県・市区町村と番地を含む値")


def _sex(ev: Evidence) -> Fit:
    strength = 0.6 if ev.sex_words else 0.2
    return Fit(ev.share(ev.sex), strength, "性別を表す値（0/1/2、男/女、M/F）")


def _certificate(ev: Evidence) -> Fit:
    repeated = ev.distinct <= max(3, 0.2 * ev.filled)
    return Fit(ev.share(ev.certificate), 0.4 if repeated else 0.1, "受給者証の名称らしい値")


def _flag(ev: Evidence) -> Fit:
    return Fit(ev.share(ev.flags), 0.15, "有無を表す値（0/1、○、有/無など）")


_SPECIAL = {
    "myNumber": _mynumber,
    "medicalSubsidyRecipientNumber": _recipient,
    "basicFiveInfo.dateOfBirth": _birth,
    "basicFiveInfo.nameKana": _kana,
    "basicFiveInfo.name": _name,
    "basicFiveInfo.address": _address,
    "basicFiveInfo.sex": _sex,
    "certificationName": _certificate,
    "isAlwaysReimbursement": _flag,
}


def _by_kind(spec: FieldSpec, ev: Evidence) -> Fit:
    if spec.kind == "boolean":
        return _flag(ev)
    if spec.kind == "integer":
        return Fit(ev.share(ev.integers), 0.0, "整数の値")
    if spec.kind == "digits":
        return Fit(ev.share(ev.digits), 0.0, "数字だけの値")
    if spec.kind == "alnum":
        return Fit(ev.share(ev.alnum), 0.0, "半角英数字の値")
    if spec.kind == "conditions":
        return Fit(ev.share(ev.conditions), 0.0, "項目-コードの組の値")
    return Fit(1.0, 0.0, "文字の値")


def confidence(header: float, f: Fit, filled: int) -> float:
    """Header and values together; values alone count only as far as they prove the field."""
    share = f.share if filled else 0.5  # an empty sample neither confirms nor contradicts
    with_header = header * (0.7 + 0.3 * share) if header > 0 else 0.0
    return round(min(1.0, max(with_header, f.strength * share)), 2)


# ---- conversions the values call for ----------------------------------------------------------


def conversions_for(spec: FieldSpec, ev: Evidence, layout: Layout) -> list[dict]:
    proposed: list[dict] = []
    if ev.needs_trim:
        proposed.append({"op": "trim"})
    if ev.excel_text:
        proposed.append({"op": "excel_text"})
    if spec.kind in ("digits", "alnum", "integer", "conditions"):
        proposed += _number_conversions(spec, ev, layout)
    elif spec.kind == "date":
        proposed += _date_conversions(ev)
    elif spec.kind == "kana":
        if ev.kana["half"] or ev.kana["hiragana"] or ev.half_space_kana:
            proposed.append({"op": "kana", "hiragana": True, "space": True})
    elif spec.kind == "code" and spec.codes == {"0": "不明", "1": "男", "2": "女"}:
        proposed += _table_conversion(ev, _sex_table(ev), _ENGINE_CODES)
    elif spec.kind in ("boolean", "code"):
        proposed += _table_conversion(ev, _flag_table(ev), _ENGINE_BOOLEANS)
    return proposed


def _number_conversions(spec: FieldSpec, ev: Evidence, layout: Layout) -> list[dict]:
    proposed: list[dict] = []
    if ev.fullwidth:
        proposed.append({"op": "halfwidth"})
    if ev.separated_digits and spec.kind == "digits":
        proposed.append({"op": "remove", "chars": "-‐ー 　"})
    if ev.exponent_ok or ev.exponent_lost:
        proposed.append({"op": "exponent"})
    if spec.kind == "integer" and ev.amounts:
        proposed.append({"op": "integer"})
    width = _pad_width(spec, ev, layout)
    if width:
        proposed.append({"op": "pad", "width": width})
    return proposed


def _pad_width(spec: FieldSpec, ev: Evidence, layout: Layout) -> int | None:
    if spec.path == "myNumber" and ev.mynumber_padded:
        return 12
    rule = layout.rule("national_recipient_number")
    if rule and spec.path == rule["field"] and ev.recipient_padded:
        return rule["length"]
    return None


def _date_conversions(ev: Evidence) -> list[dict]:
    forms = [f for f in values.DATE_FORMS if ev.date_forms.get(f)]
    if not forms or set(forms) <= values.ENGINE_DATE_FORMS:
        return []  # the engine reads these forms as they are
    return [{"op": "date", "forms": forms}]


def _table_conversion(ev: Evidence, table: dict[str, str], engine: set[str]) -> list[dict]:
    seen = [k for k in ev.seen if k not in engine]
    if not seen:
        return []
    used = {k: table[k] for k in ev.seen if k in table}
    seen_keys = set(used)
    for pair in synonym_data()["value_pairs"]:
        keys = [table_key(k) for k in pair]
        if any(k in seen_keys for k in keys):
            used |= {k: table[k] for k in keys if k in table}
    if ev.filled < ev.total and "" in table:
        used[""] = table[""]  # ○ or blank: the blank means "no"
    return [{"op": "map", "table": used}] if used else []


def _sex_table(ev: Evidence) -> dict[str, str]:
    table = {table_key(k): v for k, v in synonym_data()["sex_values"].items()}
    if ev.sex_words and ev.filled < ev.total:
        table[""] = "0"  # M, F or blank: a blank is the 不明 of programs without sex
    return table


def _flag_table(ev: Evidence) -> dict[str, str]:
    data = synonym_data()
    table = {table_key(v): "1" for v in data["true_values"]}
    table |= {table_key(v): "0" for v in data["false_values"]}
    table |= {table_key(v): "1" for v in data["mark_values"]}
    if ev.marks:
        table[""] = "0"
    return table
