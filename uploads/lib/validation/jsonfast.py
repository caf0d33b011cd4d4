"""The fast way through JSON: records cut from bytes and parsed by orjson, the exact way kept.

JSON Lines are cut at line feeds, a JSON array at ``}``, ``,``, ``{`` between two elements (a
candidate whose braces do not balance is inside an element: the cut moves on). A piece is
trusted only when orjson parses it as a whole, which proves it is exactly one element: the first
piece starts where the array's first element does, and so by turn every later one. Each record
comes out with the line its ``{`` is on and its bytes (``raw``), so that a record the fast
checks cannot prove clean is decoded again the exact way (``jsonfile.py``: repeated keys, whole
integers) and checked in full. Anything unusual for the cutter (a lone CR, a piece that orjson
refuses, a syntax error, an undecodable byte, the end of the array) hands the rest of the file
to the exact reader at that record, which gives the same records and issues it always gave.
Memory holds one block of the file (1 MiB) and one record, never the file.

Each record is first decoded by msgspec straight into the fast path's cells when it can be
(``jsonstruct.py``: no dict per record), else by orjson. In an array, once a cut with a line
break has been seen, the same separator bytes are looked for with ``bytes.find`` before the
regex (an indented or one-element-per-line array: no regex per element).

orjson keeps the last value of a repeated key; :func:`has_repeated_key` tells such a record
from its bytes, so that it too takes the exact way (``V_TYPE``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from .csvfile import open_text
from .jsonfile import MAX_RECORD_CHARS, iter_array, iter_lines

try:
    import orjson
except ImportError:  # pragma: no cover - the engine then reads every record the exact way
    orjson = None

ENABLED = orjson is not None  # tests switch it off to compare both ways
BLOCK = 1 << 20
MAX_CANDIDATES = 64  # element-like cuts tried inside one record before the exact way takes it
_OPEN = re.compile(rb"[ \t\n\r]*\[[ \t\n\r]*(?=\{)")
_CUT = re.compile(rb"\}[ \t\n\r]*,[ \t\n\r]*\{")
_LAST = re.compile(rb"\}[ \t\n\r]*\][ \t\n\r]*\Z")
_SPACED_KEY = re.compile(rb'"[ \t\n\r]+:')
_BOM = b"\xef\xbb\xbf"

Record = tuple[int, Any, bytes | None]  # line, object, its bytes (None: decoded exactly)


def available() -> bool:
    return ENABLED and orjson is not None


def has_repeated_key(raw: bytes, keys: int) -> bool:
    """Whether the element in ``raw``, parsed into objects holding ``keys`` keys in all, had
    more keys in its text (a repeated key). Without a backslash no string holds a quote, so
    every ``"`` followed by ``:`` ends a key; a backslash or a space before a colon is simply
    not proven here (True: the exact way decides).

    First the cheap case: outside strings every ``:`` ends a key, so when the record holds no
    more colons than parsed keys (none in a value), no key was written twice."""
    if raw.find(b"\\") >= 0:  # faster than ``in`` for a one-byte needle
        return True
    if raw.count(b":") == keys:
        return False
    if _SPACED_KEY.search(raw):
        return True
    return raw.count(b'":') != keys


class Unsure(Exception):
    """A part of a two-core run met what only the exact reader can read: start again alone."""


def records(fh: BinaryIO, end: int, fmt: str, bom: bool,
            progress: Callable[[int], None] | None, *, start: int = 0, line: int = 0,
            until: int | None = None, strict: bool = False,
            fast: Callable[[bytes], Any] | None = None,
            reached: list[int] | None = None) -> Iterator[Record]:  # fmt: skip
    """(line, object, raw) for each record of a JSON (``fmt`` "json") or JSON Lines file.

    ``fast(raw)`` (``jsonstruct.decoder``), when given, is tried first on each record: what it
    returns (not None: a tuple, never a dict) is given as the object, and only when it returns
    None is the record parsed by orjson.

    A part of a two-core run starts at ``start`` (a line, or an element's ``{``), with
    ``line`` lines before it, and an array's first part stops before ``until``; ``strict``
    raises :class:`Unsure` where the exact reader would have to take over. When the records
    run out (JSON Lines) or stop at ``until`` (an array), the line reached is appended to
    ``reached``: the lines read, or the line ``until`` is on."""
    if fmt == "json":
        return _array(fh, end, bom, progress, start, line, until, strict, fast, reached)
    return _lines(fh, end, bom, progress, start, line, strict, fast, reached)


def _read(fh: BinaryIO, pos: int, end: int) -> bytes:
    fh.seek(pos)
    return fh.read(min(BLOCK, end - pos))


def _exact_rest(fh, offset, end, fmt, bom, line, skip, progress, strict=False):
    """The rest of the file the exact way. JSON Lines resume at the line (``line`` lines
    before it); an array is read again from its start, its first ``skip`` elements left out
    (already given), so that every line and column the exact reader reports is its own."""
    if strict:
        raise Unsure
    encoding = "utf-8-sig" if bom and offset == 0 else "utf-8"
    if fmt == "json":
        offset = 0
    text = open_text(fh, offset, end, encoding)
    text.buffer.raw.progress = progress
    items = iter_array(text) if fmt == "json" else iter_lines(text, line)
    for at, obj in items:
        if skip:
            skip -= 1
            continue
        yield at, obj, None


def _lines(fh, end, bom, progress, start, line, strict, fast, reached) -> Iterator[Record]:
    loads, decode_error = orjson.loads, orjson.JSONDecodeError

    def rest(at: int, lines: int) -> Iterator[Record]:
        return _exact_rest(fh, at, end, "jsonl", bom, lines, 0, progress, strict)

    if bom and start == 0 and _read(fh, 0, 3) == _BOM:
        start = 3
    at = read = start  # where the next line starts; where the next block is read
    pending = b""
    while True:
        block = _read(fh, read, end) if read < end else b""
        read += len(block)
        if block:
            pieces = (pending + block).split(b"\n")
            pending = pieces.pop()  # the line the next block goes on with
            if progress is not None:
                progress(read)
        else:
            pieces = [pending] if pending else []
        for raw in pieces:  # a line without its line feed
            cr = raw.find(b"\r")
            if cr >= 0 and cr != len(raw) - 1:  # a CR ending a line of its own: the exact way
                yield from rest(at, line)
                return
            line += 1
            obj = fast(raw) if fast is not None else None
            if obj is None:
                try:
                    obj = loads(raw)
                except decode_error:
                    if not raw.strip(b" \t\r\n"):
                        at += len(raw) + 1
                        continue
                    obj = None
                if type(obj) is not dict:
                    yield from rest(at, line - 1)
                    return
            at += len(raw) + 1
            yield line, obj, raw
        if not block:
            _reach(reached, line)
            return
        if len(pending) > MAX_RECORD_CHARS:  # the exact way tells how long a line may be
            yield from rest(at, line)
            return


def _array(fh, end, bom, progress, start, line, until, strict, fast,
           reached) -> Iterator[Record]:  # fmt: skip
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    buf = _read(fh, start, end)
    offset = start
    if start:
        pos = 0  # an element's "{" found by the two-core run's cut
    else:
        offset = 3 if bom and buf.startswith(_BOM) else 0
        if offset:
            buf = buf[3:]
        opened = _OPEN.match(buf)
        if opened is None:  # not an array of objects, or a first element past the first block
            yield from _exact_rest(fh, 0, end, "json", bom, 1, 0, progress, strict)
            return
        pos = opened.end()
    line, counted, done = line or 1, 0, 0
    eof = offset + len(buf) >= end
    sep, learn = None, True  # the bytes from "}" to "{" between two elements, with a line break
    count, find = bytes.count, bytes.find
    while True:
        if sep is not None:
            # The common case without a regex: the next place the separator learnt from an
            # earlier cut appears. A raw line break is never inside a string, so this is an
            # element's end or an object's inside a list; only a parse of the piece as a whole
            # (one element, nothing more) is trusted. A piece that does not parse is cut again
            # the general way below, and the separator is given up for the rest of the file.
            at = find(buf, sep, pos)
            if at >= 0:
                line += count(buf, b"\n", counted, pos)
                counted = pos
                raw = buf[pos : at + 1]
                obj = fast(raw) if fast is not None else None
                if obj is None:
                    try:
                        obj = loads(raw)
                    except decode_error:  # the separator inside an element: not used again
                        sep, learn = None, False
                        continue
                yield line, obj, raw
                done += 1
                pos = at + len(sep) - 1
                if until is not None and offset + pos >= until:
                    if offset + pos == until:
                        _reach(reached, line + count(buf, b"\n", counted, pos))
                        return
                    raise Unsure
                continue
        cut, scan, tries = None, pos, 0
        while tries <= MAX_CANDIDATES:
            cut = _CUT.search(buf, scan)
            if cut is None:
                break
            stop = cut.start() + 1
            if buf.count(b"{", pos, stop) == buf.count(b"}", pos, stop):
                break
            tries, scan = tries + 1, cut.end() - 1
        if cut is None and not eof and len(buf) - pos <= MAX_RECORD_CHARS:
            line += buf.count(b"\n", counted, pos)
            more = _read(fh, offset + len(buf), end)
            buf, offset, pos, counted = buf[pos:] + more, offset + pos, 0, 0
            eof = offset + len(buf) >= end
            if progress is not None:
                progress(offset + len(buf))
            continue
        line += buf.count(b"\n", counted, pos)
        counted = pos
        after = None
        if cut is not None and tries <= MAX_CANDIDATES:
            after = cut.end() - 1
            if learn and sep is None and b"\n" in buf[stop:after]:
                sep = buf[stop - 1 : after + 1]
        else:
            last = _LAST.search(buf, pos) if eof and cut is None else None
            if last is None:
                yield from _exact_rest(fh, 0, end, "json", bom, line, done, progress, strict)
                return
            stop = last.start() + 1
        raw = buf[pos:stop]
        obj = fast(raw) if fast is not None else None
        if obj is None:
            try:
                obj = loads(raw)
            except decode_error:
                yield from _exact_rest(fh, 0, end, "json", bom, line, done, progress, strict)
                return
        yield line, obj, raw
        done += 1
        if after is None:
            if until is not None:
                raise Unsure
            return
        pos = after
        if until is not None and offset + pos >= until:
            if offset + pos == until:
                _reach(reached, line + count(buf, b"\n", counted, pos))
                return
            raise Unsure


def _reach(reached: list[int] | None, line: int) -> None:
    if reached is not None:
        reached.append(line)
