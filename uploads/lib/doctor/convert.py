"""Converting an export to PMH's layout, one block of rows at a time.

The output is a CSV in the layout's JSON-path headers (UTF-8, CRLF) that the engine validates
unchanged, so the engine's report stays the truth about the records. What the conversion did and
what it could not do is the :class:`ConversionSummary`. A value that cannot be converted goes
out as it came, so that the engine reports it too, as the vendor sent it.
"""

from __future__ import annotations

import csv
import os
from contextlib import ExitStack
from typing import TextIO

from . import twocores
from .plan import bind, mapped_header_score
from .rows import convert_rows
from .sources import Source, open_table
from .summary import ConversionSummary, Problem, applied

MAX_PROBLEMS = 1000


def convert(
    source: Source,
    mapping: dict,
    out: TextIO,
    *,
    max_problems: int = MAX_PROBLEMS,
    workers: int | None = None,
) -> ConversionSummary:
    """Write ``source`` converted by ``mapping`` (checked beforehand: ``check_mapping``) as a
    PMH-layout CSV to ``out``, a text stream; return what was done.

    A large CSV given by path is converted on two cores (``workers=1`` never does). Raises
    ``SourceError`` when the file cannot be read, also part-way: the output is then unusable.
    """
    cut = twocores.cut_for(source, workers)
    with ExitStack() as stack:
        if cut is not None:
            fh = stack.enter_context(open(source, "rb"))  # noqa: SIM115
            source = twocores.first_part(fh, cut)
        table = open_table(
            source,
            stack,
            sheet=(mapping.get("source") or {}).get("sheet"),
            header_score=mapped_header_score(mapping),
        )
        plan = bind(mapping, table.columns)
        summary = ConversionSummary(
            plan.layout.id,
            table.format,
            table.encoding,
            table.sheet,
            table.header_line,
            columns=plan.header,
        )
        for code, path, message in plan.problems:
            summary.add(Problem(None, None, path, None, code, message, None), max_problems)
        csv.writer(out, lineterminator="\r\n").writerow(plan.header)
        if cut is None or table.format != "csv":
            convert_rows(table, plan, out, summary, max_problems)
        else:
            twocores.convert_in_two(
                os.fspath(source.path), cut, table, plan, out, summary, max_problems
            )
        summary.applied = applied(plan, summary.rows)
        return summary
