"""A mapping bound to one file's columns: for each target field, where its value comes from and
the functions it goes through. Shared by the converter, the specification and the profile."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from uploads.lib.validation import Layout, load_layout

from . import conversions
from .headers import header_key
from .mapping import target_label, targets
from .masking import NOT_DISCLOSED, shown
from .sources import Column
from .values import cell_text

CACHE_MAX = 10_000  # distinct raw values remembered per field by ``run`` (samples, examples)
PERSONAL_FIELDS = frozenset(
    {
        "basicFiveInfo.name",
        "basicFiveInfo.nameKana",
        "basicFiveInfo.address",
        "basicFiveInfo.dateOfBirth",
    }
)
C_COLUMN_MISSING = "C_COLUMN_MISSING"

# (converted text, indexes of the steps that changed it, (code, message) or None)
Result = tuple[str, tuple[int, ...], tuple[str, str] | None]


@dataclass
class Step:
    op: str
    title: str
    description: str
    code: str
    on_empty: bool
    fn: Callable[[str], str]
    rows: int = 0  # rows whose value this step changed


@dataclass
class FieldPlan:
    path: str
    label: str
    entry: dict
    columns: list[Column] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)  # steps[0] is the spreadsheet cell step
    personal: bool = False
    last4: bool = False
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def fixed(self) -> str | None:
        return self.entry.get("value")

    @property
    def source_names(self) -> list[str]:
        if "columns" in self.entry:
            return list(self.entry["columns"])
        return [self.entry["column"]] if "column" in self.entry else []

    def run(self, raw: Any) -> Result:
        """Convert one raw value (a cell, or a tuple of cells for joined columns)."""
        hit = self._cache.get(raw)
        if hit is not None:
            return hit
        result = self.convert(raw)
        if len(self._cache) >= CACHE_MAX:
            self._cache.clear()
        self._cache[raw] = result
        return result

    def convert(self, raw: Any) -> Result:
        """Convert one raw value without remembering it (``run`` remembers)."""
        if isinstance(raw, str):  # a CSV cell, the common case
            text, touched = raw, []
        else:
            parts = raw if isinstance(raw, tuple) else (raw,)
            text = self.entry.get("joiner", "").join(p for p in map(cell_text, parts) if p)
            # Step 0 counts the spreadsheet cells that were numbers or dates, not text.
            touched = [0] if any(p is not None and not isinstance(p, str) for p in parts) else []
        original = text
        for i, step in enumerate(self.steps[1:], start=1):
            if not text and not step.on_empty:
                continue
            try:
                new = step.fn(text)
            except ValueError as exc:
                # The value goes out as it came, so that the engine reports it as the vendor
                # sent it; the conversion report says why it could not be converted.
                cell_step = touched[:1] if touched[:1] == [0] else []
                return original, tuple(cell_step), (step.code, str(exc))
            if new != text:
                touched.append(i)
                text = new
        return text, tuple(touched), None

    def show(self, text: str, disclosed: bool = True) -> str:
        if not disclosed:
            return NOT_DISCLOSED
        return shown(text, personal=self.personal, last4=self.last4)


@dataclass
class Plan:
    layout: Layout
    fields: list[FieldPlan]
    problems: list[tuple[str, str, str]]  # (code, field, message) of the file as a whole

    @property
    def header(self) -> list[str]:
        return [p.path for p in self.fields]

    def disclosure_index(self) -> int | None:
        return next(
            (i for i, p in enumerate(self.fields) if p.path == self.layout.disclosure_flag), None
        )


def mapped_header_score(mapping: dict) -> Callable[[list[str]], int]:
    """Rates a candidate header row by how many of the mapping's columns it names, so that the
    header is found under however many title rows this month's export has."""
    names = set()
    for entry in mapping.get("fields", {}).values():
        names.update(header_key(n) for n in entry.get("columns", [entry.get("column")]) if n)
    return lambda cells: sum(1 for c in cells if header_key(c) in names)


def bind(mapping: dict, columns: list[Column], personal_columns: set[str] = frozenset()) -> Plan:
    """The mapping's fields whose columns this file has, in the layout's column order."""
    layout = load_layout(mapping["layout"])
    by_key = {header_key(c.name): c for c in columns}
    entries = mapping["fields"]
    plans, problems = [], []
    masked = {f.path for f in layout.fields if f.masked_last4}
    for path in targets(layout):
        entry = entries.get(path)
        if entry is None:
            continue
        plan = FieldPlan(path, target_label(layout, path), entry, last4=path in masked)
        missing = [n for n in plan.source_names if header_key(n) not in by_key]
        if missing:
            problems.append((C_COLUMN_MISSING, path, _missing_message(plan, missing)))
            continue
        plan.columns = [by_key[header_key(n)] for n in plan.source_names]
        plan.personal = path in PERSONAL_FIELDS or any(
            c.name in personal_columns for c in plan.columns
        )
        plan.steps = _steps(entry)
        plans.append(plan)
    return Plan(layout, plans, problems)


def _missing_message(plan: FieldPlan, missing: list[str]) -> str:
    names = "」「".join(missing)
    return (
        f"対応表で「{plan.label}」に割り当てた列「{names}」がファイルにありません。"
        "列名が変わっていないか確認し、対応表を直してください。"
    )


def _steps(entry: dict) -> list[Step]:
    cell = Step("cell", conversions.CELL_TITLE, conversions.CELL_DESCRIPTION, "", False, str)
    steps = [cell]
    for conversion in entry.get("conversions", []):
        op, fn = conversions.build(conversion)
        steps.append(Step(op.name, op.title, op.describe(conversion), op.code, op.on_empty, fn))
    return steps
