"""A compact, read-only copy of a test store's fingerprints for the validation engine.

A million stored records take about 24 MB here (8-byte key hash, 16-byte fingerprint) instead of
hundreds of MB as a dict of tuples. Lookups bisect a sorted array. Two keys sharing a 64-bit hash
(about 3×10⁻⁸ at a million keys) could only skew the report's counts; the store itself is
changed by exact keys in SQL.

With a secret (``sealed``), the store holds no key in clear: a stored key is the HMAC-SHA256 of its
text and a stored key hash the HMAC of the engine's 8-byte BLAKE2b, both under a server-side
secret kept outside the database (issue 17.2). Without the secret neither can be reversed by
trying every 個人番号; with it, lookups cost one more HMAC per record.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from hashlib import blake2b

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
        pairs: Iterable[tuple[int, str]] = (),
        *,
        presorted: bool = False,
        secret: bytes = b"",
    ):
        self.secret = secret  # the stored hashes are sealed_digest()s under it
        if not presorted:
            pairs = sorted(pairs)
        self._digests = array("q")
        fingerprints = bytearray()
        for digest, fingerprint in pairs:
            self._digests.append(digest)
            fingerprints += bytes.fromhex(fingerprint)
        self._fingerprints = bytes(fingerprints)

    def fingerprint(self, key: tuple[str, ...]) -> str | None:
        text = key_text(key)
        if self.secret:
            return self.by_digest(engine_digest(text))
        digest = key_digest(text)
        digests = self._digests
        i = bisect_left(digests, digest)
        if i < len(digests) and digests[i] == digest:
            return self._fingerprints[i * 16 : i * 16 + 16].hex()
        return None

    def by_digest(self, digest: bytes) -> str | None:
        """The fingerprint stored for a key given by its 8-byte BLAKE2b (the engine's digest)."""
        if self.secret:
            value = sealed_digest(self.secret, digest)
        else:
            value = int.from_bytes(digest, "big", signed=True)
        digests = self._digests
        i = bisect_left(digests, value)
        if i < len(digests) and digests[i] == value:
            return self._fingerprints[i * 16 : i * 16 + 16].hex()
        return None

    def keys(self) -> Iterator[tuple[str, ...]]:
        raise NotImplementedError("KeyIndex keeps key hashes only")

    def __len__(self) -> int:
        return len(self._digests)
