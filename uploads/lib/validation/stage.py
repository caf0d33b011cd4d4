"""Accepted records written straight to files, ready for PostgreSQL's ``COPY … FROM STDIN``.

A caller that keeps the records (the console's test store) passes a :class:`StageSpec` instead of
an ``on_record`` callback: each process that validates a part of the file (the main process and,
for a large CSV, the worker process) writes its own files, so records never have to travel back
between processes. Lines are in COPY's text format, tab-separated:

- ``records-<part>-<bucket>.copy``: integration id, key (fields joined with U+001F), key digest
  (signed 64-bit BLAKE2b of the key, ``uploads.lib.keyindex.key_digest``), fingerprint, the values
  as compact JSON without absent values (or ``\\N``, see ``unchanged_values``), submission id,
  line hash (``tally.line_hasher``; ``\\N`` unless the fast path read the record from a CSV line
  or a JSON element); one
  line per record that is not a delete;
- ``deletes-<part>.copy``: the key and key digest of each delete record (diff files), then ``t``;
- ``seen-<part>.bin`` (``omit_unchanged``): the positions in the store's index (``uint32``) of
  the stored records this part's records matched; records found unchanged are not staged at all.

The files of part 0 hold the first rows of the file, part 1 the rest; within a file, file order.
Records are spread over 256 buckets by the top byte of their stored key hash: copied bucket after
bucket (``record_files``), they reach the store's primary key, which leads with the digest, one
narrow range at a time, instead of all over it (a third less server time at a million records).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Any, TextIO

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_UNESCAPE = re.compile(r"\\(.)")
_UNESCAPED = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}
BUFFER = 1 << 20
_FIRST8 = itemgetter(slice(0, 8))
_NULL = "\\N"  # COPY's null


def escape(text: str) -> str:
    """A value in COPY's text format."""
    return text.translate(_ESCAPES) if _SPECIAL.search(text) else text


def unescape(field: str) -> str | None:
    if field == "\\N":
        return None
    if "\\" not in field:
        return field
    return _UNESCAPE.sub(lambda m: _UNESCAPED.get(m.group(1), m.group(1)), field)


def values_json(values: dict[str, Any]) -> str:
    """The stored form of a record's values: compact JSON, absent values left out."""
    return _dumps({k: v for k, v in values.items() if v is not None})


def sealed_key(secret: bytes, text: str) -> str:
    """A stored key: the HMAC-SHA256 of the key's text, in hex."""
    mac = _MACS.get(secret) or _mac(secret)
    return mac(text.encode("utf-8", "surrogatepass")).hex()


def sealed_digest(secret: bytes, digest: bytes) -> int:
    """A stored key hash: the first 8 bytes of the HMAC-SHA256 of the engine's digest, signed."""
    mac = _MACS.get(secret) or _mac(secret)
    return int.from_bytes(mac(digest)[:8], "big", signed=True)


_MACS: dict = {}


def _mac(secret: bytes):
    """HMAC-SHA256 under ``secret`` (RFC 2104) from hash states keyed once: the same bytes as
    ``hmac.digest``, in half its time (which sets up the key again for each message)."""
    block = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
    block = block.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in block)).copy
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in block)).copy

    def mac(data: bytes) -> bytes:
        state = inner()
        state.update(data)
        result = outer()
        result.update(state.digest())
        return result.digest()

    if len(_MACS) < 8:
        _MACS[secret] = mac
    return mac


@dataclass(frozen=True)
class StageSpec:
    """Where (a private directory) and for which integration and submission to stage records."""

    directory: str
    integration_id: int = 0
    submission_id: int = 0
    # False: a record the store holds unchanged (same fingerprint, full mode) is staged with
    # ``\N`` for its values, which the store already has; the caller must then make sure the
    # store did not change since it was read before relying on that.
    unchanged_values: bool = True
    # Set: nothing personal is staged (issue 17.2): the key becomes its HMAC, the key hash the HMAC
    # of the digest (``sealed_key``, ``sealed_digest``), the values ``{}``.
    secret: bytes = b""
    # True (with ``unchanged_values=False``): a record the store holds unchanged is not staged;
    # only its position in the store's index (``KeyIndex.locate``) goes to ``seen-<part>.bin``,
    # so the caller can tell which stored records the file no longer holds.
    omit_unchanged: bool = False

    def seen_path(self, part: int) -> Path:
        return Path(self.directory, f"seen-{part}.bin")

    def seen(self) -> array:
        """The index positions every part's records matched (``omit_unchanged``)."""
        found = array("I")
        for part in self.parts():
            path = self.seen_path(part)
            if path.exists():
                found.frombytes(path.read_bytes())
        return found

    def records_path(self, part: int, bucket: int) -> Path:
        return Path(self.directory, f"records-{part}-{bucket:03d}.copy")

    def deletes_path(self, part: int) -> Path:
        return Path(self.directory, f"deletes-{part}.copy")

    def parts(self) -> list[int]:
        return sorted(int(p.stem.split("-")[1]) for p in Path(self.directory).glob("deletes-*"))

    def record_files(self) -> list[Path]:
        """The records files in the order to copy them: by bucket, then by part."""
        found = Path(self.directory).glob("records-*-*.copy")
        return sorted(found, key=lambda p: [int(n) for n in reversed(p.stem.split("-")[1:])])

    def remove(self, part: int) -> None:
        paths = [self.deletes_path(part), self.seen_path(part)]
        for path in [*paths, *Path(self.directory).glob(f"records-{part}-*")]:
            path.unlink(missing_ok=True)

    def writer(self, part: int) -> StageWriter:
        return StageWriter(self, part)


class StageWriter:
    """The record files of one part, written in large blocks."""

    def __init__(self, spec: StageSpec, part: int):
        self.spec, self.part = spec, part
        self.prefix = f"{spec.integration_id}\t"
        self.suffix = f"\t{spec.submission_id}\t"
        self.written = 0
        self.skip_unchanged = not spec.unchanged_values
        self.omit_unchanged = spec.omit_unchanged and self.skip_unchanged
        self.secret = spec.secret
        self.mac = (_MACS.get(spec.secret) or _mac(spec.secret)) if spec.secret else None
        self._open()

    def _open(self) -> None:
        self.positions = array("I")  # index positions of matched stored records
        self.matched = self.positions.append
        self.matched_many = self.positions.extend
        self.records: list[TextIO | None] = [None] * 256  # by bucket, opened when first needed
        self.deletes = open(self.spec.deletes_path(self.part), "w", encoding="utf-8",  # noqa: SIM115
                            newline="", buffering=1 << 16)  # fmt: skip

    def record(self, key_text: str, digest: bytes, fingerprint: str, values: dict,
               unchanged: bool = False) -> None:  # fmt: skip
        if unchanged and self.skip_unchanged:
            document = None
        else:
            document = "{}" if self.secret else values_json(values)
        self.record_json(key_text, digest, fingerprint, document)

    def record_json(self, key_text: str, digest: bytes, fingerprint: str,
                    document: str | None, number: int | None = None,
                    line: int | None = None) -> None:  # fmt: skip
        """A record with its values as ``values_json`` gives them (None: not staged).
        ``number``: its stored key hash when the caller has it already (``KeyIndex.locate``);
        ``line``: the hash of the CSV line or JSON element it was read from (``line_hasher``)."""
        end = "\\N\n" if line is None else f"{line}\n"
        if self.secret:  # hex and ``{}``: nothing to escape
            mac = self.mac
            if number is None:
                number = int.from_bytes(mac(digest)[:8], "big", signed=True)
            sealed = mac(key_text.encode("utf-8", "surrogatepass")).hex()
            vals = "\\N" if document is None else "{}"
            bucket = (number >> 56) + 128  # the stored hash's top byte, in signed order
            out = self.records[bucket] or self._bucket(bucket)
            out.write(f"{self.prefix}{sealed}\t{number}\t{fingerprint}\t{vals}{self.suffix}{end}")
            self.written += 1
            return
        if number is None:
            number = int.from_bytes(digest, "big", signed=True)
        if document is None:
            vals = "\\N"
        elif "\\" in document:
            vals = document.replace("\\", "\\\\")  # JSON escapes every control character
        else:
            vals = document
        if _SPECIAL.search(key_text):
            key_text = key_text.translate(_ESCAPES)
        bucket = (number >> 56) + 128  # the stored hash's top byte, in signed order
        out = self.records[bucket] or self._bucket(bucket)
        out.write(f"{self.prefix}{key_text}\t{number}\t{fingerprint}\t{vals}{self.suffix}{end}")
        self.written += 1

    def record_many(self, keys: Sequence[str], digests: Sequence[bytes],
                    fingerprints: Sequence[str], documents: Sequence[str] | None,
                    lines: Sequence[int | None]) -> None:  # fmt: skip
        """:meth:`record_json` for many records; ``documents`` None in a sealed stage (the
        values kept as ``{}``), whose keys and key hashes are then sealed by map()."""
        if documents is not None:
            rows = zip(keys, digests, fingerprints, documents, lines, strict=True)
            for key, digest, fp, document, line in rows:
                self.record_json(key, digest, fp, document, line=line)
            return
        mac = self.mac
        numbers = array("q")
        numbers.frombytes(b"".join(map(_FIRST8, map(mac, digests))))
        if sys.byteorder == "little":
            numbers.byteswap()
        encoded = map(str.encode, keys, repeat("utf-8"), repeat("surrogatepass"))
        sealed = map(bytes.hex, map(mac, encoded))
        prefix, middle, records = self.prefix, f"\t{{}}{self.suffix}", self.records
        for number, key, fp, line in zip(numbers, sealed, fingerprints, lines, strict=True):
            bucket = (number >> 56) + 128  # the stored hash's top byte, in signed order
            out = records[bucket] or self._bucket(bucket)
            out.write(f"{prefix}{key}\t{number}\t{fp}{middle}{_NULL if line is None else line}\n")
        self.written += len(keys)

    @property
    def count(self) -> int:
        """Records staged or matched so far."""
        return self.written + len(self.positions)

    def _bucket(self, bucket: int) -> TextIO:
        path = self.spec.records_path(self.part, bucket)
        out = open(path, "w", encoding="utf-8", newline="", buffering=1 << 15)  # noqa: SIM115
        self.records[bucket] = out
        return out

    def delete(self, key_text: str, digest: bytes) -> None:
        if self.secret:
            key_text = sealed_key(self.secret, key_text)
            number = sealed_digest(self.secret, digest)
        else:
            number = int.from_bytes(digest, "big", signed=True)
        self.deletes.write(f"{escape(key_text)}\t{number}\tt\n")
        self.written += 1

    def reset(self) -> None:
        """Forget everything written (a parallel run that falls back starts again)."""
        self.close()
        self.spec.remove(self.part)
        self.written = 0
        self._open()

    def close(self) -> None:
        if self.omit_unchanged:
            with open(self.spec.seen_path(self.part), "wb") as fh:
                self.positions.tofile(fh)
        for records in self.records:
            if records is not None:
                records.close()
        self.deletes.close()


def read_blocks(path: str | os.PathLike, size: int = BUFFER) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while block := fh.read(size):
            yield block


def read_rows(path: str | os.PathLike) -> Iterator[list[str | None]]:
    """The rows of a staged file, unescaped (for databases without COPY)."""
    with open(path, encoding="utf-8", newline="\n") as fh:
        for line in fh:
            yield [unescape(field) for field in line.rstrip("\n").split("\t")]
