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
