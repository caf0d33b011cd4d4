"""Per-row bookkeeping: counts, the compact key index, store comparison and accepted records.

The key index holds 8 bytes of BLAKE2b per keyed row plus its 4-byte row number (12 bytes a row);
duplicates are found once at the end, so a worker process can index its own chunk and the main
process merges the indexes in file order.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import sys
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from hashlib import blake2b
from itertools import compress, repeat
from pathlib import Path
from typing import Any, Protocol

from . import messages as msg
from .checks import Outcome
from .layout import Layout
from .report import WARNING, Issue

KEY_SEP = "\x1f"
_HASH8 = partial(blake2b, digest_size=8)
_DIGEST = blake2b.digest
LINE_SCHEME = "pmh-line/2"  # changed whenever what a line hash stands for changes


def line_hasher(secret: bytes, layout: Layout, columns: Sequence[tuple | None],
                source: str = "csv", rules: tuple = ()) -> Callable:  # fmt: skip
    """The keyed 64-bit BLAKE2b of the text of a clean record: a CSV line read under
    ``columns`` (the header's targets), without its line break, or (``source="json"``) a JSON
    element's bytes without the white space around it. Two texts with one hash are the same
    text read the same way under the same rules (:func:`rules_context`), so the same key and
    values, and the same text the fast path proved clean. Its key is derived from the store's
    secret, so the stored hashes cannot be checked against guessed lines without it; the
    source, the columns and the rules go into its personalisation."""
    targets = [
        None if t is None else t if t[0] == "item" else ("field", t[1].path) for t in columns
    ]
    context = repr((LINE_SCHEME, source, layout.id, targets, rules))
    key = hmac.digest(secret, b"pmh-line-hash", "sha256")
    person = blake2b(context.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    return partial(blake2b, key=key, person=person, digest_size=8)


def rules_context(settings) -> tuple:
    """What, besides a record's own text, decides whether the fast path finds it clean: every
    option of the checks (``checks.Settings``: all but ``today``, which a check may only use
    so that a record clean on one day stays clean on every later day, ``KeyIndex.lines_until``;
    the layout and the source are in the line hash already) and the engine's own code and
    layouts (:func:`engine_fingerprint`)."""
    options = [
        (field.name, _canonical(getattr(settings, field.name)))
        for field in dataclasses.fields(settings)
        if field.name not in ("today", "layout", "is_csv")
    ]
    return (*options, engine_fingerprint())


def _canonical(value: Any) -> Any:
    """A set or a mapping in sorted order (its repr then never depends on hashing order)."""
    if isinstance(value, frozenset | set):
        return sorted(map(_canonical, value))
    if isinstance(value, dict):
        return sorted((k, _canonical(v)) for k, v in value.items())
    return value


@cache
def engine_fingerprint() -> str:
    """A hash of every file of the engine (this package, its layouts, ``coderules``): a
    deployment that changes any of them changes every line hash, so no record is taken as
    checked under rules it was not checked by."""
    import coderules

    digest = blake2b(digest_size=16)
    for root in (Path(__file__).parent, Path(coderules.__file__).parent):
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in (".py", ".json"):
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def key_digest(key_text: str) -> bytes:
    return blake2b(key_text.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def fingerprint(values: dict[str, Any], layout: Layout) -> str:
    """A compact hash of a normalised record: equal for the same data sent as CSV or JSON.

    The values are joined in layout order with U+001F (items with U+001E), each tagged by
    type unless it is text; valid values never contain these control characters.
    """
    paths, list_path, parts = _fingerprint_plan(layout)
    tokens = [v if type(v) is str else _token(v) for v in map(values.get, paths)]
    for item in values.get(list_path) or ():
        tokens.append("\x1e" + "\x1f".join(_token(item.get(p)) for p in parts))
    text = "\x1f".join(tokens)
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _token(value: Any) -> str:
    if value is None:
        return "\x00"
    if value is True or value is False:
        return "\x01" + ("1" if value else "0")
    if type(value) is int:
        return "\x02" + str(value)
    if type(value) is str:
        return value
    return "\x03" + json.dumps(value, ensure_ascii=False, sort_keys=True)


_PLANS: dict[str, tuple] = {}


def _fingerprint_plan(layout: Layout) -> tuple:
    plan = _PLANS.get(layout.id)
    if plan is None:
        plan = (
            tuple(f.path for f in layout.fields),
            layout.list.path,
            sorted(item.path for item in layout.list.items),
        )
        _PLANS[layout.id] = plan
    return plan


@dataclass(frozen=True)
class AcceptedRecord:
    """A record without error, unmasked, for the console to apply to its test store."""

    row: int
    line: int
    key: tuple[str, ...]
    fingerprint: str
    values: dict[str, Any]  # canonical path -> normalised value; certificationDetail a list
    is_delete: bool


class IssueSink(Protocol):
    def add(self, issue: Issue) -> None: ...


class Tally:
    def __init__(
        self,
        layout: Layout,
        mode: str,
        sink: IssueSink,
        *,
        store=None,
        on_record: Callable[[AcceptedRecord], None] | None = None,
        stage=None,
    ):
        self.layout = layout
        self.mode = mode
        self.sink = sink
        self.store = store if store is not None and len(store) else None
        # A store that looks records up by key digest (``by_digest``) saves hashing them twice.
        self.by_digest = getattr(self.store, "by_digest", None)
        self.on_record = on_record
        self.stage = stage  # a stage.StageWriter: accepted records go to its files
        # A store index that gives positions (``KeyIndex.locate``), when unchanged records are
        # not staged but only their positions noted (``StageSpec.omit_unchanged``).
        omit = stage is not None and stage.omit_unchanged and self.store is not None
        self.locate = getattr(self.store, "locate", None) if omit else None
        # In a full file, a line (or JSON element) whose hash the store holds is that record
        # unchanged (``line_hasher``).
        lined = self.locate is not None and mode == "full" and self.store.has_lines
        # Built here, in the main process, so that a worker forked later shares it.
        self.by_line: dict[int, int] | None = self.store.line_positions() if lined else None
        self.fast_values: Callable[[Any], dict[str, Any]] | None = None
        self.fast_stage = None  # a fastrecord.FastRecord when records only go to stage files
        self.cells_of: Callable[[str], list[str]] | None = None  # a clean CSV line's cells
        self.line_hasher: Callable[[bytes], Any] | None = None  # line_hasher(), when staged
        # Set while records known by their line are counted without being read (jsonrecords):
        # the 8 bytes that stand for a key's digest in the duplicate search are then the store's
        # own key hash (``KeyIndex.stored_key_hash``), which those records bring.
        self.key_space: Callable[[bytes], bytes] | None = None
        self.reset()

    def reset(self) -> None:
        """Forget every row (a parallel run that falls back starts again)."""
        mode = self.mode
        if self.stage is not None and self.stage.count:
            self.stage.reset()
        self.rows = 0
        self.invalid = 0
        self.digests = bytearray()
        self.key_rows = array("I")
        self.key_lines = array("I")
        self.error_rows = array("I")
        self.diff = dict.fromkeys(
            ("added", "changed", "unchanged")
            if mode == "full"
            else ("inserted", "updated", "deleted"),
            0,
        )

    @property
    def needs_values(self) -> bool:
        return self.store is not None or self.on_record is not None or self.stage is not None

    def _searched(self, digest: bytes) -> bytes:
        """The 8 bytes a key's digest is searched for duplicates by (:attr:`key_space`)."""
        return digest if self.key_space is None else self.key_space(digest)

    def clean(self, row: int, line: int, key_text: str) -> None:
        """A row the fast path proved valid (never a delete)."""
        self.digests += self._searched(key_digest(key_text))
        self.key_rows.append(row)
        self.key_lines.append(line)
        self.diff["added" if self.mode == "full" else "inserted"] += 1

    def fast_record(self, row: int, line: int, key_text: str, cells) -> None:
        """A row the fast path proved valid, when records or the store comparison are wanted:
        its values come from its cells (``fast_values``) without the detailed check."""
        digest = key_digest(key_text)
        self.digests += self._searched(digest)
        self.key_rows.append(row)
        self.key_lines.append(line)
        if self.fast_stage is not None:
            return self._fast_staged(key_text, digest, cells)
        self._fast_values(row, line, key_text, digest, cells)

    def clean_batch(self, row: int, line: int, keys: list[str]) -> None:
        """:meth:`clean` for rows ``row + 1``… on lines ``line + 1``… one after another (a batch
        of the CSV row loop)."""
        self._key_batch(row, range(line + 1, line + 1 + len(keys)), keys)
        self.diff["added" if self.mode == "full" else "inserted"] += len(keys)

    def fast_batch(self, row: int, line: int, keys: list[str], texts: list[str]) -> None:
        """:meth:`fast_record` for rows ``row + 1``… on lines ``line + 1``… one after another
        (a batch of the CSV row loop), given their lines' text (split by ``cells_of``); each
        line is hashed without its line break."""
        stripped = map(str.rstrip, texts, repeat("\r\n"))
        encoded = map(str.encode, stripped, repeat("utf-8"), repeat("surrogatepass"))
        lines = range(line + 1, line + 1 + len(keys))
        self._fast_many(row, lines, keys, texts, encoded, self.cells_of)

    def fast_elements(self, row: int, lines: Sequence[int], keys: list[str], cells: list,
                      raws: list[bytes], pad: Callable[[list], list],
                      digests: list[bytes] | None = None,
                      hashes: Sequence[int] | None = None) -> None:  # fmt: skip
        """:meth:`fast_record` for rows ``row + 1``… one after another, on ``lines`` (a batch of
        the JSON record loop), given their cells (completed by ``pad`` where they are needed:
        not for an element the store knows by its hash) and their elements' bytes, hashed
        without the white space around them. ``digests``: the keys' digests, when the caller
        has already counted the rows' keys, in file order among rows not in the batch;
        ``hashes``: the elements' line hashes, when the caller has made them."""
        texts = map(bytes.strip, raws) if hashes is None else None
        self._fast_many(row, lines, keys, cells, texts, pad, digests, True, hashes)

    def _fast_many(self, row: int, lines: Sequence[int], keys: list[str], items: Sequence,
                   texts: Iterable[bytes] | None, cells_of: Callable,
                   digests: list[bytes] | None = None, strict: bool = False,
                   hashes: Sequence[int] | None = None) -> None:  # fmt: skip
        """Rows ``row + 1``… on ``lines``, proved valid: ``cells_of`` makes each one's cells of
        its item; ``texts`` (lazy) are what its line hash is of, unless ``hashes`` are given;
        ``strict``: the items are rows that stop after their last item (JSON), which
        ``cells_of`` pads."""
        if digests is None:
            digests = self._key_batch(row, lines, keys)
        if self.fast_stage is None:
            rows = zip(keys, digests, items, lines, strict=True)
            for i, (key, digest, item, line) in enumerate(rows):
                self._fast_values(row + 1 + i, line, key, digest, cells_of(item))
            return
        if hashes is None:
            hashes = self._hashes(texts) if self.line_hasher is not None else [None] * len(keys)
        self._staged_batch(keys, digests, items, hashes, cells_of, strict)

    def _hashes(self, texts: Iterable[bytes]) -> array:
        """The keyed hash (``line_hasher``) of each text, as signed 64-bit numbers, by map()."""
        hashes = array("q")
        hashes.frombytes(b"".join(map(_DIGEST, map(self.line_hasher, texts))))
        if sys.byteorder == "little":
            hashes.byteswap()
        return hashes

    def _staged_batch(self, keys: list[str], digests: list[bytes], items: Sequence,
                      lines: Sequence[int | None], cells_of: Callable,
                      strict: bool = False) -> None:  # fmt: skip
        """Records proved valid, staged: ``cells_of`` makes their cells of ``items`` (CSV lines,
        or JSON cells to complete), only for those that need them when unchanged lines are
        known."""
        if self.by_line is not None:
            return self._lined_batch(keys, digests, items, lines, cells_of)
        if self.store is None:
            return self._new_batch(keys, digests, items, lines, cells_of, strict)
        cells = list(map(cells_of, items))
        if self.locate is not None:
            return self._located_batch(keys, digests, cells, lines)
        for key, digest, cell, line_hash in zip(keys, digests, cells, lines, strict=True):
            self._fast_staged(key, digest, cell, line_hash)

    def _new_batch(self, keys: list[str], digests: list[bytes], items: Sequence,
                   lines: Sequence[int | None], cells_of: Callable,
                   strict: bool) -> None:  # fmt: skip
        """Records with no store to compare with (the first file): every one is new, staged
        with its fingerprint (by map()) and its values (``_staged_batch``'s arguments)."""
        fast, stage = self.fast_stage, self.stage
        self.diff["added" if self.mode == "full" else "inserted"] += len(keys)
        # Sealed stages keep ``{}`` for the values: no need to build them, nor, for rows that
        # stop after their last item, the padded cells.
        if strict and stage.secret:
            fingerprints, documents = fast.strict_fingerprints(items, cells_of), None
        else:
            cells = list(map(cells_of, items))
            fingerprints = fast.fingerprints(cells)
            documents = None if stage.secret else list(map(fast.document, cells))
        stage.record_many(keys, digests, fingerprints, documents, lines)

    def _lined_batch(self, keys: Sequence[str], digests: Sequence[bytes], items: Sequence,
                     lines: Sequence[int], cells_of: Callable) -> None:  # fmt: skip
        """A full file against a store that knows its records' line hashes: a line (or an
        element) whose hash it holds (the same text under the same columns, so the same key and
        values) is that stored record unchanged, noted by its position with nothing more
        computed. The others are compared as usual (:meth:`_located_batch`), their cells made
        of their ``items`` by ``cells_of``."""
        found = list(map(self.by_line.get, lines, repeat(-1)))
        rest = [i for i, at in enumerate(found) if at < 0]
        if len(rest) < len(found):
            self.stage.matched_many([at for at in found if at >= 0])
            self.diff["unchanged"] += len(found) - len(rest)
        if rest:
            self._located_batch(
                [keys[i] for i in rest],
                [digests[i] for i in rest],
                [cells_of(items[i]) for i in rest],
                [lines[i] for i in rest],
            )

    def known_unchanged(self, positions: Sequence[int]) -> None:
        """Stored records found unchanged by their line hash alone, their keys already counted
        (``jsonrecords``: elements known by their line)."""
        self.stage.matched_many(positions)
        self.diff["unchanged"] += len(positions)

    def _key_batch(self, row: int, lines: Iterable[int], keys: list[str]) -> list[bytes]:
        """The keys' digests (:func:`key_digest`, by map()), kept with their rows (``row + 1``…)
        and ``lines``."""
        encoded = map(str.encode, keys, repeat("utf-8"), repeat("surrogatepass"))
        digests = list(map(blake2b.digest, map(_HASH8, encoded)))
        searched = digests if self.key_space is None else map(self.key_space, digests)
        self.digests += b"".join(searched)
        self.key_rows.extend(range(row + 1, row + 1 + len(keys)))
        self.key_lines.extend(lines)
        return digests

    def _located_batch(self, keys: Sequence[str], digests: Sequence[bytes], cells: Sequence,
                       lines: Sequence[int | None]) -> None:  # fmt: skip
        """Staged records when unchanged ones are only noted by their index position
        (``StageSpec.omit_unchanged``), for many records at once: the names looked up once per
        batch, fingerprints compared as bytes. An unchanged record whose stored line hash is
        not this one (unknown, another text of the same values, or one hashed under other
        rules) is staged all the same, to store the hash of the text it was read from now: the
        next file that repeats this text finds the record by it without reading it."""
        stage, fast, locate = self.stage, self.fast_stage, self.locate
        fingerprint, stored = fast.fingerprint_digest, self.store.fingerprint_digest_at
        matched, record, document = stage.matched, stage.record_json, fast.document
        full, sealed, diff = self.mode == "full", bool(stage.secret), self.diff
        line_at = self.store.line_at
        unchanged = 0
        for key, digest, cell, line in zip(keys, digests, cells, lines, strict=True):
            number, at = locate(digest)
            fp = fingerprint(cell)
            if at < 0:
                name = "added" if full else "inserted"
            else:
                matched(at)
                if not full:
                    name = "updated"
                elif stored(at) == fp:
                    unchanged += 1
                    if line is None or line_at(at) == line:
                        continue
                    name = ""  # the same values: staged to store the line hash it lacks
                else:
                    name = "changed"
            if name:
                diff[name] += 1
            record(key, digest, fp.hex(), "{}" if sealed else document(cell), number, line)
        if unchanged:
            diff["unchanged"] += unchanged

    def _fast_values(self, row: int, line: int, key_text: str, digest: bytes, cells) -> None:
        values = self.fast_values(cells)
        fp = fingerprint(values, self.layout)
        key = None
        if self.store is None:
            before = None
        elif self.by_digest is not None:
            before = self.by_digest(digest)
        else:
            key = tuple(key_text.split(KEY_SEP))
            before = self.store.fingerprint(key)
        if self.mode == "full":
            name = "added" if before is None else "unchanged" if before == fp else "changed"
        else:
            name = "inserted" if before is None else "updated"
        self.diff[name] += 1
        if self.stage is not None:
            self.stage.record(key_text, digest, fp, values, name == "unchanged")
        if self.on_record is not None:
            key = key or tuple(key_text.split(KEY_SEP))
            self.on_record(AcceptedRecord(row, line, key, fp, values, False))

    def _fast_staged(self, key_text: str, digest: bytes, cells, line: int | None = None) -> None:
        if self.locate is not None:
            return self._located_batch((key_text,), (digest,), (cells,), (line,))
        fast, stage = self.fast_stage, self.stage
        fp = fast.fingerprint(cells)
        before = self.by_digest(digest) if self.by_digest is not None else self._stored(key_text)
        if self.mode == "full":
            name = "added" if before is None else "unchanged" if before == fp else "changed"
        else:
            name = "inserted" if before is None else "updated"
        self.diff[name] += 1
        skip = name == "unchanged" and stage.skip_unchanged
        # Sealed stages keep ``{}`` for the values: no need to build them.
        document = None if skip else "{}" if stage.secret else fast.document(cells)
        stage.record_json(key_text, digest, fp, document, line=line)

    def _stored(self, key_text: str) -> str | None:
        if self.store is None:
            return None
        return self.store.fingerprint(tuple(key_text.split(KEY_SEP)))

    def count_clean(self, count: int) -> None:
        """Rows proved valid by the CSV loop's inlined copy of :meth:`clean`."""
        self.diff["added" if self.mode == "full" else "inserted"] += count

    def checked(self, row: int, line: int, outcome: Outcome) -> None:
        for issue in outcome.issues:
            self.sink.add(issue)
        if outcome.key is not None:
            self.digests += self._searched(key_digest(KEY_SEP.join(outcome.key)))
            self.key_rows.append(row)
            self.key_lines.append(line)
        if outcome.has_error:
            self.invalid += 1
            self.error_rows.append(row)
            if not (outcome.is_delete and outcome.key is not None):
                return
        self._compare(row, line, outcome)

    def _compare(self, row: int, line: int, outcome: Outcome) -> None:
        key, store = outcome.key, self.store
        if key is None:
            return
        if outcome.is_delete:
            if store is not None and store.fingerprint(key) is not None:
                self.diff["deleted"] += 1
            else:
                self.sink.add(
                    Issue(row, line, None, "K_DELETE_UNKNOWN", WARNING, msg.delete_unknown())
                )
            if not outcome.has_error:
                self._emit(row, line, outcome, "")
            return
        fp = fingerprint(outcome.values, self.layout) if self.needs_values else ""
        before = store.fingerprint(key) if store is not None else None
        if self.mode == "full":
            name = "added" if before is None else "unchanged" if before == fp else "changed"
        else:
            name = "inserted" if before is None else "updated"
        self.diff[name] += 1
        self._emit(row, line, outcome, fp, name == "unchanged")

    def _emit(self, row: int, line: int, outcome: Outcome, fp: str, same=False) -> None:
        if self.stage is not None:
            text = KEY_SEP.join(outcome.key)
            digest = key_digest(text)
            if self.locate is not None:
                at = self.locate(digest)[1]
                if at >= 0:
                    self.stage.matched(at)
            if outcome.is_delete:
                self.stage.delete(text, digest)
            else:
                self.stage.record(text, digest, fp, outcome.values, same)
        if self.on_record is not None:
            self.on_record(
                AcceptedRecord(row, line, outcome.key, fp, outcome.values, outcome.is_delete)
            )


@dataclass
class KeyChunk:
    digests: bytes
    key_rows: array
    error_rows: array
    row_offset: int = 0
    line_offset: int = 0  # added to the lines kept beside it (a worker's, numbered from its cut)


def find_duplicates(
    chunks: Iterable[KeyChunk], search: DuplicateSearch | None = None
) -> list[tuple[int, int]]:
    """(row, earliest row with the same key) for every later row of a repeated key; ``search``
    may have marked the first hashes already (:class:`DuplicateSearch`)."""
    chunks = list(chunks)
    if search is None:
        search = DuplicateSearch(sum(len(c.digests) // 8 for c in chunks))
    return search.pairs(chunks)


class DuplicateSearch:
    """The duplicate search in two steps, so that a two-core run can mark its first part's
    hashes while the second part is still being validated.

    A bitmap of fixed size marks hashes seen; only hashes that hit a marked bit become
    candidates, checked exactly in a second pass. Memory stays flat however long the file.
    Which of two hashes sharing a bit becomes the candidate depends on the order marked, never
    the pairs found: a repeated hash always meets its own bit.
    """

    def __init__(self, expected: int):
        nbits = 1 << max(16, min(27, (expected * 32).bit_length()))
        self.mask = nbits - 1
        self.bits = bytearray(nbits >> 3)
        self.candidates: set[int] = set()
        self.marked = 0  # hashes marked so far, the first in file order

    def mark(self, digests: bytes | bytearray | memoryview) -> None:
        """Mark the next hashes in file order."""
        mask, bits, candidates = self.mask, self.bits, self.candidates
        view = memoryview(digests).cast("Q")
        for h in view:
            i = h & mask
            bit = 1 << (i & 7)
            if bits[i >> 3] & bit:
                candidates.add(h)
            else:
                bits[i >> 3] |= bit
        self.marked += len(view)

    def pairs(self, chunks: list[KeyChunk]) -> list[tuple[int, int]]:
        skip = self.marked
        for chunk in chunks:
            count = len(chunk.digests) // 8
            if skip < count:
                self.mark(memoryview(chunk.digests)[skip * 8 :])
            skip = max(0, skip - count)
        candidates = self.candidates
        self.bits = bytearray()
        if not candidates:
            return []
        first: dict[int, int] = {}
        pairs = []
        for chunk in chunks:
            hashes, rows = memoryview(chunk.digests).cast("Q"), chunk.key_rows
            if len(hashes) != len(rows):
                raise ValueError("a key chunk's digests and rows differ in length")
            # Only the candidates' places are visited in Python (compress and map run in C).
            for at in compress(range(len(hashes)), map(candidates.__contains__, hashes)):
                h, row = hashes[at], rows[at] + chunk.row_offset
                earlier = first.setdefault(h, row)
                if earlier != row:
                    pairs.append((row, earlier))
        return pairs


def error_row_set(chunks: Iterable[KeyChunk], rows: Iterable[int]) -> set[int]:
    """Which of ``rows`` already had an error (so a duplicate does not count them twice)."""
    wanted = set(rows)
    found = set()
    for chunk in chunks:
        found.update(
            r + chunk.row_offset for r in chunk.error_rows if r + chunk.row_offset in wanted
        )
    return found
