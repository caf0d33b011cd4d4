"""Cutting a large CSV in two at a record boundary, so that two cores convert it.

In UTF-8 and CP932 the byte 0x22 is always a quote character, and in a well-formed CSV a line
break lies outside every quoted field exactly when the count of quotes before it is even. A
malformed file is reported by whichever half meets the broken quote.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from typing import BinaryIO

MIN_PARALLEL_BYTES = 16 << 20
SCAN_BLOCK = 4 << 20
MAX_SEARCH = 64 << 20  # give up on a cut after this much past the middle (one huge quoted field)


@dataclass(frozen=True)
class Cut:
    offset: int  # first byte of the second half, just after a line break
    lines_before: int  # physical lines in the first half


def find_cut(path: str | os.PathLike, size: int) -> Cut | None:
    """A record boundary near the middle of the file, or None when none is found quickly."""
    middle = size // 2
    quotes = lines = done = 0
    with open(path, "rb") as fh:
        while done < middle:
            block = fh.read(min(SCAN_BLOCK, middle - done))
            quotes += block.count(b'"')
            lines += block.count(b"\n")
            done += len(block)
        while done < middle + MAX_SEARCH:
            block = fh.read(SCAN_BLOCK)
            if not block:
                return None
            at = _even_line_break(block, quotes)
            if at is not None:
                return Cut(done + at + 1, lines + block.count(b"\n", 0, at + 1))
            quotes += block.count(b'"')
            lines += block.count(b"\n")
            done += len(block)
    return None


def _even_line_break(block: bytes, quotes: int) -> int | None:
    start = 0
    while (at := block.find(b"\n", start)) >= 0:
        if (quotes + block.count(b'"', 0, at)) % 2 == 0:
            return at
        start = at + 1
    return None


class Range(io.RawIOBase):
    """Bytes ``start``..``end`` of a binary file, as a seekable file of its own."""

    def __init__(self, fh: BinaryIO, start: int, end: int):
        self.fh, self.start, self.end, self.pos = fh, start, end, start

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: self.start, io.SEEK_CUR: self.pos, io.SEEK_END: self.end}[whence]
        self.pos = min(max(base + offset, self.start), self.end)
        return self.pos - self.start

    def tell(self) -> int:
        return self.pos - self.start

    def readinto(self, buffer) -> int:
        size = min(len(buffer), self.end - self.pos)
        if size <= 0:
            return 0
        self.fh.seek(self.pos)
        data = self.fh.read(size)
        buffer[: len(data)] = data
        self.pos += len(data)
        return len(data)
