"""The fast path: prove a whole row valid with one regex match and a few lookups.

The cells of a row are joined with NUL, which no field pattern admits, and matched against one
compiled pattern made of a strict per-column pattern each. A pattern only accepts values that the
detailed check (``checks.py``) would accept without any issue, given the few checks done here in
Python afterwards (check digits, 公費負担者番号 codes, date ranges and order). Anything the fast
path cannot prove goes to the detailed check, which is the reference; so a pattern may be stricter
than the rules (it is for 29 February, for dates not in YYYY-MM-DD), never looser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from coderules.checkdigits import (
    insurer_number_valid,
    mynumber_digit_tables,
    mynumber_digits_valid,
    recipient_digit_tables,
)

from .checks import GAIJI_CLASS, KANA_CLASS, RecordChecker
from .layout import FieldSpec, Layout
from .tally import KEY_SEP

SEP = "\x00"
ENABLED = True  # tests switch it off to compare the detailed path with it

# Never in a fast match: NUL (the separator), undecodable bytes (lone surrogates, and CP932's
# single-byte fallbacks), controls and bidi overrides.
_NEVER = "\x00-\x1f\x7f-\x9f\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
_NEVER += "\ud800-\udfff\uf8f0-\uf8f3"
_NEVER_MULTILINE = _NEVER.replace("\x00-\x1f", "\x00-\x08\x0b\x0c\x0e-\x1f")
ANY_CELL = "[^\x00\x80\ud800-\udfff\uf8f0-\uf8f3{}]*"
_DAY = (
    "(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])|(?:0[13-9]|1[0-2])-(?:29|30)"
    "|(?:0[13578]|1[02])-31)"
)
_DATE = f"[1-9][0-9]{{3}}-{_DAY}"
_CSV_TRUE = "(?:1|[Tt][Rr][Uu][Ee])"
_CSV_FALSE = "(?:0|[Ff][Aa][Ll][Ss][Ee])"
# The pattern has already made these values ASCII digits of the right length.
_CHECK_DIGITS = {"mynumber": mynumber_digits_valid, "mhlw": insurer_number_valid}
_UNSEEN = object()  # a 公費負担者番号 not looked at yet
# recipient_digits_valid inlined, for an empty cell or 7 digits (the pattern made them ASCII)
_RECIPIENT_TEST = (
    "not y or (len(y) == 7 and y.isdigit() and RDIGIT[(RA[y[:3]] + RB[y[3:6]]) % 10] == y[6])"
)


def _repeat(cls: str, spec: FieldSpec, required: bool) -> str:
    if spec.length is not None:
        body = f"{cls}{{{spec.length}}}"
    else:
        lo = max(spec.min_length or 0, 1)
        hi = spec.max_length if spec.max_length is not None else ""
        if lo == 1 and not required:
            return f"{cls}{{0,{hi}}}"  # one repeat of a class: faster than an optional group
        body = f"{cls}{{{lo},{hi}}}"
    return body if required else _optional(body)


def _optional(body: str) -> str:
    """``(?:body)?`` written as an alternation: the same language, but Python's ``re`` runs an
    empty branch much faster than an optional group (its repeat machinery), and every clean row
    passes through some twenty of them."""
    return f"(?:{body}|)"


def _integer(spec: FieldSpec) -> tuple[str, bool]:
    """Pattern for 0..max in canonical form, and whether Python must still compare with max."""
    hi = spec.max if spec.max is not None else 10**18 - 1
    digits = len(str(hi))
    if spec.min != 0 or digits > 18:
        return "(?!)", False
    if hi == 10**digits - 1:
        return f"(?:0|[1-9][0-9]{{0,{digits - 1}}})", False
    if hi == 10 ** (digits - 1):
        return f"(?:{hi}|0|[1-9][0-9]{{0,{digits - 2}}})", False
    return f"(?:0|[1-9][0-9]{{0,{digits - 1}}})", True


def field_pattern(spec: FieldSpec, layout: Layout, mode: str, never: str = "") -> tuple[str, bool]:
    """The strict pattern for one field, and whether an extra integer range check is needed.

    ``never`` adds characters a free-text value may not contain (CSV delimiters, quotes).
    """
    required = spec.required_in(mode)
    kind = spec.kind
    if spec.gaiji:  # a 外字 is a warning: such a value takes the detailed path
        never += GAIJI_CLASS
    if kind in ("text", "multiline"):
        base = _NEVER_MULTILINE if kind == "multiline" else _NEVER
        return _repeat(f"[^{base}{never}]", spec, required), False
    if kind == "alnum":
        return _repeat("[A-Za-z0-9]", spec, required), False
    if kind == "digits":
        return _repeat("[0-9]", spec, required), False
    if kind == "kana":
        return _repeat(f"[{KANA_CLASS}]", spec, required), False
    if kind == "date":
        return (_DATE if required else _optional(_DATE)), False
    if kind == "boolean":
        # Deletes (diff) and a forbidden true (full) take the detailed path.
        only_false = mode in spec.true_forbidden_in or spec.path == layout.delete_flag
        body = _CSV_FALSE if only_false else f"(?:{_CSV_TRUE}|{_CSV_FALSE})"
        return (body if required else _optional(body)), False
    if kind == "code":
        body = "(?:" + "|".join(re.escape(c) for c in spec.codes) + ")"
        return (body if required else _optional(body)), False
    if kind == "integer":
        body, needs_range = _integer(spec)
        return (body if required else _optional(body)), needs_range
    if kind == "conditions":
        pair = "[A-Za-z0-9]+-[A-Za-z0-9]+"
        body = f"{pair}(?:;{pair})*"
        return (body if required else _optional(body)), False
    raise ValueError(kind)


def item_pattern(spec: FieldSpec, never: str = "") -> str:
    base = _NEVER_MULTILINE if spec.kind == "multiline" else _NEVER
    return f"[^{base}{never}]{{0,{spec.max_length}}}"


# In line mode a value is unquoted (no comma, no quote) or quoted without inner quotes; the line
# ends with at most one line break. Anything else (escaped quotes, a quoted line break) fails the
# match and goes through the csv module.
_UNQUOTED_NEVER = ',"\r\n'
_QUOTED_NEVER = '"\r\n'
_LINE_END = "(?:\r\n|\n|\r|)"


class FastRow:
    """Built once per file for its column order: ``line(text)`` for a raw CSV line, ``cells(row)``
    for parsed cells. Each returns the record's key text when the row is clean, else None."""

    def __init__(self, checker: RecordChecker, columns: Sequence[tuple | None]):
        self.layout = checker.layout
        self.settings = checker.s
        self.index = index = {
            t[1].path: i for i, t in enumerate(columns) if t is not None and t[0] == "field"
        }
        self.int_ranges: list[tuple[int, int]] = []
        cell_parts, plain_parts, quoted_parts, quoted_groups = [], [], [], []
        runs = _runs(columns)
        for i, target, count in runs:
            cell_parts.append(_repeated(self._pattern(target, i, ""), SEP, count))
        needed = self._needed(index)
        self.position = {col: pos for pos, col in enumerate(needed)}
        for i, target, count in runs:
            unquoted = self._pattern(target, i, _UNQUOTED_NEVER)
            quoted = self._pattern(target, i, _QUOTED_NEVER)
            either = f'"{quoted}"|{unquoted}'
            if i in self.position:
                # Captured without its quotes: ("?) and the backreference keep them balanced.
                plain_parts.append(f"({unquoted})")
                quoted_parts.append(f'("?)({unquoted})\\{len(quoted_groups) * 2 + 1}')
                quoted_groups.append(len(quoted_groups) * 2 + 2)
            else:
                plain_parts.append(_repeated(unquoted, ",", count))
                quoted_parts.append(_repeated(f"(?:{either})", ",", count))
        self._cell_match = re.compile(SEP.join(cell_parts), re.DOTALL).fullmatch
        self._cell_parts = cell_parts
        self._plain_match = re.compile(",".join(plain_parts) + _LINE_END).fullmatch
        self._quoted_match = re.compile(",".join(quoted_parts) + _LINE_END).fullmatch
        self._groups = tuple(range(1, len(needed) + 1))
        self._quoted_groups = tuple(quoted_groups)
        self._pick = itemgetter(*needed)
        self._setup_checks(checker)
        self._post = self._make_post()

    def listed_match(self) -> Callable[[str], Any]:
        """For rows laid out in :func:`json_columns` order but without the empty item cells
        after the last item (``JsonCells.strict``, ``jsonstruct``): the cells joined with SEP
        match exactly when the padded row matches ``_cell_match``, since an empty item cell
        always passes. Forty empty cells fewer to join and match per record."""
        lay = self.layout
        fields, parts = len(lay.fields), len(lay.list.items)
        group = SEP.join(self._cell_parts[fields : fields + parts])
        head = SEP.join(self._cell_parts[:fields])
        pattern = f"{head}(?:{SEP}{group}){{0,{lay.list.max_items}}}"
        return re.compile(pattern, re.DOTALL).fullmatch

    def _needed(self, index: dict[str, int]) -> list[int]:
        """Columns the Python checks read: key, check digits, date limits, 公費負担者番号, rules."""
        lay = self.layout
        order = lay.rule("date_order") or {}
        paths = [*lay.key, lay.insurer.field, order.get("from"), order.get("to")]
        paths += [f.path for f in lay.fields if f.check_digit or f.min_date or f.not_future]
        paths += [r["field"] for r in lay.rules if "field" in r]
        cols = {index[p] for p in paths if p in index}
        cols |= {i for i, _ in self.int_ranges}
        return sorted(cols) if len(cols) > 1 else [*cols, *cols, 0][:2]

    def _pattern(self, target: tuple | None, i: int, never: str) -> str:
        if target is None:
            return ANY_CELL.format(never)
        if target[0] == "item":
            item = next(s for s in self.layout.list.items if s.path == target[2])
            return item_pattern(item, never)
        spec = target[1]
        pattern, needs_range = field_pattern(spec, self.layout, self.settings.mode, never)
        if needs_range and not never and (i, spec.max) not in self.int_ranges:
            self.int_ranges.append((i, spec.max))
        return pattern

    def _setup_checks(self, checker: RecordChecker) -> None:
        lay, settings, pos, index = self.layout, self.settings, self.position, self.index
        self.check_digits = [
            (pos[index[f.path]], _CHECK_DIGITS[f.check_digit])
            for f in lay.fields
            if f.check_digit and f.path in index and f.path != lay.insurer.field
        ]
        self.dates = [
            (pos[index[f.path]], f.min_date or "", settings.today if f.not_future else "9999")
            for f in lay.fields
            if f.kind == "date" and (f.min_date or f.not_future) and f.path in index
        ]
        self.int_ranges = [(pos[i], hi) for i, hi in self.int_ranges]
        order = lay.rule("date_order")
        self.date_order = None
        if order and order["from"] in index and order["to"] in index:
            self.date_order = (pos[index[order["from"]]], pos[index[order["to"]]])
        key = [pos[index[p]] if p in index else None for p in lay.key]
        template = KEY_SEP.join("{}" if p is not None else "" for p in key)
        self._key_positions = [p for p in key if p is not None]
        self._key_pick = itemgetter(*self._key_positions)
        self._key_template = template
        self._insurer_setup(checker)

    def _insurer_setup(self, checker: RecordChecker) -> None:
        layout, ins = self.layout, self.layout.insurer
        index, pos = self.index, self.position
        self.insurer = pos[index[ins.field]] if ins.field in index else None
        self.insurer_cache: dict[str, int | None] = {}
        self.known = checker.clean_houbetsu
        self.prefecture = checker.s.prefecture
        self.pref_range = ins.prefecture_range
        # (法別番号, cell, test): the test is Python source over the cell ``y``, true when the
        # rule holds (inlined into the generated checks).
        self.houbetsu_rules: list[tuple[frozenset, int, str]] = []
        for rule in layout.rules:
            if rule.get("field") not in index:
                continue
            at = pos[index[rule["field"]]]
            if rule["rule"] == "national_recipient_number":  # empty, or 7 digits that check
                self.houbetsu_rules.append((ins.national_houbetsu, at, _RECIPIENT_TEST))
            elif rule["rule"] == "sex_not_managed":
                codes = frozenset(rule["houbetsu"])
                self.houbetsu_rules.append((codes, at, f"y == {rule['value']!r}"))

    def _insurer_rules(self, number: str) -> int | None:
        """Which set of rules the 法別番号 of a clean 公費負担者番号 brings (0: none; see
        ``_make_post``), or None when the number needs the detailed check. Kept per number: a
        file has few of them."""
        pref = number[2:4]
        lo, hi = self.pref_range
        clean = (
            insurer_number_valid(number)
            and lo <= pref <= hi
            and number[:2] in self.known
            and (self.prefecture is None or pref == self.prefecture)
        )
        result = self.rules_by_houbetsu.get(number[:2], 0) if clean else None
        if len(self.insurer_cache) < 10_000:
            self.insurer_cache[number] = result
        return result

    def line(self, text: str) -> str | None:
        if '"' in text:
            match = self._quoted_match(text)
            if match is None:
                return None
            return self._post(match.group(*self._quoted_groups))
        match = self._plain_match(text)
        if match is None:
            return None
        return self._post(match.group(*self._groups))

    def cells(self, row: list[str]) -> str | None:
        if self._cell_match(SEP.join(row)) is None:
            return None
        return self._post(self._pick(row))

    def _make_post(self) -> Callable[[tuple], str | None]:
        """The checks after a match, as straight-line code generated for the file's columns
        (this runs for every row; like ``JsonCells.strict``). ``v`` holds the needed cells."""
        tests: dict[str, tuple] = {}
        for codes, i, test in self.houbetsu_rules:
            for code in codes:
                tests[code] = (*tests.get(code, ()), (i, test))
        sets = sorted(set(tests.values()))  # each distinct set of rules, numbered from 1
        self.rules_by_houbetsu = {code: sets.index(rules) + 1 for code, rules in tests.items()}
        a, b, c, digit = mynumber_digit_tables()
        ra, rb, rdigit = recipient_digit_tables()
        namespace: dict[str, Any] = {
            "cache_get": self.insurer_cache.get,
            "insurer_rules": self._insurer_rules,
            "MA": a,
            "MB": b,
            "MC": c,
            "MDIGIT": digit,
            "RA": ra,
            "RB": rb,
            "RDIGIT": rdigit,
            "UNSEEN": _UNSEEN,
        }
        code = ["def post(v):"]
        for k, (i, valid) in enumerate(self.check_digits):
            if valid is mynumber_digits_valid:  # inlined: a call per row costs as much again
                code += [
                    f"    x = v[{i}]",
                    "    if x and MDIGIT[(MA[x[:4]] + MB[x[4:8]] + MC[x[8:11]]) % 11] != x[11]:",
                    "        return None",
                ]
                continue
            namespace[f"valid{k}"] = valid
            code += [f"    x = v[{i}]", f"    if x and not valid{k}(x):", "        return None"]
        for i, lo, hi in self.dates:
            code += [
                f"    x = v[{i}]",
                f"    if x and not {lo!r} <= x <= {hi!r}:",
                "        return None",
            ]
        if self.date_order is not None:
            start, end = self.date_order
            code += [f"    x, y = v[{start}], v[{end}]", "    if x and y and x > y:",
                     "        return None"]  # fmt: skip
        for i, hi in self.int_ranges:
            code += [f"    x = v[{i}]", f"    if x and int(x) > {hi!r}:", "        return None"]
        if self.insurer is not None:
            code += [
                f"    x = v[{self.insurer}]",
                "    if x:",
                "        rules = cache_get(x, UNSEEN)",
                "        if rules is UNSEEN:",
                "            rules = insurer_rules(x)",
                "        if rules is None:",
                "            return None",
            ]
            for number, rules in enumerate(sets, 1):
                code.append(f"        {'if' if number == 1 else 'elif'} rules == {number}:")
                for i, test in rules:
                    code += [f"            y = v[{i}]", f"            if not ({test}):",
                             "                return None"]  # fmt: skip
        # The key text: the template's "{}" filled with the key cells, in order.
        parts, fill = [], iter(self._key_positions)
        for n, literal in enumerate(self._key_template.split("{}")):
            if literal:
                parts.append(repr(literal))
            if n < self._key_template.count("{}"):
                parts.append(f"v[{next(fill)}]")
        code.append(f"    return {' + '.join(parts) or repr('')}")
        exec(compile("\n".join(code) + "\n", "<fast row checks>", "exec"), namespace)  # noqa: S102
        return namespace["post"]


def _runs(columns: Sequence[tuple | None]) -> list[tuple[int, tuple | None, int]]:
    """(first column, target, count): each run of columns the layout does not know is one
    entry, so the patterns grow with the layout's columns, never with a file's empty ones."""
    runs: list[tuple[int, tuple | None, int]] = []
    for i, target in enumerate(columns):
        if target is None and runs and runs[-1][1] is None:
            runs[-1] = (runs[-1][0], None, runs[-1][2] + 1)
        else:
            runs.append((i, target, 1))
    return runs


def _repeated(pattern: str, sep: str, count: int) -> str:
    return pattern if count == 1 else f"{pattern}(?:{sep}{pattern}){{{count - 1}}}"


def json_columns(layout: Layout) -> list[tuple]:
    """The canonical column order a JSON record is laid out in for the fast path."""
    columns: list[tuple] = [("field", spec) for spec in layout.fields]
    for n in range(1, layout.list.max_items + 1):
        columns.extend(("item", n, item.path) for item in layout.list.items)
    return columns


class JsonCells:
    """Lay a JSON object out as strings in :func:`json_columns` order, or None if it cannot be
    proven valid that way (a wrong type, a repeated key, a missing list): those take the
    detailed path, which knows the JSON-specific codes.

    ``unknown`` tells whether the object laid out had a key the layout does not know (one set
    comparison per object): only then are its keys looked at (``records.UnknownKeys``)."""

    def __init__(self, layout: Layout):
        self.plan = []
        for spec in layout.fields:
            mode = 1 if spec.kind == "boolean" else 2 if spec.json_number == "accept" else 0
            self.plan.append((spec.parent, spec.leaf, mode))
        self.parents = sorted({p for p, _, _ in self.plan if p})
        self.list_path = layout.list.path
        self.parts = [item.path for item in layout.list.items]
        self.pad = [""] * (layout.list.max_items * len(self.parts))
        self.width = len(self.plan) + len(self.pad)  # cells in a row of :meth:`cells`
        self.keys: dict[str | None, frozenset[str]] = {
            None: frozenset({p or leaf for p, leaf, _ in self.plan} | {self.list_path}),
            **{p: frozenset(leaf for q, leaf, _ in self.plan if q == p) for p in self.parents},
        }
        self.item_keys = frozenset(self.parts)
        self.unknown = False

    def cells(self, obj: dict) -> list[str] | None:
        self.unknown = False
        if type(obj) is not dict:
            return None
        keys = self.keys
        if not keys[None].issuperset(obj):
            self.unknown = True
        holders: dict[str | None, dict] = {None: obj}
        for parent in self.parents:
            sub = obj.get(parent)
            if sub is None:
                sub = {}
            elif type(sub) is not dict:
                return None
            elif not keys[parent].issuperset(sub):
                self.unknown = True
            holders[parent] = sub
        row: list[str] = []
        append = row.append
        for parent, leaf, mode in self.plan:
            value = holders[parent].get(leaf)
            kind = type(value)
            if kind is str:
                if mode == 1:
                    return None
                append(value)
            elif value is None:
                append("")
            elif kind is bool and mode == 1:
                append("1" if value else "0")
            elif kind is int and mode == 2:
                append(str(value))
            else:
                return None
        return self._items(obj.get(self.list_path), row)

    def strict(self) -> Callable[[Any], tuple[list[str] | None, int]]:
        """``lay(obj)``: the cells of :meth:`cells` without the empty item cells after the last
        item (:meth:`padded` adds them; ``FastRow.listed_match`` matches such rows) and the
        number of keys in all the record's objects, or (None, 0) for a record with a key the
        layout does not know or anything :meth:`cells` would refuse. The fast JSON reader calls
        it for every record, so it is generated for the layout as straight-line code (like
        ``fastrecord.py``)."""
        names = {None: "o", **{p: f"h{i}" for i, p in enumerate(self.parents)}}
        getters = {None: "g", **{p: f"g{i}" for i, p in enumerate(self.parents)}}
        code = [
            "def lay(o):",
            "    if type(o) is not dict or not top(o):",
            "        return REFUSED",
            "    n = len(o)",
            "    g = o.get",
        ]
        for i, parent in enumerate(self.parents):
            h = names[parent]
            code += [
                f"    {h} = o.get({parent!r})",
                f"    if {h} is None:",
                f"        {h} = EMPTY",
                f"    elif type({h}) is not dict or not known[{i}]({h}):",
                "        return REFUSED",
                "    else:",
                f"        n += len({h})",
                f"    g{i} = {h}.get",
            ]
        cells = []
        for k, (parent, leaf, mode) in enumerate(self.plan):
            v = f"v{k}"
            cells.append(v)
            code.append(f"    {v} = {getters[parent]}({leaf!r})")
            if mode == 0:
                code += [f"    if type({v}) is not str:", f"        if {v} is not None:",
                         "            return REFUSED", f"        {v} = ''"]  # fmt: skip
            elif mode == 1:
                code += [f"    if type({v}) is bool:", f"        {v} = '1' if {v} else '0'",
                         f"    elif {v} is None:", f"        {v} = ''", "    else:",
                         "        return REFUSED"]  # fmt: skip
            else:
                code += [f"    if type({v}) is not str:", f"        if {v} is None:",
                         f"            {v} = ''", f"        elif type({v}) is int:",
                         f"            {v} = str({v})", "        else:",
                         "            return REFUSED"]  # fmt: skip
        code += [
            f"    items = g({self.list_path!r})",
            "    if type(items) is not list or len(items) > MAX_ITEMS:",
            "        return REFUSED",
            f"    row = [{', '.join(cells)}]",
            "    for item in items:",
            "        if type(item) is not dict or not item_keys(item):",
            "            return REFUSED",
            "        n += len(item)",
            "        get = item.get",
        ]
        for part in self.parts:
            code += [
                f"        v = get({part!r})",
                "        if type(v) is not str:",
                "            if v is not None:",
                "                return REFUSED",
                "            v = ''",
                "        row.append(v)",
            ]
        code += ["    return row, n"]
        namespace = {
            "top": self.keys[None].issuperset,
            "known": [self.keys[p].issuperset for p in self.parents],
            "item_keys": self.item_keys.issuperset,
            "EMPTY": {},
            "REFUSED": (None, 0),
            "MAX_ITEMS": len(self.pad) // len(self.parts),
        }
        exec(compile("\n".join(code) + "\n", "<json cells>", "exec"), namespace)  # noqa: S102
        return namespace["lay"]

    def padded(self, row: list[str]) -> list[str]:
        """A row of :meth:`strict` as :meth:`cells` gives it: every item column present."""
        return row + self.pad[: self.width - len(row)]

    def _items(self, items, row: list[str]) -> list[str] | None:
        if type(items) is not list or len(items) * len(self.parts) > len(self.pad):
            return None
        for item in items:
            if type(item) is not dict:
                return None
            if not self.item_keys.issuperset(item):
                self.unknown = True
            for part in self.parts:
                value = item.get(part)
                if value is None:
                    row.append("")
                elif type(value) is str:
                    row.append(value)
                else:
                    return None
        row.extend(self.pad[: len(self.pad) - len(items) * len(self.parts)])
        return row


_BOOLEAN_CELLS = {"0": False, "1": True, "true": True, "false": False}


class FastValues:
    """The normalised values of a row the fast path proved clean, straight from its cells.

    A clean row's cells are already in canonical form (ISO dates, plain integers, 0/1/true/
    false), so normalising is a lookup per column; the result equals what the detailed check
    (``RecordChecker.check``) gives for the same row, which the engine tests assert.
    """

    def __init__(self, layout: Layout, columns: Sequence[tuple | None]):
        index = {t[1].path: i for i, t in enumerate(columns) if t is not None and t[0] == "field"}
        present = [spec for spec in layout.fields if spec.path in index]
        self.text = [
            (s.path, index[s.path]) for s in present if s.kind not in ("boolean", "integer")
        ]
        self.booleans = [(s.path, index[s.path]) for s in present if s.kind == "boolean"]
        self.integers = [(s.path, index[s.path]) for s in present if s.kind == "integer"]
        self.absent = {s.path: None for s in layout.fields if s.path not in index}
        self.list_path = layout.list.path
        groups: dict[int, list[tuple[str, int]]] = {}
        for i, target in enumerate(columns):
            if target is not None and target[0] == "item":
                groups.setdefault(target[1], []).append((target[2], i))
        parts = [item.path for item in layout.list.items]
        self.items = []
        for n in sorted(groups):
            columns_of = dict(groups[n])
            present_parts = [(part, columns_of[part]) for part in parts if part in columns_of]
            missing = {part: None for part in parts if part not in columns_of}
            indexes = [i for _, i in present_parts]
            pick = itemgetter(*indexes, *indexes) if len(indexes) == 1 else itemgetter(*indexes)
            self.items.append((present_parts, missing, pick))

    def values(self, cells: Sequence[str]) -> dict:
        out = {path: cells[i] or None for path, i in self.text}
        for path, i in self.booleans:
            value = cells[i]
            out[path] = _BOOLEAN_CELLS[value.lower()] if value else None
        for path, i in self.integers:
            value = cells[i]
            out[path] = int(value) if value else None
        out.update(self.absent)
        items = []
        for group, missing, pick in self.items:
            if any(pick(cells)):
                item = {part: cells[i] or None for part, i in group}
                if missing:
                    item.update(missing)
                items.append(item)
        out[self.list_path] = items
        return out
