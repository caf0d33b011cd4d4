"""Validating a large CSV on two cores.

The body is cut in two after the middle: before the first line the fast path proves one whole
clean record, or else at a line break after which the count of ``"`` bytes is even (in UTF-8
and CP932 the byte 0x22 is always a quote character). The main process validates the first part,
a worker process the second; both spill their issues to a temporary file. The cut is trusted
only if the first part then ends at a record boundary (the csv module did not run out of data
inside a quoted field); otherwise everything is validated again in one process. The worker
numbers its lines from the cut, so that it starts at once (counting a half's line breaks would
cost it a quarter of a second at a million rows); the main process knows how many lines its
part had once it has read them. Issues are replayed in file order with the worker's rows and
lines moved on (:func:`moved`), and the key indexes are merged, so the result is exactly that
of a sequential run.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import pickle
import re
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uploads.lib.readonce import opener

from . import jsonfast
from .checks import RecordChecker, Settings
from .csvfile import CsvRows, header_targets, open_text
from .jsonrecords import JsonBody
from .report import Issue
from .stage import StageSpec
from .tally import DuplicateSearch, KeyChunk, Tally

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
MIN_PARALLEL_BYTES = 16 << 20
SCAN_BLOCK = 4 << 20
MAX_SPLIT_SEARCH = 64 << 20
MAX_PROBES = 64  # lines after the middle tried as the start of the worker's part
HEARTBEAT_SECONDS = 1.0  # how often the main process says it is alive while it waits


@dataclass(frozen=True)
class Split:
    offset: int  # first byte of the worker's part, just after a line break


class Spill:
    """Issues written to a temporary file in batches, to be replayed in order later."""

    def __init__(self, path: Path):
        self.path = path
        self.fh = open(path, "wb")  # noqa: SIM115 (closed in close())
        self.batch: list[tuple] = []

    def add(self, issue: Issue) -> None:
        self.batch.append(tuple(issue))
        if len(self.batch) >= 2000:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            pickle.dump(self.batch, self.fh, protocol=pickle.HIGHEST_PROTOCOL)
            self.batch = []

    def close(self) -> None:
        self.flush()
        self.fh.close()


def replay(path: Path, row_offset: int = 0, line_offset: int = 0) -> Iterator[Issue]:
    with open(path, "rb") as fh:
        while True:
            try:
                # Our own file, written by Spill moments ago in a private temporary directory.
                batch = pickle.load(fh)  # noqa: S301
            except EOFError:
                return
            for fields in batch:
                issue = Issue(*fields)
                if row_offset or line_offset:
                    issue = moved(issue, row_offset, line_offset)
                yield issue


def moved(issue: Issue, rows: int, lines: int) -> Issue:
    """A worker's issue placed in the whole file: ``rows`` records and ``lines`` physical lines
    further down. A file-level problem names its line in its message (``{line}行目…``, see
    ``csvfile.encoding_issue`` and ``syntax_issue``), which moves with it."""
    row, line, message = issue.row, issue.line, issue.message
    if row is not None:
        row += rows
    if line is not None and lines:
        if row is None and message.startswith(f"{line}行目"):
            message = f"{line + lines}行目{message[len(f'{line}行目') :]}"
        line += lines
    return issue._replace(row=row, line=line, message=message)


def first_marked(tally: Tally) -> DuplicateSearch:
    """The duplicate search with the first part's key hashes marked: done while the worker
    may still be busy, rather than after it."""
    search = DuplicateSearch(2 * len(tally.digests) // 8)
    search.mark(tally.digests)
    return search


def wanted(path: Any, size: int, workers: int | None, tally: Tally) -> bool:
    """Two cores pay for a big file given by path, when no record goes to a callback (records
    staged to files are fine) and the store, if any, can be copied to the worker."""
    if workers == 1 or tally.on_record is not None or not isinstance(path, str | os.PathLike):
        return False
    if tally.store is not None and not getattr(tally.store, "parallel_safe", False):
        return False
    if (os.cpu_count() or 1) < 2:
        return False
    return workers is not None and workers > 1 or size >= MIN_PARALLEL_BYTES


def find_split(path: str | os.PathLike, size: int, not_before: int,
               starts_record: Callable[[bytes], bool] | None = None) -> Split | None:  # fmt: skip
    """A record boundary near the middle of the file, or None if none is found quickly.

    First, a line break after the middle followed by a line that ``starts_record`` (the fast
    path proves it one whole clean record); else a line break after an even number of quotes,
    which means counting the quotes of the first half. Either is a boundary unless the quoting
    is broken, which the main process finds: it then runs out of data inside quotes at the
    cut."""
    middle = max(size // 2, not_before)
    if starts_record is not None:
        offset = _record_start_after(path, middle, size, starts_record)
        if offset is not None:
            return Split(offset)
    quotes = 0
    with open(path, "rb") as fh:
        done = 0
        while done < middle:
            block = fh.read(min(SCAN_BLOCK, middle - done))
            if not block:
                return None
            quotes += block.count(b'"')
            done += len(block)
        searched = 0
        while searched < MAX_SPLIT_SEARCH:
            block = fh.read(SCAN_BLOCK)
            if not block:
                return None
            at = _even_line_break(block, quotes)
            if at is not None:
                offset = middle + searched + at + 1
                return Split(offset) if offset < size else None
            quotes += block.count(b'"')
            searched += len(block)
    return None


def _record_start_after(path, middle: int, size: int,
                        starts_record: Callable[[bytes], bool]) -> int | None:  # fmt: skip
    """The first of the next ``MAX_PROBES`` line breaks after ``middle`` that a whole clean
    record follows. A line inside a quoted field hardly reads as one (a closing quote leaves
    its quotes unbalanced, which the fast path refuses), so this spares the worker counting
    the quotes of the first half (a tenth of a second at a million rows)."""
    with open(path, "rb") as fh:
        fh.seek(middle)
        block = fh.read(min(SCAN_BLOCK, size - middle))
    at = block.find(b"\n")
    for _ in range(MAX_PROBES):
        after = block.find(b"\n", at + 1) if at >= 0 else -1
        if after < 0:
            return None
        if starts_record(block[at + 1 : after + 1]):
            return middle + at + 1
        at = after
    return None


def _even_line_break(block: bytes, quotes: int) -> int | None:
    at = block.find(b"\n")
    counted = 0
    while at >= 0:
        quotes += block.count(b'"', counted, at)
        counted = at
        if quotes % 2 == 0:
            return at
        at = block.find(b"\n", at + 1)
    return None


def _context() -> multiprocessing.context.BaseContext:
    # fork is fast and shares the loaded modules, but is unsafe in a process running threads
    # (a web server, the embedded job loop); spawn is always safe.
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _die_with_parent(parent_end, main_pid: int) -> None:
    """Never outlive the main process (killed by the OOM killer, kill -9).

    The read end of the pipe, inherited through fork, is closed here: otherwise a send to a
    dead main process fills the pipe and blocks for ever, holding memory and every inherited
    socket (the database session among them). On Linux the kernel also kills this process as
    soon as the main process dies, rather than after it has validated its part for nothing.
    """
    parent_end.close()
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != main_pid:  # it died before prctl took effect
            os._exit(1)


def _worker(conn, parent_end, main_pid: int, path: str, end: int, not_before: int,
            encoding: str, header: list[str], settings: Settings, spill_path: Path, store,
            stage: StageSpec | None, open_file: Callable) -> None:  # fmt: skip
    """Find the cut (and tell the main process at once), then validate from it to ``end``."""
    _die_with_parent(parent_end, main_pid)
    try:
        layout = settings.layout
        spill = Spill(spill_path)
        writer = stage.writer(1) if stage is not None else None
        tally = Tally(layout, settings.mode, spill, store=store, stage=writer)
        targets, _ = header_targets(header, layout, settings.mode)
        rows = CsvRows(RecordChecker(settings), targets, tally, encoding=encoding)
        fast = rows.fast

        def starts_record(line: bytes) -> bool:
            text = line.decode(encoding, "surrogateescape")
            return fast is not None and fast.line(text) is not None

        split = find_split(path, end, not_before, starts_record)
        conn.send(("split", split))
        if split is None:
            spill.close()
            if writer is not None:
                writer.close()  # its files go with the part (Parallel.execute removes part 1)
            return
        with open_file(path) as fh:
            text = open_text(fh, split.offset, end, encoding)
            problem = rows.run(iter(text), 0)
        spill.close()
        if writer is not None:
            writer.close()
        conn.send(("ok", {
            "rows": tally.rows, "invalid": tally.invalid, "diff": tally.diff,
            "chunk": KeyChunk(bytes(tally.digests), tally.key_rows, tally.error_rows),
            "lines": tally.key_lines, "problem": problem,
        }))  # fmt: skip
    except BaseException as exc:  # reported to the main process
        conn.send(("failed", repr(exc)))
    finally:
        conn.close()


class Parallel:
    """One split run: the first part here, the rest in a worker process.

    The worker looks for the cut while this process already validates: this process reads
    freely up to the middle of the file (the cut is never before it) and only then waits for
    the worker to say where the cut is.
    """

    def __init__(self, run, checker: RecordChecker, tally: Tally, rows: CsvRows,
                 header: list[str], stage: StageSpec | None = None):  # fmt: skip
        self.run, self.checker, self.tally, self.rows = run, checker, tally, rows
        self.header, self.stage = header, stage
        self.split: Split | None = None
        self.merged = False

    def execute(self, text, lines, line_no: int) -> Issue | None | bool:
        """The file problem (or None) once merged; False when the cut was wrong."""
        raw = text.buffer.raw
        not_before = raw.pos + 1
        raw.end = max(self.run.end // 2, not_before)
        encoding = "utf-8" if self.run.encoding == "utf-8-sig" else self.run.encoding
        with tempfile.TemporaryDirectory(prefix="pmh-validate-") as tmp:
            ctx = _context()
            receive, send = ctx.Pipe(duplex=False)
            args = (send, receive, os.getpid(), os.fspath(self.run.path), self.run.end,
                    not_before, encoding, self.header, self.checker.s, Path(tmp, "worker.pickle"),
                    self.tally.store, self.stage, opener(self.run.options.read_once))  # fmt: skip
            worker = ctx.Process(target=_worker, args=args, daemon=True)
            worker.start()
            send.close()
            raw.extend = lambda: self._receive_split(receive)
            merged = False
            try:
                result = self._main_part(lines, line_no, Path(tmp), receive)
                merged = self.merged
                return result
            finally:
                raw.extend = None
                if worker.is_alive():
                    worker.terminate()
                worker.join()
                if self.stage is not None and not merged:  # the worker's records do not count
                    self.stage.remove(1)

    def _receive_split(self, receive) -> int | None:
        status, result = receive.recv()
        if status != "split":
            raise RuntimeError(f"validation worker failed: {result}")
        self.split = result
        return result.offset if result is not None else None

    def _main_part(self, lines, line_no: int, tmp: Path, receive) -> Issue | None | bool:
        tally, collector = self.tally, self.run.collector
        spill = Spill(tmp / "main.pickle")
        tally.sink = spill
        problem = self.rows.run(lines, line_no)
        spill.close()
        tally.sink = collector
        if (
            self.split is not None
            and problem is not None
            and "end of data" in self.rows.syntax_reason
        ):
            return False  # ran out of data inside quotes: the cut may be inside a record
        for issue in replay(tmp / "main.pickle"):
            collector.add(issue)
        if problem is not None or self.split is None:
            return problem  # a file-level stop in the first part, or no cut: all done here
        search = first_marked(tally)
        self.run.heartbeat()
        while not receive.poll(HEARTBEAT_SECONDS):  # the worker's part may take longer
            self.run.heartbeat()
        status, result = receive.recv()
        if status != "ok":
            raise RuntimeError(f"validation worker failed: {result}")
        self.run.search = search
        return self._merge(result, tmp)

    def _merge(self, result: dict, tmp: Path) -> Issue | None:
        tally, offset, lines = self.tally, self.tally.rows, self.rows.line_no
        for issue in replay(tmp / "worker.pickle", offset, lines):
            self.run.collector.add(issue)
        tally.rows += result["rows"]
        tally.invalid += result["invalid"]
        for name, count in result["diff"].items():
            tally.diff[name] += count
        chunk = result["chunk"]
        chunk.row_offset, chunk.line_offset = offset, lines
        self.run.extra_chunks.append((chunk, result["lines"]))
        self.merged = True
        problem = result["problem"]
        return moved(problem, offset, lines) if problem is not None else None


# -- JSON ------------------------------------------------------------------------------------
# JSON Lines are cut at the first line feed after the middle. An array is cut before an element
# that starts like the first one (``},{"<first key>"``); the first part must then end exactly
# there, which its reader checks (``jsonfast.Unsure`` otherwise, and the file is read again in
# one process). Either part that meets anything only the exact reader reads does the same.

_FIRST_KEY = re.compile(rb'[ \t\n\r]*\[[ \t\n\r]*\{[ \t\n\r]*("(?:[^"\\]|\\.)*")')


def find_json_split(path: str | os.PathLike, size: int, fmt: str) -> int | None:
    """The offset where the second part starts (a line, or an element's ``{``), or None."""
    middle = size // 2
    with open(path, "rb") as fh:
        cut = None
        if fmt == "json":
            first = _FIRST_KEY.match(fh.read(SCAN_BLOCK).removeprefix(b"\xef\xbb\xbf"))
            if first is None:
                return None
            key = re.escape(first.group(1))
            cut = re.compile(rb"\}[ \t\n\r]*,[ \t\n\r]*(\{)[ \t\n\r]*" + key + rb"[ \t\n\r]*:")
        fh.seek(middle)
        searched = 0
        while searched < MAX_SPLIT_SEARCH:
            block = fh.read(SCAN_BLOCK)
            if not block:
                return None
            if cut is None:
                at = block.find(b"\n")
                offset = middle + searched + at + 1 if at >= 0 else None
            else:
                found = cut.search(block)
                offset = middle + searched + found.start(1) if found else None
            if offset is not None:
                return offset if offset < size else None
            searched += len(block) - 256  # a cut across two blocks is found in the next
            fh.seek(middle + searched)
    return None


def _json_worker(conn, parent_end, main_pid: int, path: str, end: int, start: int, fmt: str,
                 settings: Settings, spill_path: Path, store,
                 stage: StageSpec | None, open_file: Callable,
                 known: bool) -> None:  # fmt: skip
    """Validate the records from ``start`` to ``end`` the way the engine does, their lines
    numbered from ``start`` (moved on by the main process at the merge); ``known``: whether
    elements may be known by their line (the main process's ``JsonBody.known``)."""
    _die_with_parent(parent_end, main_pid)
    try:
        spill = Spill(spill_path)
        writer = stage.writer(1) if stage is not None else None
        tally = Tally(settings.layout, settings.mode, spill, store=store, stage=writer)
        body = JsonBody(RecordChecker(settings), tally, known=known)
        with open_file(path) as fh:
            body.run(jsonfast.records(fh, end, fmt, False, None, start=start, line=0,
                                      strict=True, fast=body.decode))  # fmt: skip
        spill.close()
        if writer is not None:
            writer.close()
        conn.send(("ok", {
            "rows": tally.rows, "invalid": tally.invalid, "diff": tally.diff,
            "chunk": KeyChunk(bytes(tally.digests), tally.key_rows, tally.error_rows),
            "lines": tally.key_lines, "unknown": body.unknown.emitted,
        }))  # fmt: skip
    except jsonfast.Unsure:
        conn.send(("unsure", None))
    except BaseException as exc:  # reported to the main process
        conn.send(("failed", repr(exc)))
    finally:
        conn.close()


class JsonParallel:
    """A JSON file on two cores: the first part here, the rest in a worker process."""

    def __init__(self, run, checker: RecordChecker, tally: Tally, stage: StageSpec | None):
        self.run, self.checker, self.tally, self.stage = run, checker, tally, stage

    def execute(self, fmt: str, bom: bool, progress) -> bool:
        """True once both parts are merged; False when the file must be read in one process
        (no cut found, or a part met what only the exact reader reads)."""
        run = self.run
        split = find_json_split(run.path, run.end, fmt)
        if split is None:
            return False
        merged = False
        with tempfile.TemporaryDirectory(prefix="pmh-validate-") as tmp:
            ctx = _context()
            receive, send = ctx.Pipe(duplex=False)
            # Whether elements may be known by their line is decided here, once, for both parts
            # (a spawned worker would read the module's switches afresh): their keys must be
            # searched for duplicates by the same hashes.
            body = JsonBody(self.checker, self.tally)
            args = (send, receive, os.getpid(), os.fspath(run.path), run.end, split, fmt,
                    self.checker.s, Path(tmp, "worker.pickle"), self.tally.store,
                    self.stage, opener(run.options.read_once), body.known)  # fmt: skip
            worker = ctx.Process(target=_json_worker, args=args, daemon=True)
            worker.start()
            send.close()
            try:
                spill = Spill(Path(tmp, "main.pickle"))
                self.tally.sink = spill
                end, until = (split, None) if fmt == "jsonl" else (run.end, split)
                reached: list[int] = []
                try:
                    body.run(jsonfast.records(run.fh, end, fmt, bom, progress, until=until,
                                              strict=True, fast=body.decode,
                                              reached=reached))  # fmt: skip
                except jsonfast.Unsure:
                    return False
                finally:
                    spill.close()
                    self.tally.sink = run.collector
                search = first_marked(self.tally)
                run.heartbeat()
                while not receive.poll(HEARTBEAT_SECONDS):
                    run.heartbeat()
                status, result = receive.recv()
                if status == "unsure":
                    return False
                if status != "ok":
                    raise RuntimeError(f"validation worker failed: {result}")
                run.search = search
                for issue in replay(Path(tmp, "main.pickle")):
                    run.collector.add(issue)
                # The worker's first record is on its line 1: the line after the cut (JSON
                # Lines), or the line the cut is on (an array, cut before an element's "{").
                lines = reached[0] - (fmt == "json")
                self._merge(result, Path(tmp), body.unknown.seen, lines)
                merged = True
                return True
            finally:
                if worker.is_alive():
                    worker.terminate()
                worker.join()
                if self.stage is not None and not merged:
                    self.stage.remove(1)

    def _merge(self, result: dict, tmp: Path, seen: set, lines: int) -> None:
        """The worker's issues after ours, its rows and lines renumbered; an unknown JSON key is
        reported once per file, so the worker's report of a key we reported already is left
        out."""
        tally, offset = self.tally, self.tally.rows
        unknown = iter(result["unknown"])
        for issue in replay(tmp / "worker.pickle", offset, lines):
            if issue.code == "F_HEADER_UNKNOWN" and issue.row is not None:
                ident = next(unknown)
                if ident in seen:
                    continue
            self.run.collector.add(issue)
        tally.rows += result["rows"]
        tally.invalid += result["invalid"]
        for name, count in result["diff"].items():
            tally.diff[name] += count
        chunk = result["chunk"]
        chunk.row_offset, chunk.line_offset = offset, lines
        self.run.extra_chunks.append((chunk, result["lines"]))
