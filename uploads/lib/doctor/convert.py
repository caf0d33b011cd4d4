"""Converting an export to PMH's layout, one row at a time.

The output is a CSV in the layout's JSON-path headers (UTF-8, LF) that the engine validates
unchanged, so the engine's report stays the truth about the records. What the conversion did and
what it could not do is the :class:`ConversionSummary`. A value that cannot be converted goes
out as it came, so that the engine reports it too, as the vendor sent it.
"""

from __future__ import annotations

import csv
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from .plan import FieldPlan, Plan, bind, mapped_header_score
from .sources import Source, Table, open_table

C_COLUMN_COUNT = "C_COLUMN_COUNT"
C_ENCODING = "C_ENCODING"
MAX_PROBLEMS = 1000
_FALSE = frozenset({"0", "false"})


@dataclass(frozen=True)
class Problem:
    row: int | None  # record number, as the engine numbers the converted file's rows
    line: int | None  # physical line (CSV) or sheet row (xlsx) in the source file
    field: str | None
    column: str | None
    code: str
    message: str
    value: str | None  # masked

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Applied:
    field: str
    op: str
    title: str
    description: str
    rows: int


@dataclass
class ConversionSummary:
    layout: str
    format: str
    encoding: str | None
    sheet: str | None
    header_line: int
    rows: int = 0
    columns: list[str] = field(default_factory=list)
    applied: list[Applied] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    problems_total: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def problems_truncated(self) -> bool:
        return self.problems_total > len(self.problems)

    def add(self, problem: Problem, limit: int) -> None:
        self.problems_total += 1
        self.counts[problem.code] = self.counts.get(problem.code, 0) + 1
        if len(self.problems) < limit:
            self.problems.append(problem)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["problems_truncated"] = self.problems_truncated
        return data


def convert(
    source: Source, mapping: dict, out: TextIO, *, max_problems: int = MAX_PROBLEMS
) -> ConversionSummary:
    """Write ``source`` converted by ``mapping`` (checked beforehand: ``check_mapping``) as a
    PMH-layout CSV to ``out``, a text stream; return what was done. Raises ``SourceError`` when
    the file cannot be read at all."""
    with ExitStack() as stack:
        table = open_table(
            source,
            stack,
            sheet=(mapping.get("source") or {}).get("sheet"),
            header_score=mapped_header_score(mapping),
        )
        plan = bind(mapping, table.columns)
        summary = ConversionSummary(
            plan.layout.id, table.format, table.encoding, table.sheet, table.header_line,
            columns=plan.header,
        )  # fmt: skip
        for code, path, message in plan.problems:
            summary.add(Problem(None, None, path, None, code, message, None), max_problems)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(plan.header)
        _rows(table, plan, writer, summary, max_problems)
        summary.applied = applied(plan, summary.rows)
        return summary


def _rows(table: Table, plan: Plan, writer, summary: ConversionSummary, limit: int) -> None:
    getters = [_getter(p) for p in plan.fields]
    width = len(table.columns)
    is_csv = table.format == "csv"
    disclosure = plan.disclosure_index()
    rows = 0
    for record, line, cells in table.rows():
        rows = record
        if is_csv and "\ufffd" in "".join(cells):
            summary.add(_encoding_problem(record, line, table.encoding), limit)
        if len(cells) != width:
            if is_csv:
                summary.add(_count_problem(record, line, width, len(cells)), limit)
            cells = _fit(cells, width, "" if is_csv else None)
        out = []
        failed = None
        for plan_field, get in zip(plan.fields, getters, strict=True):
            text, touched, problem = get(cells)
            for i in touched:
                plan_field.steps[i].rows += 1
            if problem is not None:
                failed = failed or []
                failed.append((plan_field, problem, text))
            out.append(text)
        if failed:
            disclosed = disclosure is not None and out[disclosure].lower() in _FALSE
            for plan_field, (code, message), text in failed:
                summary.add(_value_problem(record, line, plan_field, code, message, text,
                                           disclosed), limit)  # fmt: skip
        writer.writerow(out)
    summary.rows = rows


def _getter(plan: FieldPlan):
    fixed = plan.fixed
    if fixed is not None:
        result = (fixed, (), None)
        return lambda cells: result
    run = plan.run
    if len(plan.columns) == 1:
        index = plan.columns[0].index
        return lambda cells: run(cells[index])
    indexes = [c.index for c in plan.columns]
    return lambda cells: run(tuple(cells[i] for i in indexes))


def _fit(cells: list, width: int, empty: str | None) -> list:
    if len(cells) < width:
        return list(cells) + [empty] * (width - len(cells))
    return cells


def _count_problem(record: int, line: int, width: int, found: int) -> Problem:
    return Problem(
        record, line, None, None, C_COLUMN_COUNT,
        f"列の数が見出し（{width}列）と違います（{found}列）。項目の中の「,」が引用符で囲まれて"
        "いないと列がずれます。足りない列は空欄として変換しました。",
        None,
    )  # fmt: skip


def _encoding_problem(record: int, line: int, encoding: str | None) -> Problem:
    name = {"cp932": "Shift_JIS（CP932）"}.get(encoding or "", "UTF-8")
    return Problem(
        record, line, None, None, C_ENCODING,
        f"{name}として読めない文字があり、「\ufffd」に置き換えました。文字コードを確認してください。",
        None,
    )  # fmt: skip


def _value_problem(record, line, plan_field: FieldPlan, code, message, text, disclosed):
    column = "・".join(c.name for c in plan_field.columns) or None
    value = plan_field.show(text, disclosed) if text else None
    return Problem(
        record, line, plan_field.path, column, code,
        f"「{plan_field.label}」（列「{column}」）: {message}。", value,
    )  # fmt: skip


def applied(plan: Plan, rows: int) -> list[Applied]:
    """Every conversion of the mapping with the rows it changed (the cell step when it did)."""
    result = []
    for p in plan.fields:
        if p.fixed is not None:
            result.append(Applied(p.path, "value", "固定値", f"固定値「{p.fixed}」を入れる", rows))
            continue
        for i, step in enumerate(p.steps):
            if i == 0 and not step.rows:
                continue
            result.append(Applied(p.path, step.op, step.title, step.description, step.rows))
    return result
