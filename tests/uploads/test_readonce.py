"""A file read once: what is behind the reader leaves the page cache (uploads.lib.readonce)."""

import os

import pytest

from uploads.lib import readonce
from uploads.lib.validation import samples, validate_file

pytestmark = pytest.mark.skipif(not hasattr(os, "posix_fadvise"), reason="POSIX only")


@pytest.fixture
def advised(monkeypatch):
    monkeypatch.setattr(readonce, "DROP_EVERY", 1000)
    calls = []
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, at, length, advice: calls.append(
        (at, at + length, advice)))  # fmt: skip
    return calls


def test_the_bytes_are_those_of_the_file_and_what_was_read_is_dropped_behind(tmp_path, advised):
    data = os.urandom(10_000)
    (tmp_path / "f").write_bytes(data)
    with readonce.open_read_once(tmp_path / "f") as fh:
        assert fh.read(300) == data[:300]  # a small read fills the 8 KB buffer
        assert advised == [(0, 8192, os.POSIX_FADV_DONTNEED)]
        assert fh.read(1500) == data[300:1800]
        assert fh.read() == data[1800:]
    assert advised[0] == (0, 8192, os.POSIX_FADV_DONTNEED)
    assert all(advice == os.POSIX_FADV_DONTNEED for _, _, advice in advised)
    ranges = [(start, end) for start, end, _ in advised]
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))  # consecutive


def test_a_reader_that_goes_back_reads_the_same_bytes_and_drops_again_from_there(tmp_path, advised):
    data = os.urandom(50_000)
    (tmp_path / "f").write_bytes(data)
    with readonce.open_read_once(tmp_path / "f") as fh:
        fh.seek(40_000)
        assert fh.read(5000) == data[40_000:45_000]
        fh.seek(100)
        assert fh.read(20_000) == data[100:20_100]
    # What it read (with the buffer's read-ahead), never the part before it that it skipped;
    # then from where it went back to.
    assert advised[0][0] == 40_000 and 45_000 <= advised[0][1] < 50_000
    assert advised[1][0] == 100 and advised[-1][1] >= 20_100


def test_a_small_file_stays_in_the_page_cache(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "posix_fadvise", lambda *args: calls.append(args))
    (tmp_path / "f").write_bytes(b"x" * 4096)
    with readonce.open_read_once(tmp_path / "f") as fh:
        assert fh.read() == b"x" * 4096
    assert calls == []


@pytest.mark.parametrize("workers", [1, 2])
def test_the_engine_reads_a_received_file_once_with_the_same_report(tmp_path, advised, workers):
    """A file given by its path with ``read_once`` (a received file, processing) is read
    through readonce, and its report does not change; without it, nothing is dropped."""
    path = tmp_path / "in.csv"
    path.write_bytes(samples.csv_bytes(samples.records(200)))
    report = validate_file(path, municipality_code="131016", workers=workers)
    assert advised == []
    assert validate_file(path, municipality_code="131016", workers=workers,
                         read_once=True) == report  # fmt: skip
    assert report.rows == 200
    # Read from the start after the end-of-file check (one byte, nothing dropped for it); on
    # two cores this process reads the first part (the worker drops the rest in its own).
    assert advised and advised[0][0] == 0
    if workers == 1:
        assert advised[-1][1] == path.stat().st_size
    else:
        assert advised[-1][1] < path.stat().st_size
