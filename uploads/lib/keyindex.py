"""A compact, read-only copy of a test store's fingerprints for the validation engine.

A million stored records take about 32 MB here (8-byte key hash, 16-byte fingerprint, 8-byte
line hash) instead of hundreds of MB as a dict of tuples. Lookups bisect a sorted array. Two keys
sharing a 64-bit hash (about 3×10⁻⁸ at a million keys) could only skew the report's counts; the
store itself is changed by exact keys in SQL. The stored records' line hashes (the keyed hash
of the CSV line or JSON element that gives each record's values, ``tally.line_hasher``) are
looked up through a dict to their positions (about 110 MB more at a million, built only for a
full file compared by position): a line found there is that record unchanged, without reading
its values.

With a secret (``sealed``), the store holds no key in clear: a stored key is the HMAC-SHA256 of its
text and a stored key hash the HMAC of the engine's 8-byte BLAKE2b, both under a server-side
secret kept outside the database (issue 17.2). Without the secret neither can be reversed by
trying every 個人番号; with it, lookups cost one more HMAC per record.
"""

from __future__ import annotations

import sys
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from hashlib import blake2b
from itertools import islice
from operator import le

from uploads.lib.validation.stage import sealed_digest

KEY_SEP = "\x1f"


def key_text(key: tuple[str, ...]) -> str:
    return KEY_SEP.join(key)


def key_digest(text: str) -> int:
    """A signed 64-bit hash of a key's text (fits a PostgreSQL bigint)."""
    return int.from_bytes(
        blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
        "big",
        signed=True,
    )


def engine_digest(text: str) -> bytes:
    """The engine's 8-byte BLAKE2b of a key's text (``validation.tally.key_digest``)."""
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


class KeyIndex:
    """Implements the engine's ``RecordStore`` over (digest, fingerprint) pairs."""

    parallel_safe = True  # plain data: a validation worker process may get a copy

    def __init__(
        self,
        pairs: Iterable[tuple[int, str] | tuple[int, str, int | None]] = (),
        *,
        presorted: bool = False,
        secret: bytes = b"",
    ):
        """``pairs``: key hash and fingerprint, and optionally the line hash (None: unknown)."""
        self.secret = secret  # the stored hashes are sealed_digest()s under it
        self.version: tuple | None = None  # the store's state it was read in (teststore)
        # The latest day (ISO) on which any stored line hash can have been checked: a file
        # checked as of that day or later may take a known line as checked (jsonrecords).
        # None: not known, so never.
        self.lines_until: str | None = None
        if not presorted:
            pairs = sorted(pairs, key=lambda pair: pair[:2])
        self._digests = array("q")
        self._line_at = array("q")  # the stored line hash at each position (0: unknown)
        fingerprints = bytearray()
        for digest, fingerprint, *line in pairs:
            self._digests.append(digest)
            fingerprints += bytes.fromhex(fingerprint)
            self._line_at.append((line[0] if line else None) or 0)
        self._fingerprints = bytes(fingerprints)
        self._stride, self._offset = 16, 0  # where fingerprint i is in _fingerprints
        self._positions: dict[int, int] | None = None  # line_positions(), once asked for

    def fingerprint(self, key: tuple[str, ...]) -> str | None:
        text = key_text(key)
        if self.secret:
            return self.by_digest(engine_digest(text))
        digest = key_digest(text)
        digests = self._digests
        i = bisect_left(digests, digest)
        if i < len(digests) and digests[i] == digest:
            return self.fingerprint_at(i)
        return None

    def by_digest(self, digest: bytes) -> str | None:
        """The fingerprint stored for a key given by its 8-byte BLAKE2b (the engine's digest)."""
        at = self.locate(digest)[1]
        return self.fingerprint_at(at) if at >= 0 else None

    @classmethod
    def from_bytes(cls, records: bytes, *, secret: bytes = b"") -> KeyIndex:
        """From 32-byte records: a key hash (big-endian int64), its 16-byte fingerprint, its
        line hash (int64, 0: unknown). Records out of order are sorted here."""
        index = cls(secret=secret)
        if len(records) % 32:
            raise ValueError("index records are 32 bytes each")
        digests = _int64s(records, 0, 4)
        if not all(map(le, digests, islice(digests, 1, None))):
            order = sorted(range(len(digests)), key=digests.__getitem__)
            records = b"".join(records[i * 32 : i * 32 + 32] for i in order)
            digests = _int64s(records, 0, 4)
        index._digests = digests
        index._line_at = _int64s(records, 3, 4)
        index._fingerprints = bytes(records)
        index._stride, index._offset = 32, 8
        return index

    @property
    def has_lines(self) -> bool:
        """Whether any stored record's line hash is known (``line_positions``)."""
        return self._line_at.count(0) < len(self._line_at)

    def line_at(self, i: int) -> int:
        """The line hash stored with the record at position ``i`` (0: unknown)."""
        return self._line_at[i]

    def line_positions(self) -> dict[int, int]:
        """The position of the record of each known line hash, built when first asked for (a
        full file compared by position; before a worker process is forked, which then shares
        it): a quarter of a second and about 110 MB at a million records, looked up in a tenth
        of a microsecond (sorting the hashes, here or in the database, took over a second)."""
        if self._positions is None:
            line_at = self._line_at
            self._positions = dict(zip(line_at, range(len(line_at)), strict=True))
            self._positions.pop(0, None)  # unknown lines
        return self._positions

    def locate(self, digest: bytes) -> tuple[int, int]:
        """The stored key hash for an engine digest and its position here (-1: not stored)."""
        if self.secret:
            value = sealed_digest(self.secret, digest)
        else:
            value = int.from_bytes(digest, "big", signed=True)
        digests = self._digests
        i = bisect_left(digests, value)
        if i < len(digests) and digests[i] == value:
            return value, i
        return value, -1

    def stored_key_hash(self, i: int) -> bytes:
        """The stored key hash at position ``i`` as 8 bytes: what :meth:`key_hash` gives for
        the digest of the key stored there."""
        return self._digests[i].to_bytes(8, "big", signed=True)

    def key_hash(self, digest: bytes) -> bytes:
        """The stored key hash for an engine digest as 8 bytes (the digest itself when the
        store is not sealed)."""
        return self.locate(digest)[0].to_bytes(8, "big", signed=True)

    def fingerprint_at(self, i: int) -> str:
        at = i * self._stride + self._offset
        return self._fingerprints[at : at + 16].hex()

    def fingerprint_digest_at(self, i: int) -> bytes:
        """:meth:`fingerprint_at` as its 16 bytes."""
        at = i * self._stride + self._offset
        return self._fingerprints[at : at + 16]

    def digests_except(self, positions: Iterable[int]) -> array:
        """The stored key hashes at every position not in ``positions``."""
        kept = bytearray(len(self._digests))
        for i in positions:
            kept[i] = 1
        digests = self._digests
        return array("q", (digests[i] for i in _zeros(kept)))

    def keys(self) -> Iterator[tuple[str, ...]]:
        raise NotImplementedError("KeyIndex keeps key hashes only")

    def __len__(self) -> int:
        return len(self._digests)


def _int64s(records: bytes, first: int, every: int) -> array:
    """The big-endian int64 at ``first`` of every ``every`` int64s of ``records``."""
    values = array("q")
    if values.itemsize != 8:
        raise ValueError("array('q') is not 64-bit here")
    values.frombytes(memoryview(records).cast("q")[first::every].tobytes())
    if sys.byteorder == "little":
        values.byteswap()
    return values


def _zeros(flags: bytearray) -> Iterator[int]:
    i = flags.find(0)
    while i >= 0:
        yield i
        i = flags.find(0, i + 1)
