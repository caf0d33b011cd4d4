"""``validate_file``: one file in, one report out, every issue to a sink, records to a callback."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import compress
from pathlib import Path
from typing import Any, BinaryIO

from coderules.checkdigits import municipality_code_valid
from uploads.lib.readonce import opener

from . import jsonfast, parallel
from . import messages as msg
from .checks import RecordChecker, Settings
from .csvfile import (
    CsvRows,
    header_missing_hint,
    header_targets,
    open_text,
    peek_lines,
    read_header,
)
from .jsonfile import FileProblem, iter_array, iter_lines
from .jsonrecords import JsonBody
from .layout import load_layout
from .report import ERROR, WARNING, Issue, IssueCollector, Report, file_issue
from .sniff import empty_issue, sniff
from .stage import StageSpec
from .store import RecordStore
from .tally import (
    AcceptedRecord,
    DuplicateSearch,
    KeyChunk,
    Tally,
    error_row_set,
    find_duplicates,
)

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
PROGRESS_STEP = 1 << 20  # report progress about every MiB read
EOF_MARKER = b"\x1a"  # written at the end of a file by old systems (MS-DOS)
MASS_REMOVAL_SHARE = 0.2  # more of the stored records removed in one file: K_MASS_REMOVAL
EUC_JP_HINT = (
    frozenset({"F_HEADER_MISSING", "F_HEADER_UNKNOWN", "F_ENCODING", "V_KANA", "V_CHARSET"}),
    "（文字コードが EUC-JP のようです。UTF-8 か Shift_JIS（CP932）で保存し直してください。）",
)
JST = dt.timezone(dt.timedelta(hours=9))  # Japan has no daylight saving time
Source = str | os.PathLike | BinaryIO


@dataclass(frozen=True)
class Options:
    mode: str = "full"
    municipality_code: str | None = None
    programs: tuple[str, ...] = ()
    mynumber_check: str = ERROR
    today: dt.date | None = None
    max_issues: int = 1000
    max_bytes: int = DEFAULT_MAX_BYTES
    layout: str = "pmh-medical-subsidy/1"
    workers: int | None = None  # None: decide by file size and CPUs; 1: never in parallel
    read_once: bool = False  # a file given by its path leaves the page cache as it is read
    # 公費負担者番号 and 受給者番号 check digits: "warning" lowers them, for the 法別番号 (2 digits)
    # and 公費負担者番号 (8 digits) in ``insurer_check_programs``, or for all when it is empty.
    insurer_check: str = ERROR
    insurer_check_programs: tuple[str, ...] = ()

    def check(self) -> None:
        """Raise ValueError for options the engine cannot run with (CLI exit status 3)."""
        if self.mode not in ("full", "diff"):
            raise ValueError(f"mode は full か diff です: {self.mode!r}")
        if self.mynumber_check not in ("error", "warning"):
            raise ValueError(f"mynumber_check は error か warning です: {self.mynumber_check!r}")
        if self.insurer_check not in ("error", "warning"):
            raise ValueError(f"insurer_check は error か warning です: {self.insurer_check!r}")
        for item in self.insurer_check_programs:
            if not (len(item) in (2, 8) and item.isascii() and item.isdigit()):
                raise ValueError(
                    "検証番号を警告にする制度は法別番号（2桁）か"
                    f"公費負担者番号（8桁）で指定してください: {item!r}"
                )
        code = self.municipality_code
        if code is not None and not municipality_code_valid(code):
            raise ValueError(f"全国地方公共団体コードが正しくありません: {code!r}")
        for number in self.programs:
            if not (len(number) == 8 and number.isascii() and number.isdigit()):
                raise ValueError(f"公費負担者番号は8桁の数字です: {number!r}")
        load_layout(self.layout)

    def settings(self, is_csv: bool) -> Settings:
        today = self.today or dt.datetime.now(JST).date()
        return Settings(
            layout=load_layout(self.layout),
            mode=self.mode,
            is_csv=is_csv,
            today=today.isoformat(),
            prefecture=self.municipality_code[:2] if self.municipality_code else None,
            registered_houbetsu=frozenset(p[:2] for p in self.programs),
            lowered_check_digits=self.lowered_check_digits(),
        )

    def lowered_check_digits(self) -> dict[str, frozenset[str]]:
        lowered = {}
        if self.mynumber_check == WARNING:
            lowered["myNumberCheckDigit"] = frozenset()
        if self.insurer_check == WARNING:
            lowered["insurerCheckDigit"] = frozenset(self.insurer_check_programs)
        return lowered

    def report_options(self) -> dict[str, Any]:
        """``options`` of the report: the severities the file was judged with."""
        options: dict[str, Any] = {
            "myNumberCheckDigit": self.mynumber_check,
            "insurerCheckDigit": self.insurer_check,
        }
        if self.insurer_check == WARNING and self.insurer_check_programs:
            options["insurerCheckDigitPrograms"] = list(self.insurer_check_programs)
        return options


def validate_file(
    source: Source,
    *,
    mode: str = "full",
    municipality_code: str | None = None,
    programs: tuple[str, ...] | list[str] = (),
    mynumber_check: str = ERROR,
    insurer_check: str = ERROR,
    insurer_check_programs: tuple[str, ...] | list[str] = (),
    today: dt.date | None = None,
    store: RecordStore | None = None,
    max_issues: int = 1000,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_issue: Callable[[Issue], None] | None = None,
    on_record: Callable[[AcceptedRecord], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    layout: str = "pmh-medical-subsidy/1",
    workers: int | None = None,
    stage: StageSpec | None = None,
    read_once: bool = False,
) -> Report:
    """Validate one file (a path or a binary file object) and return its §8 report.

    ``on_issue`` receives every issue (masked), in file order except ``K_DUPLICATE``, which is
    known only at the end and delivered last. ``on_record`` receives each record without error,
    normalised and unmasked, in file order; apply them only when the report is accepted.
    ``stage`` asks for the same records written to files instead (``stage.py``), which lets a
    large CSV be validated on two cores even when records are kept or compared with a store.
    ``on_progress(done_bytes, total_bytes)`` is called now and then. ``read_once``: the file,
    given by its path, is read once and need not stay in the page cache (``readonce``: a
    received file). Raises ValueError for bad options; every problem of the file itself ends
    up in the report.
    """
    options = Options(
        mode=mode,
        municipality_code=municipality_code,
        programs=tuple(programs),
        mynumber_check=mynumber_check,
        insurer_check=insurer_check,
        insurer_check_programs=tuple(insurer_check_programs),
        today=today,
        max_issues=max_issues,
        max_bytes=max_bytes,
        layout=layout,
        workers=workers,
        read_once=read_once,
    )
    options.check()
    with ExitStack() as stack:
        fh = _open(source, stack, options.max_bytes, options.read_once)
        run = _Run(options, fh, store, on_issue, on_record, on_progress)
        run.path = source if isinstance(source, str | os.PathLike) else None
        run.stage = stage
        return run.execute()


def _open(source: Source, stack: ExitStack, max_bytes: int, read_once: bool) -> BinaryIO:
    if isinstance(source, str | os.PathLike):
        return stack.enter_context(opener(read_once)(source))
    if source.seekable():
        return source
    # A stream we cannot seek (a socket, a pipe) is spooled once, bounded by the size limit.
    spool = stack.enter_context(tempfile.TemporaryFile())
    shutil.copyfileobj(_Limited(source, max_bytes + 1), spool)
    spool.seek(0)
    return spool


class _Limited:
    def __init__(self, fh: BinaryIO, limit: int):
        self.fh, self.left = fh, limit

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.fh.read(size) if size else b""
        self.left -= len(data)
        return data


class _Run:
    def __init__(self, options: Options, fh: BinaryIO, store, on_issue, on_record, on_progress):
        self.options = options
        self.fh = fh
        self.store = store
        self.collector = IssueCollector(options.max_issues, on_issue)
        self.on_record = on_record
        self.on_progress = on_progress
        self.layout = load_layout(options.layout)
        fh.seek(0, os.SEEK_END)
        self.size = fh.tell()
        self.end = self.size  # where reading stops: before a trailing EOF byte
        fh.seek(0)
        self.progress_done = 0
        self.format: str | None = None
        self.encoding: str | None = None
        self.chunks: list[KeyChunk] = []
        self.lines: list = []
        self.extra_chunks: list = []
        self.search: DuplicateSearch | None = None  # a two-core run's, first part marked
        self.path: str | os.PathLike | None = None
        self.stage: StageSpec | None = None

    def execute(self) -> Report:
        if self.size > self.options.max_bytes:
            limit = self.options.max_bytes / (1024 * 1024)
            self.collector.add(
                file_issue(
                    "F_TOO_LARGE",
                    f"ファイルが大きすぎます（上限 {limit:,.0f} MB）。"
                    "ファイルを分けて送ってください。",
                )
            )
            return self._report(None)
        self._eof_marker()
        sniffed = sniff(self.fh, self.end)
        self.format, self.encoding = sniffed.format, sniffed.encoding
        if sniffed.euc_jp:
            self.collector.hint = EUC_JP_HINT
        if sniffed.problem is not None:
            self.collector.add(sniffed.problem)
            return self._report(None)
        settings = self.options.settings(is_csv=self.format == "csv")
        checker = RecordChecker(settings)
        writer = self.stage.writer(0) if self.stage is not None else None
        tally = Tally(
            self.layout,
            self.options.mode,
            self.collector,
            store=self.store,
            on_record=self.on_record,
            stage=writer,
        )
        try:
            if self.format == "csv":
                self._csv(checker, tally)
            else:
                self._json(checker, tally)
        finally:
            if writer is not None:
                writer.close()
        return self._report(tally)

    def _eof_marker(self) -> None:
        """One 0x1A at the very end is left out, with the file warning F_EOF_MARKER."""
        if self.size == 0:
            return
        self.fh.seek(self.size - 1)
        if self.fh.read(1) == EOF_MARKER:
            self.end = self.size - 1
            self.collector.add(file_issue("F_EOF_MARKER", msg.eof_marker(), severity=WARNING))
        self.fh.seek(0)

    # -- formats ------------------------------------------------------------------------------

    def _open_text(self, encoding: str):
        text = open_text(self.fh, 0, self.end, encoding)
        if self.on_progress is not None:
            text.buffer.raw.progress = self._throttled_progress()
        return text

    def _throttled_progress(self) -> Callable[[int], None]:
        size, report, last = self.size, self.on_progress, [0]

        def progress(done: int) -> None:
            self.progress_done = done
            if done - last[0] >= PROGRESS_STEP:
                last[0] = done
                report(min(done, size), size)

        return progress

    def heartbeat(self) -> None:
        """Tell the caller the run is alive between reads (a phase that reads nothing: the
        second part of a two-core run being finished, the duplicate search); the console
        renews its lease on every progress call it takes."""
        if self.on_progress is not None:
            self.on_progress(min(self.progress_done, self.size), self.size)

    def _csv(self, checker: RecordChecker, tally: Tally) -> None:
        text = self._open_text(self.encoding)
        lines = iter(text)
        max_columns = self.layout.max_columns
        cells, first_line, line, problem = read_header(text, self.encoding, max_columns)
        if problem is None and cells is None:
            problem = empty_issue()
        if problem is not None:
            return self._stop(problem)

        def missing_hint() -> str:
            return header_missing_hint(cells, self.layout, peek_lines(text))

        targets, issues = header_targets(
            cells, self.layout, self.options.mode, first_line, missing_hint
        )
        for issue in issues:
            self.collector.add(issue)
        if self.collector.errors:
            return None
        rows = CsvRows(checker, targets, tally, encoding=self.encoding)
        self.heartbeat()
        problem = self._csv_parallel(checker, tally, rows, text, lines, line, cells)
        if problem is False:
            tally.reset()
            self.extra_chunks.clear()
            text = self._open_text(self.encoding)
            lines = iter(text)
            read_header(text, self.encoding, max_columns)
            problem = rows.run(lines, line)
        if problem is not None:
            self._stop(problem)
        self._keep(tally)

    def _csv_parallel(self, checker, tally, rows, text, lines, line, cells) -> Issue | None | bool:
        """Validate the body on two cores when it pays; False when it has to be done again."""
        if not parallel.wanted(self.path, self.size, self.options.workers, tally):
            return rows.run(lines, line)
        return parallel.Parallel(self, checker, tally, rows, cells, self.stage).execute(
            text, lines, line
        )

    def _json(self, checker: RecordChecker, tally: Tally) -> None:
        encoding = "utf-8-sig" if self.encoding == "utf-8-sig" else "utf-8"
        self.encoding = encoding
        if jsonfast.available():
            progress = self._throttled_progress() if self.on_progress is not None else None
            bom = encoding == "utf-8-sig"
            if parallel.wanted(self.path, self.size, self.options.workers, tally):
                self.heartbeat()
                two = parallel.JsonParallel(self, checker, tally, self.stage)
                if two.execute(self.format, bom, progress):
                    self._keep(tally)
                    return
                tally.reset()
                self.extra_chunks.clear()
            body = JsonBody(checker, tally)
            records = jsonfast.records(
                self.fh, self.end, self.format, bom, progress, fast=body.decode
            )
        else:
            text = self._open_text(encoding)
            exact = iter_array(text) if self.format == "json" else iter_lines(text)
            records = ((line, obj, None) for line, obj in exact)
            body = JsonBody(checker, tally)
        self.heartbeat()
        try:
            body.run(records)
        except FileProblem as exc:
            self._stop(exc.issue)
        self._keep(tally)

    def _stop(self, issue: Issue) -> None:
        if issue.code == "F_ENCODING":
            self.encoding = None
        self.collector.add(issue)

    def _keep(self, tally: Tally) -> None:
        """The key index of this process's rows, then those of a two-core run's worker."""
        self.chunks.append(KeyChunk(bytes(tally.digests), tally.key_rows, tally.error_rows))
        self.lines.append(tally.key_lines)
        for chunk, lines in self.extra_chunks:
            self.chunks.append(chunk)
            self.lines.append(lines)

    # -- report -------------------------------------------------------------------------------

    def _report(self, tally: Tally | None) -> Report:
        collector = self.collector
        rows = valid = 0
        if tally is not None:
            rows = tally.rows
            if rows == 0 and collector.file_problem is None:
                collector.add(empty_issue())
            self.heartbeat()
            duplicate_rows = self._duplicates()
            already = error_row_set(self.chunks, duplicate_rows)
            valid = rows - tally.invalid - len(set(duplicate_rows) - already)
        file_problem = collector.file_problem is not None
        accepted = collector.errors == 0
        diff = self._diff(tally) if accepted and tally is not None else None
        if diff is not None:
            self._mass_removal(tally, diff)
        report = Report(
            layout=self.layout.id,
            mode=self.options.mode,
            format=self.format,
            encoding=self.encoding,
            options=self.options.report_options(),
            rows=rows,
            valid_rows=0 if file_problem else valid,
            errors=collector.errors,
            warnings=collector.warnings,
            accepted=accepted,
            counts=dict(sorted(collector.counts.items())),
            issues=collector.first,
            issues_total=collector.total,
            issues_truncated=collector.total > len(collector.first),
            diff=diff,
        )
        if self.on_progress is not None:
            self.on_progress(self.size, self.size)
        return report

    def _duplicates(self) -> list[int]:
        pairs = find_duplicates(self.chunks, self.search)
        if not pairs:
            return []
        lines = _line_lookup(self.chunks, self.lines, {row for row, _ in pairs})
        labels = "・".join(self.layout.by_path[p].label for p in self.layout.key)
        late = [
            Issue(
                row,
                lines.get(row),
                None,
                "K_DUPLICATE",
                ERROR,
                msg.key_duplicate(earlier, labels),
                None,
                {"earlier_row": earlier},
            )
            for row, earlier in sorted(pairs)
        ]
        self.collector.merge_late(late)
        return [row for row, _ in pairs]

    def _diff(self, tally: Tally) -> dict[str, int]:
        diff = dict(tally.diff)
        if self.options.mode == "full":
            stored = len(tally.store) if tally.store is not None else 0
            diff["removed"] = stored - diff["changed"] - diff["unchanged"]
        return diff

    def _mass_removal(self, tally: Tally, diff: dict[str, int]) -> None:
        """K_MASS_REMOVAL at the top of the report when more than a fifth of the records the
        store holds for the integration would go (removed by a full file, deleted by a diff)."""
        stored = len(tally.store) if tally.store is not None else 0
        mode = self.options.mode
        gone = diff["removed"] if mode == "full" else diff["deleted"]
        if stored and gone > stored * MASS_REMOVAL_SHARE:
            name = "removed" if mode == "full" else "deleted"
            self.collector.add_first(
                file_issue(
                    "K_MASS_REMOVAL",
                    msg.mass_removal(mode, stored, gone),
                    severity=WARNING,
                    **{name: gone, "stored": stored},
                )
            )


def _line_lookup(chunks: list[KeyChunk], lines: list, rows: set[int]) -> dict[int, int]:
    found = {}
    for chunk, chunk_lines in zip(chunks, lines, strict=True):
        key_rows, offset = chunk.key_rows, chunk.row_offset
        if len(key_rows) != len(chunk_lines):
            raise ValueError("a key chunk's rows and lines differ in length")
        local = {row - offset for row in rows}
        # Only the wanted rows' places are visited in Python (compress and map run in C).
        for at in compress(range(len(key_rows)), map(local.__contains__, key_rows)):
            found[key_rows[at] + offset] = chunk_lines[at] + chunk.line_offset
    return found


def validate_path(path: str | Path, **kwargs: Any) -> Report:
    return validate_file(Path(path), **kwargs)
