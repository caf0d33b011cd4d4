"""The items of shared/spec/bad-inputs.md as data: bytes, a file name, the channels each applies
to, and the outcome expected (issue codes of the report, or the channel's refusal code).

``expect`` maps a channel (or ``"*"`` for every other) to codes that must all be among the
outcome's codes: report issue codes (``F_EMPTY``…), ``accepted`` for a file that passes, error
queue codes of refusals (``folder_not_text``, ``zip``…) and API error codes (``too_large``…).
A code ``text:…`` asks for that Japanese text among what the sender was shown.
"""

from __future__ import annotations

import bz2
import csv
import functools
import gzip
import io
import json
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

from uploads.lib.validation import samples

ALL = ("web", "api", "folder", "mail", "media")
MIB = 1024 * 1024


@dataclass(frozen=True)
class Item:
    id: str
    data: Callable[[], bytes]
    expect: dict[str, tuple[str, ...]]
    name: str = "data.csv"
    channels: tuple[str, ...] = ALL
    not_applicable: dict[str, str] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    driver: dict[str, Callable] = field(default_factory=dict)  # channel → custom driver

    def expected(self, channel: str) -> tuple[str, ...]:
        return self.expect.get(channel, self.expect.get("*", ()))


# -- building blocks --------------------------------------------------------------------------


def records(n: int = 2) -> list[dict]:
    return samples.records(n, seed=7)


def table(n: int = 2) -> tuple[list[str], list[list[str]]]:
    text = "".join(samples.csv_text(records(n)))
    header, *rows = list(csv.reader(io.StringIO(text)))
    return header, rows


def emit(
    header: list[str],
    rows: list[list[str]],
    *,
    encoding: str = "utf-8",
    newline: str = "\r\n",
    delimiter: str = ",",
) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator=newline, delimiter=delimiter).writerows([header, *rows])
    return out.getvalue().encode(encoding)


def cell(column: str, value: str, *, encoding: str = "utf-8", row: int = 0) -> Callable:
    """A valid two-record CSV whose ``column`` in record ``row`` holds ``value``."""

    def build() -> bytes:
        header, rows = table()
        rows[row][header.index(column)] = value
        return emit(header, rows, encoding=encoding)

    return build


def cells(changes: dict[str, str], *, encoding: str = "utf-8") -> Callable:
    def build() -> bytes:
        header, rows = table()
        for column, value in changes.items():
            rows[0][header.index(column)] = value
        return emit(header, rows, encoding=encoding)

    return build


def valid_csv(encoding: str = "utf-8", **kwargs) -> Callable:
    return lambda: emit(*table(), encoding=encoding, **kwargs)


def json_doc(mutate: Callable[[list[dict]], object] | None = None, *, lines=False) -> Callable:
    def build() -> bytes:
        recs = records()
        doc = mutate(recs) if mutate else recs
        if lines:
            return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in doc).encode()
        return json.dumps(doc if doc is not None else recs, ensure_ascii=False).encode()

    return build


def json_set(path: str, value) -> Callable:
    def mutate(recs):
        samples._set(recs[0], path, value)
        return recs

    return json_doc(mutate)


def raw(data: bytes) -> Callable:
    return lambda: data


def header_line() -> str:
    return ",".join(table()[0])


def zip_of(entries: list[tuple[str, bytes]], *, compression=zipfile.ZIP_DEFLATED, **kw) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression, **kw) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            archive.writestr(info, data)
    return buffer.getvalue()


@functools.cache
def flat_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("big.csv", "w", force_zip64=True) as entry:
            block = b"0" * MIB
            for _ in range(64):  # 64 MiB of zeros in about 64 KB: the shape of a 10 GB bomb
                entry.write(block)
    return buffer.getvalue()


def nested_bomb() -> bytes:
    data = zip_of([("0.csv", b"0" * MIB)])
    for level in range(5):  # 42.zip style: zips of zips
        data = zip_of([(f"{level}-{n}.zip", data) for n in range(4)])
    return data


@functools.cache
def many_entries() -> bytes:
    return zip_of([(f"{n}.csv", b"") for n in range(100_000)], compression=zipfile.ZIP_STORED)


def header_lie() -> bytes:
    """A ZIP whose local header claims 1 KB for an entry that expands much further."""
    data = bytearray(zip_of([("x.csv", b"0" * (4 * MIB))]))
    data[22:26] = (1024).to_bytes(4, "little")  # uncompressed size in the local header
    return bytes(data)


def overlapping() -> bytes:
    data = bytearray(zip_of([("a.csv", b"a" * 100), ("b.csv", b"b" * 100)]))
    central = data.rfind(b"PK\x01\x02")
    data[central + 42 : central + 46] = (0).to_bytes(4, "little")  # b.csv points at a.csv
    return bytes(data)


def zip_slip() -> bytes:
    names = ["../../x.csv", "/etc/x.csv", "C:\\x.csv", "..\\..\\x.csv"]
    return zip_of([(name, b"a,b\r\n") for name in names])


def zip_links() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        link = zipfile.ZipInfo("link.csv")
        link.external_attr = (0o120777 << 16) | 0x20  # a symlink entry
        archive.writestr(link, "/etc/shadow")
        archive.writestr("dup.csv", "1")
        archive.writestr("dup.csv", "2")  # duplicate entry names
    return buffer.getvalue()


def zip_cp932_name() -> bytes:
    data = bytearray(zip_of([("xxxx.csv", b"a")]))
    name = "表.csv".encode("cp932")  # 0x95 0x5C: a 0x5C trailing byte, no UTF-8 flag
    return bytes(data).replace(b"xxxx.csv", name + b"\x00" * (8 - len(name)), 2)


def ppap() -> bytes:
    data = bytearray(zip_of([("data.csv", b"a,b\r\n")]))
    data[6] |= 0x01  # the encryption flag, in the local header
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 0x01
    return bytes(data)


def zip64() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", allowZip64=True) as archive:
        with archive.open("big.csv", "w", force_zip64=True) as entry:
            entry.write(b"a,b\r\n")
    return buffer.getvalue()


def tar_devices() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, kind in (("null", tarfile.CHRTYPE), ("sda", tarfile.BLKTYPE)):
            info = tarfile.TarInfo(name)
            info.type, info.devmajor, info.devminor = kind, 1, 3
            archive.addfile(info)
    return buffer.getvalue()


def xlsx() -> bytes:
    return zip_of([("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<workbook/>")])


def sized(size: int) -> Callable:
    """A valid CSV padded with blank lines (skipped, not records) to exactly ``size`` bytes."""

    def build() -> bytes:
        data = valid_csv()()
        return data + b"\n" * (size - len(data))

    return build


def at_limit() -> bytes:
    return sized(MIB)()


def over_limit() -> bytes:
    return sized(MIB + 1)()


NOT_TEXT = {"*": ("F_NOT_TEXT",), "folder": ("folder_not_text",)}
ACCEPTED = {"*": ("accepted",)}


def codes(*names: str) -> dict[str, tuple[str, ...]]:
    return {"*": names}


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def bz(data: bytes) -> bytes:
    return bz2.compress(data)
