"""Turning a CSV row or a JSON object into a :class:`RawRecord` keyed by canonical paths."""

from __future__ import annotations

from hashlib import blake2b
from typing import Any

from coderules.masking import mask_text

from . import messages as msg
from .checks import RawRecord
from .layout import Layout
from .names import closest
from .report import WARNING, Issue


class DupDict(dict):
    """A JSON object that had a key more than once (the last value wins, the key is flagged)."""

    duplicates: frozenset[str] = frozenset()


def object_pairs(pairs: list[tuple[str, Any]]) -> dict:
    """``object_pairs_hook`` for json: plain dict unless a key repeats."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        obj = DupDict(pairs)
        seen: set[str] = set()
        obj.duplicates = frozenset(k for k, _ in pairs if k in seen or seen.add(k))
    return obj


def _container_type(path: str) -> str:
    return f"{path} はJSONのオブジェクト（{{…}}）で指定してください。"


def raw_from_json(obj: dict, layout: Layout) -> RawRecord:
    raw = RawRecord(values={}, items=None)
    broken: set[str] = set()
    for spec in layout.fields:
        holder: Any = obj
        prefix = ""
        for segment in spec.path.split(".")[:-1]:
            prefix = f"{prefix}.{segment}" if prefix else segment
            if type(holder) is DupDict and segment in holder.duplicates:
                _report_once(raw, broken, prefix, "V_TYPE", msg.duplicate_key(prefix))
                holder = None
            holder = holder.get(segment) if isinstance(holder, dict) else None
            if holder is not None and not isinstance(holder, dict):
                _report_once(raw, broken, prefix, "V_TYPE", _container_type(prefix))
                holder = None
            if prefix in broken:
                raw.skip.add(spec.path)
        if holder is None:
            continue
        if type(holder) is DupDict and spec.leaf in holder.duplicates:
            raw.problems.append((spec.path, "V_TYPE", msg.duplicate_key(spec.label)))
            raw.skip.add(spec.path)
        value = holder.get(spec.leaf)
        if value is not None:
            raw.values[spec.path] = value
    _json_items(obj, layout, raw)
    return raw


def _report_once(raw: RawRecord, broken: set[str], path: str, code: str, message: str) -> None:
    if path not in broken:
        broken.add(path)
        raw.problems.append((path, code, message))


def _json_items(obj: dict, layout: Layout, raw: RawRecord) -> None:
    lst = layout.list
    value = obj.get(lst.path)
    if type(obj) is DupDict and lst.path in obj.duplicates:
        raw.problems.append((lst.path, "V_TYPE", msg.duplicate_key(lst.label)))
        raw.items_error = True
        return
    if value is None:
        return
    if not isinstance(value, list):
        raw.problems.append((lst.path, "V_TYPE", msg.type_json(lst.label, "配列（[…]）")))
        raw.items_error = True
        return
    raw.items = []
    parts = [spec.path for spec in lst.items]
    for n, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            path = f"{lst.path}[{n}]"
            raw.problems.append((path, "V_TYPE", _container_type(path)))
            continue
        if type(item) is DupDict and item.duplicates:
            duplicates = item.duplicates
            item = dict(item)
            for part in parts:
                if part in duplicates:
                    path = lst.item_field(n, part)
                    raw.problems.append((path, "V_TYPE", msg.duplicate_key(path)))
                    item[part] = None
        raw.items.append((n, item))


class UnknownKeys:
    """JSON keys the layout does not know: ``F_HEADER_UNKNOWN`` once per key path per file.

    Checked for every record, on the fast and the detailed path alike, before the record's own
    issues. A record without unknown keys costs one set comparison per object in it.
    """

    def __init__(self, layout: Layout):
        self.top: set[str] = {layout.list.path}
        nested: dict[str, set[str]] = {}
        for spec in layout.fields:
            if spec.parent is None:
                self.top.add(spec.path)
            else:
                self.top.add(spec.parent)
                nested.setdefault(spec.parent, set()).add(spec.leaf)
        self.nested = list(nested.items())
        self.list_path = layout.list.path
        self.item_keys = {item.path for item in layout.list.items}
        # "Did you mean": the keys of the same object, then any field by its leaf name (a key
        # put at the wrong level), compared case-insensitively.
        self.leaves = {spec.leaf.casefold(): spec.path for spec in layout.fields}
        self.candidates = {
            None: [(k.casefold(), k) for k in sorted(self.top)],
            self.list_path: [(k.casefold(), k) for k in sorted(self.item_keys)],
            **{p: [(k.casefold(), f"{p}.{k}") for k in sorted(ks)] for p, ks in self.nested},
        }
        self.seen: set[str | bytes] = set()
        self.emitted: list[str | bytes] = []  # what ``seen`` got, in the order of the issues

    def issues(self, obj: dict, row: int, line: int) -> list[Issue]:
        top = self.top
        if top.issuperset(obj) and self._nested_known(obj):
            return []
        found: list[Issue] = []
        for key in obj:
            if key not in top:
                self._add(found, key, key, None, row, line)
        for parent, known in self.nested:
            sub = obj.get(parent)
            if isinstance(sub, dict) and not known.issuperset(sub):
                for key in sub:
                    if key not in known:
                        path = f"{parent}.{key}"
                        self._add(found, path, path, parent, row, line, key)
        items = obj.get(self.list_path)
        if isinstance(items, list):
            for n, item in enumerate(items, start=1):
                if isinstance(item, dict) and not self.item_keys.issuperset(item):
                    for key in item:
                        if key not in self.item_keys:
                            generic = f"{self.list_path}[].{key}"
                            shown = f"{self.list_path}[{n}].{key}"
                            self._add(found, generic, shown, self.list_path, row, line, key)
        return found

    def _nested_known(self, obj: dict) -> bool:
        for parent, known in self.nested:
            sub = obj.get(parent)
            if isinstance(sub, dict) and not known.issuperset(sub):
                return False
        items = obj.get(self.list_path)
        if isinstance(items, list):
            keys = self.item_keys
            for item in items:
                if isinstance(item, dict) and not keys.issuperset(item):
                    return False
        return True

    def _add(self, found: list, ident: str, shown: str, parent: str | None, row: int,
             line: int, key: str | None = None) -> None:  # fmt: skip
        seen = (
            ident if len(ident) <= 200 else blake2b(ident.encode("utf-8", "surrogatepass")).digest()
        )
        if seen in self.seen:
            return
        self.seen.add(seen)
        self.emitted.append(seen)
        key = shown if key is None else key
        folded = key.casefold()
        suggestion = self.leaves.get(folded) if parent is None else None
        if suggestion is None or suggestion == key:
            suggestion = closest(folded, self.candidates[parent])
        name = mask_text(shown)
        found.append(
            Issue(row, line, name, "F_HEADER_UNKNOWN", WARNING, msg.unknown_key(name, suggestion))
        )


class CsvColumns:
    """What each CSV column means, from the header row."""

    def __init__(self, layout: Layout, targets: list[tuple | None]):
        self.layout = layout
        self.targets = targets
        self.count = len(targets)
        self.fields = [(t[1].path, i) for i, t in enumerate(targets) if t and t[0] == "field"]
        self.items = [(t[1], t[2], i) for i, t in enumerate(targets) if t and t[0] == "item"]
        self.index = {path: i for path, i in self.fields}

    def raw(self, row: list[str]) -> RawRecord:
        values = {path: row[i] for path, i in self.fields if row[i] != ""}
        by_n: dict[int, dict[str, str]] = {}
        for n, part, i in self.items:
            if row[i] != "":
                by_n.setdefault(n, {})[part] = row[i]
        return RawRecord(values=values, items=sorted(by_n.items()))
