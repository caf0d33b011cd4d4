"""The row loop of a conversion: blocks of rows in, PMH-layout rows out, problems reported."""

from __future__ import annotations

import csv
from typing import TextIO

from .columns import Failure, FieldColumn
from .plan import FieldPlan, Plan
from .sources import Block, Table
from .summary import ConversionSummary, Problem

C_COLUMN_COUNT = "C_COLUMN_COUNT"
C_ENCODING = "C_ENCODING"
BLOCK_ROWS = 2048
_FALSE = frozenset({"0", "false"})


def convert_rows(
    table: Table, plan: Plan, out: TextIO, summary: ConversionSummary, limit: int
) -> None:
    columns = [FieldColumn(p, text_cells=table.format == "csv") for p in plan.fields]
    # CRLF: the csv module quotes a lone CR only when it is part of the line terminator.
    writer = csv.writer(out, lineterminator="\r\n")
    is_csv = table.format == "csv"
    # The cells of plain lines hold no comma, quote or line break: with no converted value that
    # does either, a block of them is written without looking for what needs quoting.
    plain_cells = is_csv and table.delimiter == "," and len(columns) > 1
    for block in table.blocks(BLOCK_ROWS):
        problems: list[tuple[int, int, Problem]] = []
        replaced = is_csv and table.replaced()
        if block.columns is not None and not replaced:
            source = block.columns  # plain lines, already cut into columns
        else:
            cells = _block_cells(table, block, problems, replaced)
            source = list(zip(*cells, strict=True))  # the block as its columns, in C
        failures: list[Failure] = []
        converted = [column.convert(source, failures) for column in columns]
        if failures:
            _value_problems(block, plan, converted, failures, problems)
        for _k, _order, problem in sorted(problems, key=lambda p: p[:2]):
            summary.add(problem, limit)
        if plain_cells and block.columns is not None and not any(c.quoted for c in columns):
            out.write("\r\n".join(map(",".join, zip(*converted, strict=True))) + "\r\n")
        else:
            _write(out, writer, converted)
        summary.rows = block.last


def _write(out: TextIO, writer, columns: list) -> None:
    """A block of rows as CSV. Joined as plain text when no cell needs quoting (no comma,
    quote or line break: then the counts of separators tell), else by the csv module."""
    rows = list(zip(*columns, strict=True))
    if len(columns) > 1:
        blob = "\r\n".join(map(",".join, rows))
        if (
            '"' not in blob
            and blob.count(",") == (len(columns) - 1) * len(rows)
            and blob.count("\n") == blob.count("\r") == len(rows) - 1
        ):
            out.write(blob + "\r\n")
            return
    writer.writerows(rows)


def _block_cells(table: Table, block: Block, problems: list, replaced: bool) -> list:
    """The cells of a block of rows, each row as wide as the header; odd rows reported."""
    cells = block.rows()
    width = len(table.columns)
    is_csv = table.format == "csv"
    if replaced:
        for k, row in enumerate(cells):
            if "\ufffd" in "".join(row):
                where = block.record(k), block.line(k)
                problems.append((k, -2, _encoding_problem(*where, table.encoding)))
    if set(map(len, cells)) == {width}:
        return cells
    for k, row in enumerate(cells):
        if len(row) != width:
            if is_csv:
                where = block.record(k), block.line(k)
                problems.append((k, -1, _count_problem(*where, width, len(row))))
            cells[k] = _fit(row, width, "" if is_csv else None)
    return cells


def _value_problems(block, plan: Plan, out, failures: list[Failure], problems: list) -> None:
    disclosure = plan.disclosure_index()
    order = {p.path: i for i, p in enumerate(plan.fields)}
    for k, plan_field, (code, message), text in failures:
        record, line = block.record(k), block.line(k)
        disclosed = disclosure is not None and out[disclosure][k].lower() in _FALSE
        problem = _value_problem(record, line, plan_field, code, message, text, disclosed)
        problems.append((k, order[plan_field.path], problem))


def _fit(cells: list, width: int, empty: str | None) -> list:
    if len(cells) < width:
        return list(cells) + [empty] * (width - len(cells))
    return cells[:width]


def _count_problem(record: int, line: int, width: int, found: int) -> Problem:
    return Problem(
        record,
        line,
        None,
        None,
        C_COLUMN_COUNT,
        f"列の数が見出し（{width}列）と違います（{found}列）。項目の中の「,」が引用符で囲まれて"
        "いないと列がずれます。足りない列は空欄として変換しました。",
        None,
    )


def _encoding_problem(record: int, line: int, encoding: str | None) -> Problem:
    name = {"cp932": "Shift_JIS（CP932）"}.get(encoding or "", "UTF-8")
    return Problem(
        record,
        line,
        None,
        None,
        C_ENCODING,
        f"{name}として読めない文字があり、「\ufffd」に置き換えました。文字コードを確認してください。",
        None,
    )


def _value_problem(record, line, plan_field: FieldPlan, code, message, text, disclosed):
    column = "・".join(c.name for c in plan_field.columns) or None
    value = plan_field.show(text, disclosed) if text else None
    return Problem(
        record,
        line,
        plan_field.path,
        column,
        code,
        f"「{plan_field.label}」（列「{column}」）: {message}。",
        value,
    )
