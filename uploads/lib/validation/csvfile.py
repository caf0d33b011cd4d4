"""CSV: decoding a byte range, the header row, and the row loop with fast and detailed paths.

Bytes are decoded before parsing (CP932 trail bytes 0x5C are never seen by the CSV parser), with
``surrogateescape`` so that an undecodable byte becomes a marker character in its row: the row
and line of an ``F_ENCODING`` are then exact, and valid rows before it are still counted.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from itertools import chain, islice, repeat
from operator import methodcaller
from typing import BinaryIO

from coderules.masking import mask_text

from . import fastpath
from . import messages as msg
from .checks import RecordChecker
from .fastpath import FastRow
from .fastrecord import use_fast_values
from .layout import Layout, normalise_header
from .names import closest
from .records import CsvColumns
from .report import ERROR, WARNING, Issue, file_issue
from .sniff import nul_issue
from .tally import Tally, rules_context

# A field above this is F_CSV_SYNTAX; it also bounds what an unclosed quote can swallow. The
# csv module's limit is process-wide: we only ever raise it.
FIELD_LIMIT = 1 << 20
if csv.field_size_limit() < FIELD_LIMIT:
    csv.field_size_limit(FIELD_LIMIT)

UNDECODABLE = {
    "cp932": re.compile("[\x80\udc80-\udcff\uf8f0-\uf8f3]"),
    "utf-8": re.compile("[\udc80-\udcff]"),
    "utf-8-sig": re.compile("[\udc80-\udcff]"),
}
BATCH = 2048  # lines the row loop takes at a time


def _index(items: list, value, start: int, stop: int) -> int:
    """The first place of ``value`` in ``items[start:stop]``, or ``stop``."""
    try:
        return items.index(value, start, stop)
    except ValueError:
        return stop


ENCODING_NAMES = {"cp932": "Shift_JIS（CP932）", "utf-8": "UTF-8", "utf-8-sig": "UTF-8"}


class RangeReader(io.RawIOBase):
    """Bytes ``start``..``end`` of a seekable binary file, read with its own position."""

    def __init__(self, fh: BinaryIO, start: int, end: int | None):
        self.fh = fh
        self.pos = start
        self.end = end
        # Asked once for a new end when ``end`` is reached (the parallel run's cut); None: stop.
        self.extend: Callable[[], int | None] | None = None
        self.progress: Callable[[int], None] | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = len(buffer)
        if self.end is not None and self.pos >= self.end and self.extend is not None:
            extend, self.extend = self.extend, None
            self.end = extend()
        if self.end is not None:
            size = min(size, self.end - self.pos)
        if size <= 0:
            return 0
        self.fh.seek(self.pos)
        data = self.fh.read(size)
        buffer[: len(data)] = data
        self.pos += len(data)
        if self.progress is not None:
            self.progress(self.pos)
        return len(data)


def open_text(fh: BinaryIO, start: int, end: int | None, encoding: str) -> io.TextIOWrapper:
    buffered = io.BufferedReader(RangeReader(fh, start, end), 1 << 16)
    return io.TextIOWrapper(buffered, encoding=encoding, errors="surrogateescape", newline="")


def encoding_issue(encoding: str, line: int) -> Issue:
    return file_issue(
        "F_ENCODING",
        f"{line}行目に{ENCODING_NAMES.get(encoding, encoding)}として読めないバイトがあります。"
        "ファイルが途中で切れていないか、文字コードが混ざっていないか確認し、"
        "UTF-8 か Shift_JIS で保存し直してください。",
        line=line,
    )


def syntax_issue(line: int, reason: str) -> Issue:
    if "field limit" in reason:
        why = f'1つの項目が長すぎます（{FIELD_LIMIT:,}文字超）。引用符（"）の閉じ忘れがないか'
    elif "end of data" in reason:
        why = 'この行で開いた引用符（"）が閉じられていません。引用符の対応'
    else:
        why = '引用符（"）の使い方が正しくありません。項目内の " は "" と2つ重ねるなど、書き方'
    return file_issue(
        "F_CSV_SYNTAX", f"{line}行目から始まるレコード: {why}を確認してください。", line=line
    )


def _text_problem(cells: list[str], line: int, undecodable: re.Pattern, encoding: str):
    """NUL (not a text file) or an undecodable byte in a row; the physical line it is on."""
    joined = ",".join(cells)
    nul = joined.find("\x00")
    if nul >= 0:
        return nul_issue(line + joined.count("\n", 0, nul))
    bad = undecodable.search(joined)
    if bad:
        return encoding_issue(encoding, line + joined.count("\n", 0, bad.start()))
    return None


MAX_SUGGESTIONS = 20  # "did you mean" for the first unknown names of a file only


def _name_candidates(layout: Layout) -> list[tuple[str, str]]:
    """(normalised, shown) for every header name of the layout, in layout order."""
    found = _CANDIDATES.get(layout.id)
    if found is None:
        found = []
        for spec in layout.fields:
            for name in (spec.path, spec.label, *spec.aliases):
                found.append((normalise_header(name), name))
        for n in range(1, layout.list.max_items + 1):
            for item in layout.list.items:
                for name in (layout.list.item_field(n, item.path), item.label.format(n=n)):
                    found.append((normalise_header(name), name))
        _CANDIDATES[layout.id] = found
    return found


_CANDIDATES: dict[str, list[tuple[str, str]]] = {}


def header_targets(
    cells: list[str],
    layout: Layout,
    mode: str,
    line: int = 1,
    missing_hint: Callable[[], str] | None = None,
) -> tuple[list, list[Issue]]:
    """Targets of the header cells and the header issues (unknown, duplicate, missing).

    ``missing_hint`` gives what probably happened when no cell names a column (a file
    separated by TAB or ";", a title row above the header, another encoding)."""
    targets: list[tuple | None] = []
    issues: list[Issue] = []
    seen: dict[tuple, int] = {}
    suggestions = 0
    for cell in cells:
        target = layout.resolve_header(cell) if cell.strip() else None
        name = target[1].path if target and target[0] == "field" else mask_text(cell.strip())
        if target is None and cell.strip():
            suggestion = None
            if suggestions < MAX_SUGGESTIONS:
                suggestions += 1
                suggestion = closest(normalise_header(cell), _name_candidates(layout))
            issues.append(
                file_issue(
                    "F_HEADER_UNKNOWN",
                    msg.unknown_column(name, suggestion),
                    line=line,
                    field=name,
                    severity=WARNING,
                )
            )
        elif target is not None:
            ident = target if target[0] == "item" else ("field", target[1].path)
            if ident in seen:
                issues.append(
                    file_issue(
                        "F_HEADER_DUPLICATE",
                        f"列「{name}」が2回以上あります。同じ項目の列は1つにしてください。",
                        line=line,
                        field=name
                        if target[0] == "field"
                        else layout.list.item_field(target[1], target[2]),
                    )
                )
                target = None
            seen[ident] = 1
        targets.append(target)
    present = {t[1].path for t in targets if t and t[0] == "field"}
    if not present and not any(targets):
        hint = missing_hint() if missing_hint is not None else ""
        return targets, [
            file_issue(
                "F_HEADER_MISSING",
                "見出し行がありません。1行目に列名"
                f"（myNumber または 個人番号 など）を入れてください。{hint}",
                line=line,
            )
        ]
    for spec in layout.required_columns(mode):
        if spec.path not in present:
            issues.append(
                file_issue(
                    "F_HEADER_MISSING",
                    f"必須の列「{spec.path}」（{spec.label}）がありません。列を追加してください。",
                    line=line,
                    field=spec.path,
                )
            )
    return targets, issues


def header_missing_hint(cells: list[str], layout: Layout, following: list[str]) -> str:
    """What probably happened to a header row that names no column of the layout."""
    joined = ",".join(cells)
    for sep, name in (("\t", "タブ"), (";", "「;」")):
        if sep in joined and any(
            layout.resolve_header(part) for part in joined.split(sep) if part.strip()
        ):
            return (
                f"区切り文字が{name}のようです。Excel では「CSV UTF-8（コンマ区切り）」または"
                "「CSV（コンマ区切り）」で保存し直すか、出力設定で区切り文字をカンマにしてください。"
            )
    for offset, text in enumerate(following, start=1):
        try:
            row = next(csv.reader([text]))
        except (csv.Error, StopIteration):
            continue
        if any(layout.resolve_header(cell) for cell in row if cell.strip()):
            return (
                f"その{offset}行下に見出し行があるようです。見出しの上にある表題などの行を"
                "削除して、見出し行をファイルの先頭にしてください。"
            )
    return ""


class CsvRows:
    """The row loop over one range of a CSV file (the whole body, or one chunk of it).

    Lines are read as text; a line the fast path proves clean is never given to the csv module
    (a clean line has no escaped quote and no quoted line break, so its cells are known). Any
    other line goes to the csv module, which reads as many further lines as the record spans.
    """

    def __init__(self, checker: RecordChecker, targets: list, tally: Tally, *, encoding: str,
                 fast: bool = True):  # fmt: skip
        self.checker = checker
        self.columns = CsvColumns(checker.layout, targets)
        self.tally = tally
        self.encoding = encoding
        self.undecodable = UNDECODABLE[encoding]
        self.fast = FastRow(checker, targets) if fast and fastpath.ENABLED else None
        if self.fast is not None and tally.needs_values:
            use_fast_values(tally, checker.layout, targets, "csv", rules_context(checker.s))
        self.syntax_reason = ""
        self.line_no = 0  # the last line read, once a run has reached the end of its range

    def run(self, lines: Iterator[str], line_no: int) -> Issue | None:
        """Validate from the line after ``line_no`` to the end or a file-level problem.

        Lines are taken BATCH at a time, and the clean ones handled by map() over the batch
        (match, cells, checks, then the key digests or the records' values): no Python bytecode
        per clean line but the generated checks'. Any other line goes the slow way in order."""
        if self.fast is None:
            return self._run_slow(lines, line_no)
        tally = self.tally
        fast = self.fast
        plain, plain_cells = fast._plain_match, methodcaller("group", *fast._groups)
        quoted, quoted_cells = fast._quoted_match, methodcaller("group", *fast._quoted_groups)
        row_no = tally.rows
        while batch := list(islice(lines, BATCH)):
            # One pattern for the batch: the quoted one reads lines without quotes too.
            if any(map(str.__contains__, batch, repeat('"'))):
                matches, cells = list(map(quoted, batch)), quoted_cells
            else:
                matches, cells = list(map(plain, batch)), plain_cells
            at, size = 0, len(batch)
            while at < size:
                stop = _index(matches, None, at, size)
                row_no, line_no, problem = self._matched(
                    batch, at, list(map(fast._post, map(cells, matches[at:stop]))),
                    row_no, line_no,
                )  # fmt: skip
                if problem is not None:
                    return problem
                if stop >= size:
                    break
                # Not matched: the slow way, which may read the record's further lines.
                before = line_no + 1
                rest = chain(islice(batch, stop + 1, None), lines)
                row_no, line_no, problem = self._other(batch[stop], rest, before, row_no)
                if problem is not None:
                    return problem
                at = stop + 1 + line_no - before  # past the lines the record spanned
        tally.rows, self.line_no = row_no, line_no
        return None

    def _matched(self, batch: list[str], at: int, keys: list[str | None], row_no: int,
                 line_no: int) -> tuple[int, int, Issue | None]:  # fmt: skip
        """The lines from ``batch[at]`` on that matched the row pattern, with their keys (None:
        the checks after the match did not pass, and the line goes the slow way)."""
        tally = self.tally
        done = 0
        while True:
            clean = _index(keys, None, done, len(keys))
            if clean > done:
                if tally.fast_values is None:
                    tally.clean_batch(row_no, line_no, keys[done:clean])
                else:  # the lines themselves: fast_batch splits those it needs in cells
                    texts = batch[at + done : at + clean]
                    tally.fast_batch(row_no, line_no, keys[done:clean], texts)
                row_no += clean - done
                line_no += clean - done
            if clean == len(keys):
                return row_no, line_no, None
            # A matched line is one whole record: no further lines for the csv module.
            row_no, line_no, problem = self._other(batch[at + clean], iter(()), line_no + 1, row_no)
            if problem is not None:
                return row_no, line_no, problem
            done = clean + 1

    def _run_slow(self, lines: Iterator[str], line_no: int) -> Issue | None:
        """The row loop without the fast path: every line the slow way."""
        row_no = self.tally.rows
        for text in lines:
            line_no += 1
            row_no, line_no, problem = self._other(text, lines, line_no, row_no)
            if problem is not None:
                return problem
        self.tally.rows, self.line_no = row_no, line_no
        return None

    def _other(self, text: str, lines: Iterator[str], line_no: int, row_no: int):
        """A line the fast path did not prove clean: parse it (and the lines its record spans)."""
        start = line_no
        if '"' in text:
            reader = csv.reader(chain((text,), lines), strict=True)
            try:
                row = next(reader)
            except csv.Error as exc:
                self.tally.rows = row_no
                self.syntax_reason = str(exc)
                # A truncated multibyte character is the cause, not the quote it follows.
                problem = _text_problem([text], start, self.undecodable, self.encoding)
                return row_no, line_no, problem or syntax_issue(start, str(exc))
            line_no += reader.line_num - 1
        else:
            body = text.rstrip("\r\n")
            if not body:
                return row_no, line_no, None
            cells = body.count(",") + 1
            if cells != self.columns.count:  # no list of cells for a row of the wrong width
                row_no += 1
                problem = self._wrong_width([body], cells, row_no, start)
                if problem is not None:
                    self.tally.rows = row_no - 1
                    return row_no - 1, line_no, problem
                return row_no, line_no, None
            row = body.split(",")
        row_no += 1
        key = self.fast.cells(row) if self.fast and len(row) == self.columns.count else None
        if key is not None:
            if self.tally.fast_values is not None:
                self.tally.fast_record(row_no, start, key, row)
            else:
                self.tally.clean(row_no, start, key)
            return row_no, line_no, None
        problem = self._slow(row, row_no, start)
        if problem is not None:
            self.tally.rows = row_no - 1
            return row_no - 1, line_no, problem
        return row_no, line_no, None

    def _wrong_width(self, row: list[str], cells: int, row_no: int, line: int) -> Issue | None:
        problem = _text_problem(row, line, self.undecodable, self.encoding)
        if problem is not None:
            return problem
        tally = self.tally
        issue = Issue(row_no, line, None, "R_COLUMN_COUNT", ERROR,
                      msg.column_count(self.columns.count, cells))  # fmt: skip
        tally.sink.add(issue)
        tally.invalid += 1
        tally.error_rows.append(row_no)
        return None

    def _slow(self, row: list[str], row_no: int, line: int) -> Issue | None:
        if len(row) != self.columns.count:
            return self._wrong_width(row, len(row), row_no, line)
        problem = _text_problem(row, line, self.undecodable, self.encoding)
        if problem is not None:
            return problem
        tally = self.tally
        outcome = self.checker.check(self.columns.raw(row), row_no, line)
        tally.checked(row_no, line, outcome)
        return None


HEADER_MAX_CHARS = 1 << 16  # a header row longer than this is refused at once


class HeaderTooLong(Exception):
    pass


class _HeaderLines:
    """Lines for the csv module while it reads the header row: at most ``left`` characters,
    never a whole line longer than that (a file of one line of commas stays cheap)."""

    def __init__(self, text, left: int):
        self.text, self.left = text, left

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.left <= 0:
            raise HeaderTooLong
        line = self.text.readline(self.left)
        if not line:
            raise StopIteration
        self.left -= len(line)
        if self.left <= 0 and not line.endswith(("\n", "\r")):
            raise HeaderTooLong
        return line


def header_too_wide(line: int, what: str) -> Issue:
    return file_issue(
        "F_CSV_SYNTAX",
        f"{line}行目の見出し行{what}。区切り文字（カンマ）が続いているだけの行や、"
        "見出しでない行が先頭にないか確認してください。",
        line=line,
    )


def read_header(
    text, encoding: str, max_columns: int | None = None
) -> tuple[list[str] | None, int, int, Issue | None]:
    """The first non-blank row, its first and last line, and the issue that stops reading.

    ``text`` is the decoded file (anything with ``readline(size)``). The row may span lines
    (a quoted line break) but not more than ``HEADER_MAX_CHARS`` characters, and it may not
    have more than ``max_columns`` cells: both are ``F_CSV_SYNTAX`` before anything else is
    built from the header."""
    line_no = 0
    undecodable = UNDECODABLE[encoding]
    while True:
        first = text.readline(HEADER_MAX_CHARS)
        if not first:
            return None, line_no, line_no, None
        line_no += 1
        if not first.strip("\r\n"):
            continue
        lines = _HeaderLines(text, HEADER_MAX_CHARS - len(first))
        if len(first) >= HEADER_MAX_CHARS and not first.endswith(("\n", "\r")):
            return (
                None,
                line_no,
                line_no,
                header_too_wide(line_no, f"が長すぎます（{HEADER_MAX_CHARS:,}文字超）"),
            )
        reader = csv.reader(chain((first,), lines), strict=True)
        try:
            cells = next(reader)
        except csv.Error as exc:
            problem = _text_problem([first], line_no, undecodable, encoding)
            return None, line_no, line_no, problem or syntax_issue(line_no, str(exc))
        except HeaderTooLong:
            return (
                None,
                line_no,
                line_no,
                header_too_wide(line_no, f"が長すぎます（{HEADER_MAX_CHARS:,}文字超）"),
            )
        last = line_no + reader.line_num - 1
        problem = _text_problem(cells, line_no, undecodable, encoding)
        if problem is None and max_columns is not None and len(cells) > max_columns:
            problem = header_too_wide(
                line_no, f"の列が多すぎます（{len(cells):,}列、上限{max_columns:,}列）"
            )
        return cells, line_no, last, problem


def peek_lines(text, count: int = 5) -> list[str]:
    """The next few lines, each cut to ``HEADER_MAX_CHARS`` (for a hint; reading stops after)."""
    found = []
    for _ in range(count):
        line = text.readline(HEADER_MAX_CHARS)
        if not line:
            break
        found.append(line)
    return found
