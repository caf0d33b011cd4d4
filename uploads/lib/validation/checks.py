"""The detailed record check: every rule of record-layout §1, §3, §4, §9 for one record.

This is the slow, complete path. Rows that the fast path (``fastpath.py``) cannot prove valid
come here, and so does every record in tests, so its result is the reference behaviour.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from coderules.checkdigits import insurer_number_valid, mynumber_valid, recipient_number_valid

from . import messages as msg
from .layout import FieldSpec, Layout
from .masking import mask_value
from .report import ERROR, WARNING, Issue

_BAD_TEXT = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
    "\ud800-\udfff]"
)
_BAD_MULTILINE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200e\u200f\u2028\u2029\u202a-\u202e"
    "\u2066-\u2069\ufeff\ud800-\udfff]"
)
# A line break alone is only a warning in a field that allows it (the address).
_BAD_TEXT_BUT_BREAKS = re.compile(
    "[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u200e\u200f\u2028\u2029\u202a-\u202e"
    "\u2066-\u2069\ufeff\ud800-\udfff]"
)
_ALNUM = re.compile(r"[A-Za-z0-9]*")
_DIGITS = re.compile(r"[0-9]*")
# 氏名カナ: full-width katakana, ー, ・ and ＝ (foreign residents' names), the full-width space.
KANA_CLASS = "\u30a1-\u30f6\u30fb\u30fc\uff1d\u3000"
_KANA = re.compile(f"[{KANA_CLASS}]*")
_KANA_HALF_SPACE = re.compile(f"[{KANA_CLASS}]+(?: [{KANA_CLASS}]+)+")
# 外字: the private-use area (CP932's user-defined characters), 〓 and ● standing for a character.
GAIJI_CLASS = "\ue000-\uf8ff\u3013\u25cf"
_GAIJI = re.compile(f"[{GAIJI_CLASS}]")
_INTEGER = re.compile(r"-?[0-9]{1,18}")
_LONG_INTEGER = re.compile(r"-?[0-9]+")
_CONDITIONS = re.compile(r"[A-Za-z0-9]+-[A-Za-z0-9]+(?:;[A-Za-z0-9]+-[A-Za-z0-9]+)*")
_DATE_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DATE_CSV = (
    re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"),
    re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})"),
    re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})"),
)
_ITEM_PATH = re.compile(r"\[(\d+)\](?:\.(\w+))?$")
_CHECK_DIGITS = {
    "mynumber": mynumber_valid,
    "mhlw": insurer_number_valid,
    "mhlw7": recipient_number_valid,
}
_CSV_BOOLEANS = {"0": False, "1": True, "true": True, "false": False}
_TYPE_WORDS = {"boolean": "true か false", "integer": "数値か数字の文字列", "code": "文字列"}


class HugeInt(str):
    """A JSON integer too long for Python's int(); kept as its digits."""


@dataclass
class RawRecord:
    """One record before checking: raw values by canonical path, as the file gave them."""

    values: dict[str, Any]
    items: list[tuple[int, dict[str, Any]]] | None  # None: list absent (JSON only)
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (field, code, message)
    skip: set[str] = field(default_factory=set)  # paths already reported (broken container)
    items_error: bool = False


@dataclass
class Outcome:
    issues: list[Issue]
    has_error: bool
    key: tuple[str, ...] | None
    is_delete: bool
    values: dict[str, Any] | None  # normalised, only for records without an error


@dataclass
class Settings:
    layout: Layout
    mode: str
    is_csv: bool
    # A check may use the day only so that a record clean on one day stays clean on every later
    # day (a date not in the future): a daily file's elements the store knows are not checked
    # again (jsonrecords, tally.rules_context).
    today: str = "9999-12-31"
    prefecture: str | None = None
    registered_houbetsu: frozenset[str] = frozenset()
    # Check-digit options (``check_digit_option`` of a field or rule) lowered to a warning, each
    # for the 法別番号 (2 digits) and 公費負担者番号 (8 digits) listed, or for all when empty.
    lowered_check_digits: dict[str, frozenset[str]] = field(default_factory=dict)


class Failure(Exception):
    def __init__(self, code: str, message: str):
        self.code = code
        self.message = message


class RecordChecker:
    def __init__(self, settings: Settings):
        self.s = settings
        self.layout = settings.layout
        ins = self.layout.insurer
        lo, hi = ins.local_houbetsu_range
        self.known_houbetsu = (
            ins.national_houbetsu
            | settings.registered_houbetsu
            | {f"{n:02d}" for n in range(int(lo), int(hi) + 1)}
        )
        # 法別番号 that need no remark: the fast path proves only these.
        self.clean_houbetsu = self.known_houbetsu - set(ins.separate_houbetsu)
        self.key_labels = "・".join(self.layout.by_path[p].label for p in self.layout.key)
        self._order = {spec.path: i * 2 for i, spec in enumerate(self.layout.fields)}
        self._warnings: list[tuple[str, str]] = []  # (code, message) of the field being checked

    # -- public -------------------------------------------------------------------------------

    def disclosed(self, raw: RawRecord) -> bool:
        flag = self.layout.disclosure_flag
        value = raw.values.get(flag)
        if flag in raw.skip:
            return False
        if self.s.is_csv:
            return type(value) is str and value.lower() in ("0", "false")
        return value is False

    def check(self, raw: RawRecord, row: int, line: int) -> Outcome:
        lay = self.layout
        disclosed = self.disclosed(raw)
        found: list[tuple[str, str, str, str, Any]] = []  # field, code, severity, message, raw
        errors: set[str] = set()
        for fld, code, message in raw.problems:
            found.append((fld, code, ERROR, message, None))
            errors.add(fld)
        is_delete = self._is_delete(raw)
        normal: dict[str, Any] = {}
        warnings = self._warnings
        for spec in lay.fields:
            value = raw.values.get(spec.path)
            if spec.path in raw.skip:
                continue
            warnings.clear()
            try:
                normal[spec.path] = self._field(spec, value)
            except Failure as f:
                if f.code == "V_CHECK_DIGIT" and self._lowered(spec.check_digit_option, raw):
                    found.append((spec.path, f.code, WARNING, f.message, value))
                    normal[spec.path] = value  # the digits are well formed: kept as they are
                else:
                    found.append((spec.path, f.code, ERROR, f.message, value))
                    errors.add(spec.path)
                continue
            for code, message in warnings:
                found.append((spec.path, code, WARNING, message, value))
        items = self._items(raw, found, errors)
        self._cross(raw, normal, errors, found)
        if errors:  # warnings stand only on fields without an error (§9)
            found = [f for f in found if f[2] == ERROR or f[0] not in errors]
        issues = [
            Issue(
                row,
                line,
                fld,
                code,
                sev,
                message,
                mask_value(value, disclosed=disclosed, last4=self._last4(fld)),
            )
            for fld, code, sev, message, value in sorted(found, key=self._field_order)
        ]
        has_error = bool(errors)
        key = self._key(raw)
        values = None
        if not has_error:
            normal[lay.list.path] = items
            values = normal
        return Outcome(issues, has_error, key, is_delete, values)

    # -- fields -------------------------------------------------------------------------------

    def _last4(self, path: str) -> bool:
        spec = self.layout.by_path.get(path)
        return bool(spec and spec.masked_last4)

    def _field_order(self, item: tuple) -> int:
        path = item[0]
        order = self._order.get(path)
        if order is not None:
            return order
        for spec in self.layout.fields:  # a container sorts just before its first field
            if spec.path.startswith(path + "."):
                return self._order[spec.path] - 1
        item = _ITEM_PATH.search(path)
        if item:  # list items after the fields, by number, the item itself before its parts
            return (
                10_000
                + int(item.group(1)) * 10
                + (1 + (item.group(2) == "value") if item.group(2) else 0)
            )
        return 10_000

    def _is_delete(self, raw: RawRecord) -> bool:
        if self.s.mode != "diff":
            return False
        value = raw.values.get(self.layout.delete_flag)
        if self.s.is_csv:
            return type(value) is str and value.lower() in ("1", "true")
        return value is True

    def _lowered(self, option: str | None, raw: RawRecord) -> bool:
        """Whether a check-digit failure under ``option`` is only a warning for this record."""
        listed = self.s.lowered_check_digits.get(option) if option else None
        if listed is None:
            return False
        if not listed:
            return True
        number = raw.values.get(self.layout.insurer.field)
        return type(number) is str and (number in listed or number[:2] in listed)

    def _field(self, spec: FieldSpec, value: Any) -> Any:
        """The normalised value of one field, or Failure; warnings go to ``self._warnings``.

        A delete row of a diff file is a full record like any other (record-layout §6)."""
        if value is None or value == "":
            if spec.required_in(self.s.mode):
                raise Failure("V_REQUIRED", msg.required(spec.label))
            return None
        if type(value) is not str:
            value = self._json_value(spec, value)
            if spec.kind == "boolean":
                return self._boolean(spec, value)
            if type(value) is not str:
                return value
        return _KIND_CHECKS[spec.kind](self, spec, value)

    def _json_value(self, spec: FieldSpec, value: Any) -> Any:
        """Type step for a JSON value that is not a string (§9: V_TYPE and friends)."""
        kind = spec.kind
        if isinstance(value, dict | list):
            raise Failure("V_TYPE", msg.type_json(spec.label, _TYPE_WORDS.get(kind, "文字列")))
        if kind == "boolean":
            if type(value) is bool:
                return value
            raise Failure("V_BOOLEAN", msg.boolean(spec.label, csv=False))
        if type(value) is bool:
            raise Failure("V_TYPE", msg.type_json(spec.label, _TYPE_WORDS.get(kind, "文字列")))
        if spec.json_number != "accept":
            if kind in ("digits", "alnum"):
                raise Failure("V_TYPE", msg.type_identifier_number(spec.label))
            if kind == "code":
                raise Failure("V_TYPE", msg.type_code_number(spec.label, spec.codes))
            raise Failure("V_TYPE", msg.type_json(spec.label, "文字列"))
        if kind == "integer":
            if type(value) is int:
                return self._int_range(spec, value)
            if type(value) is HugeInt:
                raise Failure("V_RANGE", msg.number_range(spec.label, spec.min, spec.max))
            raise Failure("V_NUMBER", msg.number(spec.label))
        return str(value)

    def _text(self, spec: FieldSpec, value: str) -> str:
        bad = _BAD_MULTILINE if spec.kind == "multiline" else _BAD_TEXT
        if bad.search(value):
            if spec.line_break != WARNING or _BAD_TEXT_BUT_BREAKS.search(value):
                raise Failure("V_CHARSET", msg.charset(spec.label, spec.kind, value))
            self._warnings.append(("V_CHARSET", msg.line_break(spec.label)))
        self._length(spec, value)
        if spec.gaiji and _GAIJI.search(value):
            self._warnings.append(("V_GAIJI", msg.gaiji(spec.label)))
        return value

    def _alnum(self, spec: FieldSpec, value: str) -> str:
        pattern = _DIGITS if spec.kind == "digits" else _ALNUM
        if not pattern.fullmatch(value):
            raise Failure("V_CHARSET", msg.charset(spec.label, spec.kind, value))
        self._length(spec, value)
        if spec.check_digit and not _CHECK_DIGITS[spec.check_digit](value):
            raise Failure("V_CHECK_DIGIT", msg.check_digit(spec.label, spec.check_digit))
        return value

    def _length(self, spec: FieldSpec, value: str) -> None:
        n = len(value)
        if spec.length is not None and n != spec.length:
            digits = spec.kind == "digits"
            raise Failure("V_LENGTH", msg.length_exact(spec.label, spec.length, n, digits))
        lo, hi = spec.min_length, spec.max_length
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            raise Failure("V_LENGTH", msg.length_range(spec.label, lo, hi, n))

    def _kana(self, spec: FieldSpec, value: str) -> str:
        if _BAD_TEXT.search(value):
            raise Failure("V_CHARSET", msg.charset(spec.label, spec.kind, value))
        self._length(spec, value)
        gaiji = spec.gaiji and _GAIJI.search(value)
        kana = _GAIJI.sub("ア", value) if gaiji else value  # a 外字 stands for one character
        if not _KANA.fullmatch(kana):
            if not _KANA_HALF_SPACE.fullmatch(kana):
                raise Failure("V_KANA", msg.kana(spec.label, value))
            self._warnings.append(("V_KANA", msg.kana_half_space(spec.label)))
        if gaiji:
            self._warnings.append(("V_GAIJI", msg.gaiji(spec.label)))
        return value

    def _date(self, spec: FieldSpec, value: str) -> str:
        patterns = _DATE_CSV if self.s.is_csv else (_DATE_ISO,)
        match = next((m for p in patterns if (m := p.fullmatch(value))), None)
        if match is None:
            raise Failure("V_DATE", msg.date(spec.label, value, self.s.is_csv))
        try:
            iso = dt.date(*(int(g) for g in match.groups())).isoformat()
        except ValueError:
            raise Failure("V_DATE", msg.date_not_real(spec.label)) from None
        if spec.min_date and iso < spec.min_date:
            raise Failure("V_DATE_RANGE", msg.date_too_early(spec.label, spec.min_date))
        if spec.not_future and iso > self.s.today:
            raise Failure("V_DATE_RANGE", msg.date_future(spec.label))
        return iso

    def _boolean(self, spec: FieldSpec, value: Any) -> bool:
        if type(value) is str:
            parsed = _CSV_BOOLEANS.get(value.lower()) if self.s.is_csv else None
            if parsed is None:
                raise Failure("V_BOOLEAN", msg.boolean(spec.label, self.s.is_csv, value))
            value = parsed
        if value and self.s.mode in spec.true_forbidden_in:
            raise Failure("V_CODE", msg.delete_in_full(spec.label))
        return value

    def _code(self, spec: FieldSpec, value: str) -> str:
        if value not in spec.codes:
            raise Failure("V_CODE", msg.code(spec.label, spec.codes, value))
        return value

    def _integer(self, spec: FieldSpec, value: str) -> int:
        if not _INTEGER.fullmatch(value):
            if _LONG_INTEGER.fullmatch(value):
                raise Failure("V_RANGE", msg.number_range(spec.label, spec.min, spec.max))
            raise Failure("V_NUMBER", msg.number(spec.label, value))
        return self._int_range(spec, int(value))

    def _int_range(self, spec: FieldSpec, value: int) -> int:
        if (spec.min is not None and value < spec.min) or (
            spec.max is not None and value > spec.max
        ):
            raise Failure("V_RANGE", msg.number_range(spec.label, spec.min, spec.max))
        return value

    def _conditions(self, spec: FieldSpec, value: str) -> str:
        if _BAD_TEXT.search(value):
            raise Failure("V_CHARSET", msg.charset(spec.label, spec.kind, value))
        if not _CONDITIONS.fullmatch(value):
            raise Failure("V_CONDITIONS", msg.conditions(spec.label))
        return value

    # -- list ---------------------------------------------------------------------------------

    def _items(self, raw: RawRecord, found: list, errors: set) -> list:
        lst = self.layout.list
        if raw.items_error:
            return []
        if raw.items is None:
            if lst.required == "always":
                found.append((lst.path, "V_REQUIRED", ERROR, msg.required(lst.label), None))
                errors.add(lst.path)
            return []
        if len(raw.items) > lst.max_items:
            found.append(
                (lst.path, "V_LENGTH", ERROR, msg.too_many_items(lst.label, lst.max_items), None)
            )
            errors.add(lst.path)
            return []
        items = []
        for n, item in raw.items:
            normal = {}
            for spec in lst.items:
                path = lst.item_field(n, spec.path)
                value = item.get(spec.path)
                label = spec.label.format(n=n)
                try:
                    normal[spec.path] = self._item_value(spec, label, value)
                except Failure as f:
                    found.append((path, f.code, ERROR, f.message, value))
                    errors.add(path)
            if any(v is not None for v in normal.values()):
                items.append(normal)
        return items

    def _item_value(self, spec: FieldSpec, label: str, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if type(value) is not str:
            raise Failure("V_TYPE", msg.type_json(label, "文字列"))
        bad = _BAD_MULTILINE if spec.kind == "multiline" else _BAD_TEXT
        if bad.search(value):
            raise Failure("V_CHARSET", msg.charset(label, spec.kind, value))
        if len(value) > spec.max_length:
            raise Failure("V_LENGTH", msg.length_range(label, None, spec.max_length, len(value)))
        return value

    # -- cross-field --------------------------------------------------------------------------

    def houbetsu(self, value: Any) -> str | None:
        """法別番号 of an 8-digit 公費負担者番号, also when its check digit fails (§9)."""
        if type(value) is str and len(value) == 8 and value.isascii() and value.isdigit():
            return value[:2]
        return None

    def _cross(self, raw: RawRecord, normal: dict, errors: set, found: list) -> None:
        ins = self.layout.insurer
        number = normal.get(ins.field)
        houbetsu = None
        if ins.field not in raw.skip:
            houbetsu = self.houbetsu(raw.values.get(ins.field))
        if number is not None and ins.field not in errors:
            self._insurer(ins, number, errors, found)
        if houbetsu is None:
            self._date_order(raw, normal, errors, found)
            return
        for rule in self.layout.rules:
            if rule["rule"] == "national_recipient_number" and houbetsu in ins.national_houbetsu:
                self._national_recipient(rule, houbetsu, normal, raw, errors, found)
            elif rule["rule"] == "sex_not_managed" and houbetsu in rule["houbetsu"]:
                path = rule["field"]
                value = normal.get(path)
                if path not in errors and value is not None and value != rule["value"]:
                    message = msg.sex_not_managed(
                        self.layout.by_path[path].label, houbetsu, rule["value"]
                    )
                    severity = rule.get("severity", ERROR)
                    found.append((path, "V_SEX_NOT_MANAGED", severity, message, value))
                    if severity == ERROR:
                        errors.add(path)
        self._date_order(raw, normal, errors, found)

    def _insurer(self, ins, number: str, errors: set, found: list) -> None:
        label = self.layout.by_path[ins.field].label
        houbetsu, pref = number[:2], number[2:4]
        if houbetsu in ins.insurance_houbetsu:
            message = msg.houbetsu_insurance(label, houbetsu)
            found.append((ins.field, "V_HOUBETSU_INSURANCE", ERROR, message, number))
            errors.add(ins.field)
            return
        lo, hi = ins.prefecture_range
        if not lo <= pref <= hi:
            found.append(
                (ins.field, "V_PREFECTURE", ERROR, msg.prefecture_range(label, lo, hi), number)
            )
            errors.add(ins.field)
            return
        if houbetsu in ins.separate_houbetsu:
            message = msg.houbetsu_separate(label, houbetsu, ins.separate_houbetsu[houbetsu])
            found.append((ins.field, "V_HOUBETSU_UNKNOWN", WARNING, message, number))
        elif houbetsu not in self.known_houbetsu:
            found.append(
                (
                    ins.field,
                    "V_HOUBETSU_UNKNOWN",
                    WARNING,
                    msg.houbetsu_unknown(label, houbetsu),
                    number,
                )
            )
        if self.s.prefecture and pref != self.s.prefecture:
            found.append(
                (
                    ins.field,
                    "V_PREFECTURE",
                    WARNING,
                    msg.prefecture_mismatch(label, pref, self.s.prefecture),
                    number,
                )
            )

    def _national_recipient(self, rule, houbetsu, normal, raw, errors, found) -> None:
        path = rule["field"]
        value = normal.get(path)
        if path in errors or value is None:
            return
        spec = self.layout.by_path[path]
        n = rule["length"]
        if not _DIGITS.fullmatch(value):
            failure = ("V_CHARSET", msg.charset(spec.label, "digits", value))
        elif len(value) != n:
            failure = (
                "V_LENGTH",
                msg.national_recipient_length(spec.label, houbetsu, n, len(value)),
            )
        elif not recipient_number_valid(value):
            failure = ("V_CHECK_DIGIT", msg.check_digit(spec.label, "mhlw"))
            if self._lowered(rule.get("check_digit_option"), raw):
                found.append((path, failure[0], WARNING, failure[1], raw.values.get(path)))
                return
        else:
            return
        found.append((path, failure[0], ERROR, failure[1], raw.values.get(path)))
        errors.add(path)

    def _date_order(self, raw, normal, errors, found) -> None:
        rule = self.layout.rule("date_order")
        if rule is None:
            return
        start, end = normal.get(rule["from"]), normal.get(rule["to"])
        if start and end and rule["to"] not in errors and start > end:
            by = self.layout.by_path
            message = msg.date_order(by[rule["from"]].label, by[rule["to"]].label)
            found.append((rule["to"], "V_DATE_RANGE", ERROR, message, raw.values.get(rule["to"])))
            errors.add(rule["to"])

    # -- key ----------------------------------------------------------------------------------

    def _key(self, raw: RawRecord) -> tuple[str, ...] | None:
        parts = []
        for path in self.layout.key:
            value = raw.values.get(path)
            if value is None or value == "":
                if self.layout.by_path[path].required == "always":
                    return None
                value = ""
            if type(value) is not str or path in raw.skip:
                return None
            parts.append(value)
        return tuple(parts)


_KIND_CHECKS = {
    "text": RecordChecker._text,
    "multiline": RecordChecker._text,
    "alnum": RecordChecker._alnum,
    "digits": RecordChecker._alnum,
    "kana": RecordChecker._kana,
    "date": RecordChecker._date,
    "boolean": RecordChecker._boolean,
    "code": RecordChecker._code,
    "integer": RecordChecker._integer,
    "conditions": RecordChecker._conditions,
}
