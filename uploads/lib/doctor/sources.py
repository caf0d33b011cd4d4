"""Opening a municipality's export as it is: a CSV (UTF-8 with or without BOM, CP932) or an
Excel workbook (.xlsx), with title rows, blank rows and merged cells above the header.

A :class:`Table` gives the header's columns and then the data rows one by one; nothing but the
few rows scanned for the header is held in memory. Cells are what the file holds: text for a
CSV; text, int, float, datetime or bool for a workbook (see ``values.cell_text``).
"""

from __future__ import annotations

import codecs
import csv
import io
import operator
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import chain, islice, repeat
from operator import itemgetter
from typing import Any, BinaryIO

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from uploads.lib.validation.sniff import sniff

from .values import parse_date

_DATA = re.compile(r"[0-9０-９]{4}")  # a run of digits: a number, a code, a date
HEADER_SCAN_ROWS = 30  # rows looked at for the header; title blocks are a few rows at most
CHUNK_BYTES = 1 << 18  # bytes converted at a time (about 2,000 records of an export)
MAX_EXTEND_CHARS = 4 << 20  # read on this far for the quote a chunk leaves open
Source = str | os.PathLike | BinaryIO
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# Undecodable bytes become U+FFFD; counting them lets the converter look for the row that held
# one only in the blocks where it happened.
_REPLACED = [0]


def _count_replaced(error: UnicodeDecodeError) -> tuple[str, int]:
    _REPLACED[0] += 1
    return "\ufffd", error.end


codecs.register_error("doctor-replace", _count_replaced)


class SourceError(Exception):
    """The file cannot be read as a table; the message is Japanese, for the user."""


@dataclass(frozen=True)
class Column:
    index: int  # position in a row
    name: str  # the header cell as written (trimmed); "(B列)" when the cell is empty
    letter: str  # the spreadsheet column letter, which users find in Excel


@dataclass
class Block:
    """Consecutive records: their cells, record numbers and physical lines (or sheet rows).

    A block of plain CSV lines comes as its ``columns`` (cut in C, see ``_plain_block``) and has
    ``cells`` (its rows) only when someone asks for them."""

    cells: list[list[Any]] | None
    first: int  # record number of the first record
    start_line: int  # line of the first record; with ``lines`` None, each record is one line
    lines: list[int] | None = None
    columns: list[list[str]] | None = None

    def record(self, k: int) -> int:
        return self.first + k

    def line(self, k: int) -> int:
        return self.lines[k] if self.lines is not None else self.start_line + k

    def rows(self) -> list[list[Any]]:
        if self.cells is None:
            self.cells = list(map(list, zip(*self.columns, strict=True)))
        return self.cells

    @property
    def size(self) -> int:
        return len(self.cells) if self.cells is not None else len(self.columns[0])

    @property
    def last(self) -> int:
        return self.first + self.size - 1


@dataclass
class Table:
    format: str  # "csv" or "xlsx"
    encoding: str | None  # CSV only: "utf-8", "utf-8-sig" or "cp932"
    sheet: str | None  # xlsx only
    sheets: tuple[str, ...]
    header_line: int  # physical line (CSV) or row (xlsx) of the header, 1-based
    columns: list[Column]
    _rows: Iterator[tuple[int, list[Any]]]  # xlsx: all rows; CSV: those read with the header
    delimiter: str = ","
    _reader: Any = None  # CSV: the csv reader, read on from where the header scan stopped
    _before: int = 0  # CSV: physical lines before the reader's first line
    _replaced_seen: int = 0
    _stream: Any = None  # CSV: (binary file, offset) of the text the reader reads

    def rows(self) -> Iterator[tuple[int, int, list[Any]]]:
        """``(record number, physical line or sheet row, cells)`` for each non-blank data row."""
        blank = _blank if self.format == "xlsx" else _no_text
        record = 0
        for line, cells in self._rows:
            if not blank(cells):
                record += 1
                yield record, line, cells
        if self._reader is not None:
            yield from self._csv_rows(record)

    def blocks(self, size: int) -> Iterator[Block]:
        """The records in blocks of ``size``: for a CSV, read by the csv module in C, lines
        worked out only for a block holding a blank line or a line break inside a cell."""
        record = 0
        head = self.rows() if self._reader is None else self._pending()
        while chunk := list(islice(head, size)):
            yield Block([c for _r, _l, c in chunk], chunk[0][0], 0, [ln for _r, ln, _c in chunk])
            record = chunk[-1][0]
        if self._reader is not None:
            yield from self._csv_blocks(record, size)

    def _pending(self) -> Iterator[tuple[int, int, list[Any]]]:
        record = 0
        for line, cells in self._rows:
            if any(cells):
                record += 1
                yield record, line, cells

    def _csv_blocks(self, record: int, size: int) -> Iterator[Block]:
        """The rest of a CSV a chunk of text at a time. A chunk of plain lines (no quote, one
        kind of line break, as many delimiters on each line as the header has) is cut into its
        columns with ``str.split`` and slicing, in C; any other chunk is read by the csv module,
        so that the records, lines and errors are those of one csv reader over the whole file."""
        delimiter, width = self.delimiter, len(self.columns)
        fh, start = self._stream
        # On from the lines the header scan read, as bytes decoded a chunk at a time (faster
        # than the text wrapper, which has read ahead).
        offset = _after_lines(fh, start, self._reader.line_num)
        encoding = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
        chunks = _text_chunks(fh, offset, encoding)
        line = self._before + self._reader.line_num + 1  # the next line's number
        for chunk in chunks:
            block = _plain_block(chunk, delimiter, width, record + 1, line)
            if block is not None:
                yield block
                record, line = block.last, line + block.size
                continue
            chunk = _to_even_quotes(chunk, chunks)
            parsed = None if chunk.count('"') % 2 else _parse_chunk(chunk, delimiter)
            if parsed is None:
                # A quote left open, or a quote within a field: one reader from here to the end.
                rest = (io.StringIO(text, newline="") for text in chain((chunk,), chunks))
                reader = csv.reader(chain.from_iterable(rest), delimiter=delimiter, strict=True)
                yield from _reader_blocks(reader, line - 1, record, size)
                return
            rows, count = parsed
            if count == len(rows) and [] not in rows and all(map(itemgetter(0), rows)):
                block = Block(rows, record + 1, line)
            else:
                block = _odd_block(rows, record, line)
            if block.cells:
                yield block
                record = block.last
            line += count

    def _csv_rows(self, record: int) -> Iterator[tuple[int, int, list[str]]]:
        # The hot loop of a conversion: one generator straight over the csv reader.
        reader, before = self._reader, self._before
        line = before + reader.line_num + 1
        try:
            for cells in reader:
                if cells and (cells[0] or any(cells)):  # ",,," is as blank as an empty line
                    record += 1
                    yield record, line, cells
                line = before + reader.line_num + 1
        except csv.Error as exc:
            raise _quote_error(line, exc) from None

    def replaced(self) -> bool:
        """Whether undecodable bytes were replaced by U+FFFD since the last call (CSV only)."""
        count = _REPLACED[0]
        changed, self._replaced_seen = count != self._replaced_seen, count
        return changed


def _reader_blocks(reader, before: int, record: int, size: int) -> Iterator[Block]:
    """Blocks of ``size`` records from a csv reader; ``before``: physical lines before its first."""
    while True:
        start = before + reader.line_num + 1
        try:
            rows = list(islice(reader, size))
        except csv.Error as exc:
            raise _quote_error(before + reader.line_num, exc) from None
        if not rows:
            return
        simple = before + reader.line_num + 1 - start == len(rows) and [] not in rows
        if simple and all(map(itemgetter(0), rows)):
            yield Block(rows, record + 1, start)
            record += len(rows)
            continue
        block = _odd_block(rows, record, start)
        if block.cells:
            yield block
            record = block.last


def _plain_block(chunk: str, delimiter: str, width: int, first: int, line: int) -> Block | None:
    """Whole lines of text as a block of columns, or None unless the csv module would read each
    line as one record of ``width`` cells split at the delimiters, the first cell not empty."""
    if '"' in chunk:
        return None
    if "\r" in chunk:
        crlf = chunk.count("\r\n")
        if crlf != chunk.count("\r") or crlf != chunk.count("\n"):
            return None  # a lone CR or LF, which the csv module counts as a line of its own
        end = "\r\n"
    else:
        end = "\n"
    body = chunk[: -len(end)] if chunk.endswith(end) else chunk
    if width == 1:
        if delimiter in body:
            return None
        columns = [body.split(end)]
    else:
        # Split at the delimiters only: the cell that ends a line and the one that starts the
        # next come as one, holding the line break. Each line has ``width - 1`` delimiters
        # exactly when every ``width - 1``-th piece holds one of the file's line breaks.
        n = body.count(end) + 1
        pieces = body.split(delimiter)
        if len(pieces) != n * (width - 1) + 1:
            return None
        joints = pieces[width - 1 : -1 : width - 1]
        if not all(map(operator.contains, joints, repeat(end))):
            return None
        heads, tails = [pieces[0]], [pieces[-1]]
        if joints:  # last cell of a line, first cell of the next, …
            ends = end.join(joints).split(end)
            heads, tails = [pieces[0], *ends[1::2]], [*ends[0::2], pieces[-1]]
        columns = [heads, *(pieces[j :: width - 1] for j in range(1, width - 1)), tails]
    if not all(columns[0]):
        return None  # a blank line, or a record whose first cell is empty
    return Block(None, first, line, columns=columns)


def _to_even_quotes(chunk: str, chunks: Iterator[str]) -> str:
    """``chunk`` with the chunks that close the quote it leaves open, if any (bounded)."""
    quotes = chunk.count('"')
    if quotes % 2 == 0:
        return chunk
    parts, extra = [chunk], 0
    while quotes % 2 and extra <= MAX_EXTEND_CHARS:
        more = next(chunks, "")
        if not more:
            break
        parts.append(more)
        quotes += more.count('"')
        extra += len(more)
    return "".join(parts)


_LINE_END = re.compile(rb"\r\n|\r|\n")  # line breaks as the text wrapper (newline="") sees them


def _after_lines(fh: BinaryIO, start: int, count: int) -> int:
    """The offset just after ``count`` lines from ``start``."""
    fh.seek(start)
    offset = start
    while count > 0:
        data = fh.read(1 << 16)
        if not data:
            return offset
        while data.endswith(b"\r") and (more := fh.read(1)):
            data += more  # a CR LF cut in two is one line break
        end = 0
        for match in _LINE_END.finditer(data):
            end = match.end()
            count -= 1
            if count == 0:
                break
        if count == 0:
            return offset + end
        offset += len(data)
        fh.seek(offset)
    return offset


def _text_chunks(fh: BinaryIO, offset: int, encoding: str) -> Iterator[str]:
    """The text from ``offset`` on in chunks of whole lines (never cut inside a CR LF)."""
    fh.seek(offset)
    pending = b""
    while True:
        data = fh.read(CHUNK_BYTES)
        if not data:
            if pending:
                yield pending.decode(encoding, "doctor-replace")
            return
        data = pending + data
        cut = data.rfind(b"\n") + 1
        if not cut:  # no LF: lines end with a lone CR, or one line is longer than a chunk
            cut = data.rfind(b"\r", 0, len(data) - 1) + 1
        if not cut:
            pending = data
            continue
        pending = data[cut:]
        # A chunk ends with a line break: 0x0A and 0x0D are never part of a character in
        # UTF-8 or CP932, so each chunk decodes as the whole file would.
        yield data[:cut].decode(encoding, "doctor-replace")


def _parse_chunk(chunk: str, delimiter: str) -> tuple[list[list[str]], int] | None:
    """The rows of whole lines and the count of lines, or None when the csv module stops (the
    caller then reads on with one reader, which reports the error at its line)."""
    reader = csv.reader(io.StringIO(chunk, newline=""), delimiter=delimiter, strict=True)
    try:
        rows = list(reader)
    except csv.Error:
        return None
    return rows, reader.line_num


def _odd_block(rows: list[list[str]], record: int, start: int) -> Block:
    """A block with blank rows or cells spanning lines: each record's line, blank rows out."""
    cells, lines = [], []
    line = start
    for row in rows:
        if row and any(row):
            cells.append(row)
            lines.append(line)
        text = "".join(row)
        line += 1 + text.count("\n") + text.count("\r") - text.count("\r\n")
    return Block(cells, record + 1, start, lines)


def _no_text(cells: list[str]) -> bool:
    return not any(cells)


def _blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def open_table(
    source: Source,
    stack: ExitStack,
    *,
    sheet: str | None = None,
    header_score: Callable[[list[str]], float] | None = None,
) -> Table:
    """Open ``source`` for reading; files are closed when ``stack`` closes.

    ``header_score`` rates a candidate header row (the count of names it recognises); the row
    scoring highest among the first rows is the header, the first wide row when none scores.
    """
    fh = _binary(source, stack)
    head = fh.read(8)
    fh.seek(0)
    if head.startswith(_ZIP):
        return _open_xlsx(fh, stack, sheet, header_score)
    if head.startswith(_OLE):
        raise SourceError(
            "古い Excel 形式（.xls）か、パスワードで保護された Excel ファイルは読めません。"
            "パスワードを外して .xlsx で保存するか、CSV で保存してください。"
        )
    return _open_csv(fh, stack, header_score)


def _binary(source: Source, stack: ExitStack) -> BinaryIO:
    if isinstance(source, str | os.PathLike):
        return stack.enter_context(open(source, "rb"))  # noqa: SIM115
    if not source.seekable():
        raise SourceError("ファイルを読み直せません（シークできないストリームです）。")
    source.seek(0)
    return source


def _open_csv(fh: BinaryIO, stack: ExitStack, header_score) -> Table:
    sniffed = sniff(fh)
    if sniffed.problem is not None:
        raise SourceError(sniffed.problem.message)
    if sniffed.format != "csv":
        raise SourceError(
            "JSON のファイルです。JSON は PMH の形式そのものなので、レイアウト診断ではなく"
            "そのまま検証してください。"
        )
    # Undecodable bytes become U+FFFD, which conversion reports on the row that holds it.
    text = io.TextIOWrapper(fh, encoding=sniffed.encoding, errors="doctor-replace", newline="")
    stack.callback(text.detach)  # the caller's file object stays open
    delimiter = _delimiter(text)
    reader = csv.reader(text, delimiter=delimiter, strict=True)
    line, cells, after = _find_header(_csv_lines(reader), header_score)
    return Table(
        "csv",
        sniffed.encoding,
        None,
        (),
        line,
        _columns(cells),
        iter(after),
        delimiter,
        reader,
        _stream=(fh, 0),  # ``_delimiter`` went back to the start
    )


def _delimiter(text: io.TextIOWrapper) -> str:
    """Tab when the first line has more tabs than commas (a TSV saved as .csv), else comma."""
    first = text.readline()
    text.seek(0)
    return "\t" if first.count("\t") > first.count(",") else ","


def open_csv_part(fh: BinaryIO, stack: ExitStack, head: Table, first_line: int) -> Table:
    """The rows of a later part of a CSV whose header ``head`` was read (``split.Cut``)."""
    encoding = "utf-8" if head.encoding == "utf-8-sig" else head.encoding
    start = fh.tell()
    text = io.TextIOWrapper(fh, encoding=encoding, errors="doctor-replace", newline="")
    stack.callback(text.detach)
    reader = csv.reader(text, delimiter=head.delimiter, strict=True)
    return Table(
        "csv",
        head.encoding,
        None,
        (),
        head.header_line,
        head.columns,
        iter(()),
        head.delimiter,
        reader,
        first_line - 1,
        _stream=(fh, start),
    )


def _csv_lines(reader) -> Iterator[tuple[int, list[str]]]:
    """Rows with their first physical line, for the header scan."""
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        raise _quote_error(line, exc) from None


def _quote_error(line: int, exc: csv.Error) -> SourceError:
    return SourceError(
        f'{line}行目から始まる行の引用符（"）の使い方が正しくないため読めません（{exc}）。'
    )


def _open_xlsx(fh: BinaryIO, stack: ExitStack, sheet: str | None, header_score) -> Table:
    try:
        book = load_workbook(fh, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise SourceError(
            "Excel ファイル（.xlsx）として開けません。ファイルが壊れていないか、"
            "ZIP などほかの形式でないか確認してください。"
        ) from None
    stack.callback(book.close)
    names = tuple(book.sheetnames)
    sheets = [ws for ws in book.worksheets if sheet is None or ws.title == sheet]
    if not sheets:
        raise SourceError(f"シート「{sheet}」がありません（シート: {'、'.join(names)}）。")
    for ws in sheets:
        rows = ((n, list(r)) for n, r in enumerate(ws.iter_rows(values_only=True), start=1))
        try:
            line, cells, after = _find_header(rows, header_score)
        except SourceError:
            if ws is sheets[-1]:
                raise
            continue  # an empty sheet before the data
        return Table("xlsx", None, ws.title, names, line, _columns(cells), chain(after, rows))
    raise SourceError("データのあるシートがありません。")  # pragma: no cover (loop returns)


def _find_header(rows, header_score) -> tuple[int, list[Any], list]:
    """The header row among the first rows, and the rows read after it. ``rows`` is left
    where the scan stopped (it reads no row ahead)."""
    scanned: list[tuple[int, list[Any]]] = []
    for line, cells in rows:
        if not _blank(cells):
            scanned.append((line, cells))
            if len(scanned) >= HEADER_SCAN_ROWS:
                break
    if not scanned:
        raise SourceError("見出しもデータもありません（空のファイルかシートです）。")
    pick = _pick_header(scanned, header_score)
    line, cells = scanned[pick]
    return line, cells, [(n, c) for n, c in scanned if n > line]


def _pick_header(scanned, header_score) -> int:
    texts = [[_text(c) for c in cells] for _line, cells in scanned]
    if header_score is not None:
        scores = [header_score(t) for t in texts]
        best = max(range(len(scores)), key=lambda i: (scores[i], -i))
        if scores[best] > 0:
            return best
    # A title row fills one or two cells; the header is the first row as wide as the data.
    widths = [sum(1 for t in row if t.strip()) for row in texts]
    pick = next(i for i, w in enumerate(widths) if w >= max(widths) * 0.8)
    if any(_looks_like_data(c) for c in scanned[pick][1]):
        # Never take a record for the header: its cells would be shown as column names.
        raise SourceError(
            "見出し行（列名の行）が見つかりません。データの上に、個人番号・氏名・生年月日など"
            "の列名を書いた行を入れてください。"
        )
    return pick


def _looks_like_data(cell: Any) -> bool:
    if cell is None or isinstance(cell, bool):
        return False
    if not isinstance(cell, str):
        return True  # a number or a date cell is never a column name
    text = cell.strip()
    try:
        return bool(_DATA.search(text)) or parse_date(text) is not None
    except ValueError:
        return True


def _text(cell: Any) -> str:
    return "" if cell is None else str(cell)


def _columns(cells: list[Any]) -> list[Column]:
    columns = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(cells):
        letter = get_column_letter(i + 1)
        name = _text(cell).replace("\ufeff", "").strip()
        if not name:
            name = f"({letter}列)"
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:  # two 備考 columns: the second is told apart by its position
            name = f"{name}({letter}列)"
        columns.append(Column(i, name, letter))
    return columns
