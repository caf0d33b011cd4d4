"""Receiving a stream: the bytes on disk and their SHA-256, hashed beside the writes."""

import hashlib
import io
import os
import threading

import pytest

from uploads.lib import storage


def test_many_chunks_are_written_and_hashed_in_order(tmp_path):
    data = os.urandom(storage.CHUNK * 5 + 12345)
    threads = threading.active_count()
    path, size, sha256 = storage.receive_stream(io.BytesIO(data), tmp_path, max_bytes=len(data))
    assert size == len(data)
    assert path.read_bytes() == data
    assert sha256 == hashlib.sha256(data).hexdigest()
    assert threading.active_count() == threads  # the hashing thread is gone (fork stays safe)


def test_an_empty_stream_is_the_empty_file(tmp_path):
    path, size, sha256 = storage.receive_stream(io.BytesIO(b""), tmp_path, max_bytes=10)
    assert (size, path.read_bytes(), sha256) == (0, b"", hashlib.sha256(b"").hexdigest())


def test_over_the_limit_nothing_is_kept(tmp_path):
    data = b"x" * (storage.CHUNK * 3)
    threads = threading.active_count()
    with pytest.raises(storage.TooLarge):
        storage.receive_stream(io.BytesIO(data), tmp_path, max_bytes=storage.CHUNK * 2)
    assert list(tmp_path.iterdir()) == []
    assert threading.active_count() == threads


def test_a_failing_stream_leaves_no_file(tmp_path):
    class Broken(io.RawIOBase):
        def __init__(self):
            self.reads = 0

        def read(self, size=-1):
            self.reads += 1
            if self.reads == 3:
                raise ConnectionResetError("client went away")
            return b"y" * size

    with pytest.raises(ConnectionResetError):
        storage.receive_stream(Broken(), tmp_path, max_bytes=1 << 40)
    assert list(tmp_path.iterdir()) == []


def test_the_disk_is_asked_to_write_each_window_while_the_body_still_arrives(tmp_path, monkeypatch):
    """Every WRITEBACK bytes, the range written since the last request (consecutive, already
    handed to the kernel); the tail is left to the final fsync."""
    monkeypatch.setattr(storage, "WRITEBACK", storage.CHUNK * 2)
    requests = []
    real = storage.start_writeback

    def recorded(fd, offset, length):
        requests.append((offset, length, os.fstat(fd).st_size))
        real(fd, offset, length)  # the system call itself, on this file

    monkeypatch.setattr(storage, "start_writeback", recorded)
    data = os.urandom(storage.CHUNK * 5 + 7)
    path, size, sha256 = storage.receive_stream(io.BytesIO(data), tmp_path, max_bytes=len(data))
    two = storage.CHUNK * 2
    assert [(offset, length) for offset, length, _ in requests] == [(0, two), (two, two)]
    assert all(on_disk >= offset + length for offset, length, on_disk in requests)
    assert path.read_bytes() == data and sha256 == hashlib.sha256(data).hexdigest()


def test_each_window_leaves_the_page_cache_once_the_next_one_is_being_written(
    tmp_path, monkeypatch
):
    """The window before the one just handed to the disk is waited for and dropped; the last
    two (still being written, and the tail) stay for the fsync."""
    monkeypatch.setattr(storage, "WRITEBACK", storage.CHUNK * 2)
    released = []
    real = storage.release_written

    def recorded(fd, offset, length):
        released.append((offset, length))
        real(fd, offset, length)  # the system calls themselves, on this file

    monkeypatch.setattr(storage, "release_written", recorded)
    data = os.urandom(storage.CHUNK * 7 + 7)
    path, size, sha256 = storage.receive_stream(io.BytesIO(data), tmp_path, max_bytes=len(data))
    two = storage.CHUNK * 2
    assert released == [(0, two), (two, two)]
    assert path.read_bytes() == data and sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="posix_fadvise is POSIX's")
def test_released_ranges_are_on_disk_and_asked_out_of_the_cache(tmp_path, monkeypatch):
    advised = []
    monkeypatch.setattr(os, "posix_fadvise", lambda *args: advised.append(args))
    with open(tmp_path / "f", "wb") as out:
        out.write(b"z" * 8192)
        out.flush()
        storage.release_written(out.fileno(), 0, 8192)
        assert advised == [(out.fileno(), 0, 8192, os.POSIX_FADV_DONTNEED)]
        storage.release_written(-1, 0, 8192)  # a failed wait: nothing is dropped
    assert advised[1:] == []
    assert (tmp_path / "f").read_bytes() == b"z" * 8192


def test_a_stored_file_is_hashed_in_large_reads_and_left_out_of_the_cache(tmp_path, monkeypatch):
    """The check reads the file once (readonce): what it read leaves the page cache."""
    from uploads.lib import readonce

    monkeypatch.setattr(readonce, "DROP_EVERY", 1 << 20)
    advised = []
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, at, length, advice: advised.append(
        (at, length, advice)))  # fmt: skip
    data = os.urandom(storage.VERIFY_CHUNK * 2 + 99)
    (tmp_path / "f").write_bytes(data)
    assert storage.file_sha256(tmp_path / "f") == hashlib.sha256(data).hexdigest()
    chunk = storage.VERIFY_CHUNK
    assert advised == [(0, chunk, os.POSIX_FADV_DONTNEED), (chunk, chunk, os.POSIX_FADV_DONTNEED)]


@pytest.mark.skipif(not os.uname().sysname == "Linux", reason="sync_file_range is Linux's")
def test_writeback_is_the_linux_system_call(tmp_path):
    assert storage._sync_file_range is not None
    with open(tmp_path / "f", "wb") as out:
        out.write(b"z" * 4096)
        out.flush()
        assert storage._sync_file_range(out.fileno(), 0, 4096, 2) == 0
        assert storage._sync_file_range(-1, 0, 4096, 2) == -1  # a bad descriptor: an error
