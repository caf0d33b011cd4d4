"""Opening a large file that is read once, front to back: what has been read leaves the page
cache behind the reader.

A received file is validated once per attempt; kept in the page cache, a gigabyte body would
push out what the database reads all day, and the memory it takes is new memory each time (on a
virtual machine, memory the guest has not touched before costs a fault in the host on first use:
reading a 900 MB file into such memory took 2 s here, into memory just freed 0.6 s). Dropped
ranges are read from the disk again if a reader goes back (the exact reader after the fast one),
which the disk's read-ahead serves at its full pace.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable

DROP_EVERY = 32 << 20  # bytes read between two requests to drop what is behind the reader


class DropBehind(io.FileIO):
    """A file opened for reading whose pages, once read past, are dropped from the page cache
    (``posix_fadvise(DONTNEED)``, every :data:`DROP_EVERY` bytes read in a row; where there is no
    ``posix_fadvise`` and from a file smaller than that, nothing is dropped). Two processes may
    read two parts of one file this way: each drops only what it read."""

    def __init__(self, path):
        super().__init__(path, "rb")
        self._dropped = 0  # where the bytes read and not dropped yet start
        self._end = 0  # where the last read ended

    def readinto(self, buffer) -> int | None:
        start = self.tell()
        count = super().readinto(buffer)
        if count:
            self._read(start, start + count)
        return count

    def _read(self, start: int, end: int) -> None:
        """Bytes ``start``..``end`` were read. Only what was read is dropped: a reader that
        moved (back, or on to another part) drops from where it reads now."""
        if start != self._end:
            self._dropped = start
        self._end = end
        if end - self._dropped >= DROP_EVERY and hasattr(os, "posix_fadvise"):
            os.posix_fadvise(self.fileno(), self._dropped, end - self._dropped,
                             os.POSIX_FADV_DONTNEED)  # fmt: skip
            self._dropped = end


def open_read_once(path) -> io.BufferedReader:
    """``open(path, "rb")`` for a file read once, front to back (see the module)."""
    return io.BufferedReader(DropBehind(path), io.DEFAULT_BUFFER_SIZE)


def open_binary(path) -> io.BufferedReader:
    """``open(path, "rb")``: a file that may well be read again (left in the page cache)."""
    return open(path, "rb")  # noqa: SIM115 (the caller closes it)


def opener(read_once: bool) -> Callable[..., io.BufferedReader]:
    """How to open a file for reading: :func:`open_read_once` or :func:`open_binary` (module
    functions, so that a worker process can be handed one)."""
    return open_read_once if read_once else open_binary
