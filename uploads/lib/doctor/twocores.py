"""Converting a large CSV on two cores: this process converts the first half while a forked
worker converts the second into a temporary file, appended to the output afterwards. Records,
lines, counts and problems are merged so that the summary is that of a sequential run."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from .plan import Plan
from .rows import convert_rows
from .sources import SourceError, Table, open_csv_part
from .split import MIN_PARALLEL_BYTES, Cut, Range, find_cut
from .summary import ConversionSummary, Problem


class _Part(Range):
    """The first half, remembering the path it came from (the worker opens the file again)."""

    path: str


def cut_for(source: Any, workers: int | None) -> Cut | None:
    """Where to cut ``source`` for two cores, or None to convert it in one process."""
    if workers == 1 or not isinstance(source, str | os.PathLike):
        return None
    if (os.cpu_count() or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    size = os.path.getsize(source)
    if size < MIN_PARALLEL_BYTES and not (workers or 0) > 1:
        return None
    with open(source, "rb") as fh:
        if fh.read(2) == b"PK":
            return None  # a workbook: openpyxl reads it in one stream
    return find_cut(source, size)


def first_part(fh: BinaryIO, cut: Cut) -> _Part:
    part = _Part(fh, 0, cut.offset)
    part.path = fh.name
    return part


def convert_in_two(
    path: str,
    cut: Cut,
    table: Table,
    plan: Plan,
    out: TextIO,
    summary: ConversionSummary,
    limit: int,
) -> None:
    with tempfile.TemporaryDirectory(prefix="pmh-doctor-") as tmp:
        second = Path(tmp) / "second.csv"
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        worker = context.Process(
            target=_second_half, args=(path, cut, table, plan, second, limit, send), daemon=True
        )
        worker.start()
        send.close()
        try:
            convert_rows(table, plan, out, summary, limit)
            result = receive.recv()
        except EOFError:
            raise SourceError("変換の途中で処理が止まりました。もう一度試してください。") from None
        finally:
            worker.join()
        if "error" in result:
            raise SourceError(result["error"])
        _merge(result, plan, summary, limit)
        _append(second, out)


def _append(path: Path, out: TextIO) -> None:
    """The worker's half after ours: as bytes when ``out`` is a UTF-8 file (no decoding), copied
    by the kernel when it is a file on disk."""
    binary = getattr(out, "buffer", None)
    if binary is not None and (out.encoding or "").lower().replace("-", "") == "utf8":
        out.flush()
        binary.flush()
        with open(path, "rb") as rest:
            if not _sendfile(rest, binary):
                shutil.copyfileobj(rest, binary, 1 << 20)
        return
    with open(path, encoding="utf-8", newline="") as rest:
        shutil.copyfileobj(rest, out, 1 << 20)


def _sendfile(rest: BinaryIO, binary: BinaryIO) -> bool:
    """Copy ``rest`` to the end of ``binary`` in the kernel; False when that cannot be done."""
    try:
        target = binary.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    if not hasattr(os, "sendfile") or binary.seekable() is False:
        return False
    size = os.fstat(rest.fileno()).st_size
    start = os.lseek(target, 0, os.SEEK_CUR)
    offset = 0
    try:
        while offset < size:
            sent = os.sendfile(target, rest.fileno(), offset, size - offset)
            if sent == 0:
                break
            offset += sent
    except OSError:
        if offset:
            raise
        return False
    binary.seek(start + offset)  # the buffered file learns where the kernel left it
    return True


def _second_half(path, cut: Cut, head: Table, plan: Plan, target: Path, limit, send) -> None:
    """In the worker: convert from the cut to the end; send back the counts and problems."""
    for field_plan in plan.fields:
        for step in field_plan.steps:
            step.rows = 0
    part = ConversionSummary(plan.layout.id, head.format, head.encoding, None, head.header_line)
    try:
        with ExitStack() as stack:
            fh = stack.enter_context(open(path, "rb"))
            table = open_csv_part(
                Range(fh, cut.offset, os.path.getsize(path)), stack, head, cut.lines_before + 1
            )
            out = stack.enter_context(open(target, "w", encoding="utf-8", newline=""))
            convert_rows(table, plan, out, part, limit)
    except SourceError as exc:
        send.send({"error": str(exc)})
        return
    steps = [[s.rows for s in p.steps] for p in plan.fields]
    send.send(
        {
            "rows": part.rows,
            "problems": part.problems,
            "total": part.problems_total,
            "counts": part.counts,
            "steps": steps,
        }
    )


def _merge(result: dict, plan: Plan, summary: ConversionSummary, limit: int) -> None:
    offset = summary.rows
    for field_plan, rows in zip(plan.fields, result["steps"], strict=True):
        for step, n in zip(field_plan.steps, rows, strict=True):
            step.rows += n
    listed = [_renumber(p, offset) for p in result["problems"]]
    room = max(limit - len(summary.problems), 0)
    summary.problems += listed[:room]
    summary.problems_total += result["total"]
    for code, n in result["counts"].items():
        summary.counts[code] = summary.counts.get(code, 0) + n
    summary.rows = offset + result["rows"]


def _renumber(problem: Problem, offset: int) -> Problem:
    row = None if problem.row is None else problem.row + offset
    return Problem(
        row, *[getattr(problem, f) for f in ("line", "field", "column", "code", "message", "value")]
    )
