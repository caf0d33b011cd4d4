"""The 変換仕様書: what a vendor must change in its export, field by field, in plain Japanese,
with masked examples taken from its own file (before → after). As CSV (UTF-8 with BOM, which
Excel opens correctly) and as an Excel workbook."""

from __future__ import annotations

import csv
import io
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import islice
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from uploads.lib.validation import load_layout
from uploads.lib.validation.report import csv_safe

from .conversions import describe
from .mapping import target_label, targets
from .plan import FieldPlan, Plan, bind, mapped_header_score
from .sources import Source, open_table
from .values import cell_text

EXAMPLES = 3
SAMPLE_ROWS = 200
HEADER = ["PMH の項目", "日本語名", "必須", "元の列", "変換", "例1（元 → 変換後）", "例2", "例3"]
_REQUIRED = {"always": "必須", "diff": "差分ファイルでは必須", "never": "任意"}
_FALSE = ("0", "false")


@dataclass(frozen=True)
class SpecRow:
    field: str
    label: str
    required: str
    source: str
    conversion: str
    examples: tuple[tuple[str, str], ...]  # (before, after), masked

    def cells(self) -> list[str]:
        shown = [f"{before} → {after}" for before, after in self.examples]
        return [
            self.field,
            self.label,
            self.required,
            self.source,
            self.conversion,
            *(shown + [""] * (EXAMPLES - len(shown))),
        ]


def specification(mapping: dict, source: Source | None = None) -> list[SpecRow]:
    """One row per PMH field (and per mapped 券面項目), in the layout's order; examples only
    when ``source`` is given (the sample rows of that file)."""
    layout = load_layout(mapping["layout"])
    plan, rows = _sample(mapping, source)
    plans = {p.path: p for p in plan.fields} if plan else {}
    disclosed = [r for r in rows if _disclosed(plan, r)] if plan else []
    result = []
    for path in targets(layout):
        entry = mapping["fields"].get(path)
        spec = layout.by_path.get(path)
        if entry is None and spec is None:
            continue  # 券面項目 columns the mapping does not use
        required = _REQUIRED[spec.required] if spec else "任意"
        field_plan = plans.get(path)
        examples = _examples(field_plan, disclosed) if field_plan else ()
        conversion = _conversion_text(entry)
        if entry is None and spec.required == "always":
            conversion = "必須の項目です。割り当てる列か固定値を決めてください。"
        result.append(
            SpecRow(
                path,
                target_label(layout, path),
                required,
                _source_text(entry),
                conversion,
                examples,
            )
        )
    return result


def _sample(mapping: dict, source: Source | None) -> tuple[Plan | None, list[list[Any]]]:
    if source is None:
        return None, []
    with ExitStack() as stack:
        table = open_table(
            source,
            stack,
            sheet=(mapping.get("source") or {}).get("sheet"),
            header_score=mapped_header_score(mapping),
        )
        rows = [cells for _r, _l, cells in islice(table.rows(), SAMPLE_ROWS)]
    return bind(mapping, table.columns), rows


def _disclosed(plan: Plan, row: list[Any]) -> bool:
    """Examples come only from rows clearly not under a non-disclosure measure (fails closed
    when the mapping has no non-disclosure flag)."""
    index = plan.disclosure_index()
    if index is None:
        return False
    text, _t, problem = _run(plan.fields[index], row)
    return problem is None and text.lower() in _FALSE


def _run(plan: FieldPlan, row: list[Any]):
    if plan.fixed is not None:
        return plan.fixed, (), None
    cells = [row[c.index] if c.index < len(row) else None for c in plan.columns]
    return plan.run(cells[0] if len(cells) == 1 else tuple(cells))


def _examples(plan: FieldPlan, rows: list[list[Any]]) -> tuple[tuple[str, str], ...]:
    """Distinct values, those a conversion changed first: they show what the rules do."""
    changed, same = [], []
    for row in rows:
        if plan.fixed is not None:
            return (("（なし）", plan.show(plan.fixed)),)
        raw = [row[c.index] if c.index < len(row) else None for c in plan.columns]
        before = plan.entry.get("joiner", "").join(cell_text(v) for v in raw if v is not None)
        after, touched, problem = _run(plan, row)
        if not (before or after) or problem is not None:
            continue
        pair = (plan.show(before) if before else "（空欄）", plan.show(after))
        bucket = changed if after != before else same
        if pair not in changed and pair not in same:
            bucket.append(pair)
        if len(changed) >= EXAMPLES:
            break
    return tuple((changed + same)[:EXAMPLES])


def _source_text(entry: dict | None) -> str:
    if entry is None:
        return "（対応する列なし）"
    if "value" in entry:
        return f"固定値「{entry['value']}」"
    if "columns" in entry:
        names = "」「".join(entry["columns"])
        joiner = entry.get("joiner", "")
        how = f"「{joiner}」でつなぐ" if joiner else "そのままつなぐ"
        return f"列「{names}」を{how}".replace("「\u3000」", "「全角スペース」")
    return f"列「{entry['column']}」"


def _conversion_text(entry: dict | None) -> str:
    if entry is None or "value" in entry:
        return "" if entry is None else "すべての行に同じ値を入れる"
    steps = [describe(c) for c in entry.get("conversions", [])]
    return "。".join(steps) + "。" if steps else "変換なし（値をそのまま使う）"


def write_specification_csv(rows: list[SpecRow], fh: BinaryIO) -> None:
    """UTF-8 with BOM and CRLF, as Excel opens a CSV without asking."""
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(HEADER)
        for row in rows:
            writer.writerow([csv_safe(c) for c in row.cells()])
    finally:
        text.flush()
        text.detach()


def write_specification_xlsx(rows: list[SpecRow], fh: BinaryIO, *, title: str = "") -> None:
    book = Workbook()
    ws = book.active
    ws.title = "変換仕様書"
    ws.append([title or "変換仕様書（PMH 医療費助成対象者情報への変換）"])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append(HEADER)
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row.cells())
    for line in ws.iter_rows(min_row=3):
        for cell in line:
            cell.data_type = "s"  # text, never a formula, whatever the value starts with
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEFGH", (34, 18, 10, 24, 60, 30, 30, 30), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A3"
    book.save(fh)
