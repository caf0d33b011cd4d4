"""Received files on disk: streamed in while hashing, kept unchanged, verified when read."""

from __future__ import annotations

import ctypes
import hashlib
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

from uploads.lib.readonce import open_read_once

CHUNK = 1 << 20
WRITEBACK = 32 << 20  # bytes written between two requests to start writing them to disk
VERIFY_CHUNK = 8 << 20  # read back in few reads, each of which waits for the GIL after it
_SYNC_FILE_RANGE_WAIT_BEFORE, _SYNC_FILE_RANGE_WRITE, _SYNC_FILE_RANGE_WAIT_AFTER = 1, 2, 4


class TooLarge(Exception):
    """The stream went past the size limit; nothing was kept."""

    def __init__(self, limit: int):
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


class Corrupted(Exception):
    """A stored file is missing (``missing``) or its bytes no longer match the recorded SHA-256.
    The message names the file and the hashes, for the log."""

    def __init__(self, message: str, *, missing: bool = False):
        super().__init__(message)
        self.missing = missing


def receive_stream(stream: BinaryIO, directory: Path, *, max_bytes: int) -> tuple[Path, int, str]:
    """Copy ``stream`` into a temporary file under ``directory``: (path, size, sha256 hex).

    Never holds more than one chunk in memory; stops and removes the file once the stream is
    longer than ``max_bytes``.
    """
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, name = tempfile.mkstemp(prefix=".incoming-", dir=directory)
    path = Path(name)
    # Each chunk is hashed on a second thread while it is written (hashlib and the write both
    # let go of the GIL): a 900 MB body is on disk half a second sooner. Every WRITEBACK bytes
    # the kernel is asked to start writing what it has (without waiting), so the disk works
    # while the body still arrives and the final fsync waits only for the tail: otherwise the
    # whole body is written then (a 900 MB body: 0.9 s instead of 1.2 s, and never the 2–3 s
    # seen when other writes were queued before it). The window before, on disk by then, leaves
    # the page cache (:func:`release_written`).
    hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="receive-sha256")
    try:
        with os.fdopen(fd, "wb") as out:
            pending = None
            started = 0
            previous = None
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(max_bytes)
                if pending is not None:
                    pending.result()
                pending = hashing.submit(digest.update, chunk)
                out.write(chunk)
                if size - started >= WRITEBACK:
                    out.flush()
                    start_writeback(out.fileno(), started, size - started)
                    if previous is not None:
                        release_written(out.fileno(), *previous)
                    previous = (started, size - started)
                    started = size
            if pending is not None:
                pending.result()
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        hashing.shutdown(wait=True)
    return path, size, digest.hexdigest()


def start_writeback(fd: int, offset: int, length: int) -> None:
    """Ask the kernel to start writing a range of a file to disk, without waiting for it
    (Linux ``sync_file_range``; elsewhere nothing: the final fsync writes it all)."""
    if _sync_file_range is not None:
        _sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


def release_written(fd: int, offset: int, length: int) -> None:
    """Wait until a range whose writing was started is on disk, then drop it from the page
    cache (Linux; elsewhere nothing).

    A large body is read once more, by the check of its SHA-256 and by validation, each a
    sequential read that the disk serves at its full pace with read-ahead; kept in the page
    cache it would push out what the database reads all day. It also keeps the memory the
    kernel copies the body into recycled: on a virtual machine, memory the guest has not
    touched before costs a fault in the host on first use (here writing a 900 MB body into such
    memory took 2.2 s, into just freed memory 0.3 s). And the check reads the bytes from the
    disk, not from the copy in memory that was written."""
    if _sync_file_range is None or not hasattr(os, "posix_fadvise"):
        return
    flags = _SYNC_FILE_RANGE_WAIT_BEFORE | _SYNC_FILE_RANGE_WRITE | _SYNC_FILE_RANGE_WAIT_AFTER
    if _sync_file_range(fd, offset, length, flags) == 0:
        os.posix_fadvise(fd, offset, length, os.POSIX_FADV_DONTNEED)


def _libc_sync_file_range():
    if not sys.platform.startswith("linux"):
        return None
    function = getattr(ctypes.CDLL(None, use_errno=True), "sync_file_range", None)
    if function is not None:
        function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
        function.restype = ctypes.c_int
    return function


_sync_file_range = _libc_sync_file_range()


def keep(incoming: Path, final: Path) -> None:
    """Move a received file to its final name (read-only); same bytes already there: drop it."""
    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists():
        incoming.unlink()
        return
    os.chmod(incoming, 0o440)
    os.replace(incoming, final)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read once (:mod:`uploads.lib.readonce`: a large file leaves the
    page cache behind the reader, and validation reads it from the disk again)."""
    digest = hashlib.sha256()
    with open_read_once(path) as fh:
        while chunk := fh.read(VERIFY_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, sha256: str) -> None:
    if not path.is_file():
        raise Corrupted(f"{path.name}: missing", missing=True)
    actual = file_sha256(path)
    if actual != sha256:
        raise Corrupted(f"{path.name}: SHA-256 {actual} does not match {sha256}")
