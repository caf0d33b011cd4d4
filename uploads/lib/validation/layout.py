"""Record layouts as versioned data.

A layout (``layouts/<id with / replaced by ->.json``) names every field, its JSON path, its
Japanese alias, its kind and limits, the key and the cross-field rules. The validators only read
these objects, so ``pmh-medical-subsidy/2`` is a new data file, not new code.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

_LAYOUT_DIR = Path(__file__).with_name("layouts")

KINDS = frozenset(
    {
        "text",
        "multiline",
        "alnum",
        "digits",
        "kana",
        "date",
        "boolean",
        "code",
        "integer",
        "conditions",
    }
)


@dataclass(frozen=True)
class FieldSpec:
    path: str
    label: str
    kind: str
    required: str = "never"  # "always", "never" or "diff" (required in diff mode)
    min_length: int | None = None
    max_length: int | None = None
    length: int | None = None
    json_number: str = "type_error"  # "accept": a JSON number stands for its digits
    check_digit: str | None = None
    check_digit_option: str | None = None
    codes: dict[str, str] = field(default_factory=dict)
    min: int | None = None
    max: int | None = None
    min_date: str | None = None
    not_future: bool = False
    true_forbidden_in: tuple[str, ...] = ()
    masked_last4: bool = False
    aliases: tuple[str, ...] = ()  # further CSV header names (the official API's names)
    gaiji: str | None = None  # "warning": private-use characters, 〓 and ● give V_GAIJI
    line_break: str | None = None  # "warning": a line break is a V_CHARSET warning, not error

    def required_in(self, mode: str) -> bool:
        return self.required == "always" or self.required == mode

    @property
    def leaf(self) -> str:
        return self.path.rpartition(".")[2]

    @property
    def parent(self) -> str | None:
        return self.path.rpartition(".")[0] or None


@dataclass(frozen=True)
class ListSpec:
    """A list of small objects, flattened in CSV as numbered column groups."""

    path: str
    label: str
    required: str
    max_items: int
    csv_columns: str
    items: tuple[FieldSpec, ...]

    def item_field(self, n: int, part: str) -> str:
        return self.csv_columns.format(n=n, part=part)


@dataclass(frozen=True)
class InsurerSpec:
    field: str
    national_houbetsu: frozenset[str]
    local_houbetsu_range: tuple[str, str]
    prefecture_range: tuple[str, str]
    insurance_houbetsu: frozenset[str] = frozenset()  # health insurers: V_HOUBETSU_INSURANCE
    separate_houbetsu: dict[str, str] = field(default_factory=dict)  # national, registered apart


@dataclass(frozen=True)
class Layout:
    id: str
    title: str
    fields: tuple[FieldSpec, ...]
    list: ListSpec
    key: tuple[str, ...]
    disclosure_flag: str
    delete_flag: str
    insurer: InsurerSpec
    rules: tuple[dict, ...]
    by_path: dict[str, FieldSpec] = field(repr=False, default_factory=dict)
    headers: dict[str, tuple] = field(repr=False, default_factory=dict)

    def resolve_header(self, name: str) -> tuple | None:
        """Target of a CSV header: ("field", FieldSpec) or ("item", n, part); None if unknown."""
        return self.headers.get(normalise_header(name))

    @property
    def column_capacity(self) -> int:
        """How many columns the layout can name: every field and every list item part."""
        return len(self.fields) + self.list.max_items * len(self.list.items)

    @property
    def max_columns(self) -> int:
        """A header with more columns is refused at once (F_CSV_SYNTAX): room for the layout's
        columns three times over in unknown ones, never a cost that grows with a hostile file."""
        return 4 * self.column_capacity

    def required_columns(self, mode: str) -> list[FieldSpec]:
        return [f for f in self.fields if f.required_in(mode)]

    def rule(self, name: str) -> dict | None:
        return next((r for r in self.rules if r["rule"] == name), None)


def normalise_header(name: str) -> str:
    """Headers are compared after NFKC, trimming and case folding (cell values never are)."""
    return unicodedata.normalize("NFKC", name.replace("\ufeff", "")).strip().casefold()


def _field_from_data(data: dict, masked: set[str]) -> FieldSpec:
    data = dict(data)
    kind = data["kind"]
    if kind not in KINDS:
        raise ValueError(f"unknown field kind {kind!r}")
    if kind == "integer":  # codes are strings in PMH's API: a JSON number there is V_TYPE
        data.setdefault("json_number", "accept")
    data["true_forbidden_in"] = tuple(data.get("true_forbidden_in", ()))
    data["aliases"] = tuple(data.get("aliases", ()))
    return FieldSpec(masked_last4=data["path"] in masked, **data)


def _header_map(fields: tuple[FieldSpec, ...], lst: ListSpec) -> dict[str, tuple]:
    headers: dict[str, tuple] = {}
    for spec in fields:
        headers[normalise_header(spec.path)] = ("field", spec)
        headers[normalise_header(spec.label)] = ("field", spec)
        for alias in spec.aliases:
            headers[normalise_header(alias)] = ("field", spec)
    for n in range(1, lst.max_items + 1):
        for item in lst.items:
            target = ("item", n, item.path)
            headers[normalise_header(lst.item_field(n, item.path))] = target
            headers[normalise_header(item.label.format(n=n))] = target
    return headers


def layout_from_data(data: dict) -> Layout:
    masked = set(data.get("masked_last4", ()))
    fields = tuple(_field_from_data(f, masked) for f in data["fields"])
    raw_list = data["list"]
    items = tuple(
        FieldSpec(path=i["part"], label=i["label"], kind=i["kind"], max_length=i["max_length"])
        for i in raw_list["items"]
    )
    lst = ListSpec(
        path=raw_list["path"],
        label=raw_list["label"],
        required=raw_list["required"],
        max_items=raw_list["max_items"],
        csv_columns=raw_list["csv_columns"],
        items=items,
    )
    ins = data["insurer_number"]
    insurer = InsurerSpec(
        field=ins["field"],
        national_houbetsu=frozenset(ins["national_houbetsu"]),
        local_houbetsu_range=tuple(ins["local_houbetsu_range"]),
        prefecture_range=tuple(ins["prefecture_range"]),
        insurance_houbetsu=frozenset(ins.get("insurance_houbetsu", ())),
        separate_houbetsu=dict(ins.get("separate_houbetsu", {})),
    )
    by_path = {f.path: f for f in fields}
    for name in (*data["key"], data["disclosure_flag"], data["delete_flag"], insurer.field):
        if name not in by_path:
            raise ValueError(f"layout {data['id']} names unknown field {name!r}")
    return Layout(
        id=data["id"],
        title=data.get("title", data["id"]),
        fields=fields,
        list=lst,
        key=tuple(data["key"]),
        disclosure_flag=data["disclosure_flag"],
        delete_flag=data["delete_flag"],
        insurer=insurer,
        rules=tuple(data.get("rules", ())),
        by_path=by_path,
        headers=_header_map(fields, lst),
    )


@cache
def load_layout(layout_id: str = "pmh-medical-subsidy/1") -> Layout:
    """Load a layout by id; raises LookupError for an unknown one."""
    path = _LAYOUT_DIR / (layout_id.replace("/", "-") + ".json")
    if "/" not in layout_id or not path.is_file():
        raise LookupError(f"unknown record layout {layout_id!r}")
    return layout_from_data(json.loads(path.read_text(encoding="utf-8")))


def available_layouts() -> list[str]:
    ids = []
    for p in sorted(_LAYOUT_DIR.glob("*.json")):
        ids.append(json.loads(p.read_text(encoding="utf-8"))["id"])
    return ids
