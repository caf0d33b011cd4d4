"""The records of a JSON file through the checks: the fast way first, the exact way for the rest.

Used by the engine for a whole file and by the second process of a two-core run for its part.

A full file compared with a store that holds its records' line hashes (``tally.line_hasher``:
the keyed hash of an element's bytes, under the layout, the checks' options and the engine's
own code) first looks each element's hash up. An element found there is the very text the fast
path proved clean under these same rules, on a day no later than the one this file is checked
as of (``KeyIndex.lines_until``; a check may use the day only so that what was clean stays
clean): it is counted as that stored record unchanged, without being decoded or checked again,
and its key as the store's key hash (``Tally.key_space``: every key of the file is then searched
for duplicates by that hash). The report is the one the checks would give (tests compare both
ways); what it saves is most of the work on a daily file that repeats yesterday's records.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import fastpath, jsonstruct
from . import messages as msg
from .checks import RecordChecker
from .fastpath import SEP, FastRow, JsonCells, json_columns
from .fastrecord import use_fast_values
from .jsonfast import has_repeated_key
from .jsonfile import exact_element
from .records import UnknownKeys, raw_from_json
from .report import ERROR, Issue
from .tally import Tally, key_digest, rules_context

BATCH = 512  # clean records handed to the tally at once
KNOWN_LINES = True  # tests switch it off to compare both ways


class JsonBody:
    def __init__(self, checker: RecordChecker, tally: Tally, *, known: bool | None = None):
        """``known``: whether elements may be known by their line hash, as decided for the
        whole file (None: decided here, see the module)."""
        layout = checker.layout
        self.layout, self.checker, self.tally = layout, checker, tally
        self.fast = FastRow(checker, json_columns(layout))
        if tally.needs_values:
            use_fast_values(tally, layout, json_columns(layout), "json", rules_context(checker.s))
        self.cells = JsonCells(layout)
        self.unknown = UnknownKeys(layout)
        # For the reader (``jsonfast.records(fast=...)``): a record's cells without a dict, or
        # the store position of an element known by its line hash (see the module).
        self.decode = jsonstruct.decoder(self.cells)
        # The line hash of the element last looked up and not known: the reader yields each
        # element right after it, and a clean one takes it to its batch (hashed once).
        self.element_hash = [0]
        self.known = self._known_lines(checker.s.today) if known is None else known
        if self.known:
            tally.key_space = tally.store.key_hash
            self.decode = self._known_or_decoded(self.decode)

    def _known_lines(self, today: str) -> bool:
        """Whether elements may be known by their line hash (see the module)."""
        tally = self.tally
        if not (KNOWN_LINES and fastpath.ENABLED and tally.by_line is not None):
            return False
        until = getattr(tally.store, "lines_until", None)
        return tally.line_hasher is not None and until is not None and today >= until

    def _known_or_decoded(self, decode):
        """``decode`` behind a look-up of the element's line hash: its store position (an
        int) when the store knows it, or else the decoded cells (None: the orjson way)."""
        positions, hasher, number = self.tally.by_line.get, self.tally.line_hasher, int.from_bytes
        last = self.element_hash

        def known_or_decoded(raw: bytes):
            line = number(hasher(raw.strip()).digest(), "big", signed=True)
            at = positions(line, -1)
            if at >= 0:
                return at
            last[0] = line
            return decode(raw) if decode is not None else None

        return known_or_decoded

    def run(self, records: Iterable[tuple[int, Any, bytes | None]]) -> None:
        """Every record; raises ``jsonfile.FileProblem`` (and the reader's own exceptions)."""
        tally, lay = self.tally, self.cells.strict()
        # FastRow.cells inlined: the whole row's match, then the checks on the needed cells.
        # Rows come without the empty item cells after the last item (JsonCells.strict).
        cell_match, pick, post, join = (
            self.fast.listed_match(),
            self.fast._pick,
            self.fast._post,
            SEP.join,
        )
        repeated, exact = has_repeated_key, self.exact
        # Records whose values are wanted go to the tally in batches (Tally.fast_elements),
        # always before a record taken the exact way, so everything stays in file order.
        staged = tally.fast_values is not None
        keys: list[str] = []
        cells: list[list[str]] = []
        lines: list[int] = []
        raws: list[bytes] = []
        # Tally.clean inlined for the common case, as in the CSV row loop.
        digests, key_rows, key_lines = tally.digests, tally.key_rows, tally.key_lines
        row = tally.rows
        clean = 0
        enabled = fastpath.ENABLED
        # Elements known by their line hash (store positions); the digests of the batch's keys,
        # counted in file order as they come, and the line hashes of its elements, made by the
        # look-up (``known``: see the module).
        known, stored, space, last = self.known, tally.store, tally.key_space, self.element_hash
        positions: list[int] = []
        keyed: list[bytes] | None = [] if known else None
        hashed: list[int] = []
        try:
            for line, obj, raw in records:
                row += 1
                if raw is not None:
                    if type(obj) is int:  # an element known by its line hash: its position
                        digests += stored.stored_key_hash(obj)
                        key_rows.append(row)
                        key_lines.append(line)
                        positions.append(obj)
                        continue
                    # A tuple is the cells decoded straight from the bytes (jsonstruct.py).
                    laid_out, count = obj if type(obj) is tuple else lay(obj)
                    if enabled and laid_out is not None and cell_match(join(laid_out)) is not None:
                        key = post(pick(laid_out))
                        if key is not None and not repeated(raw, count):
                            if staged:
                                if keyed is not None:
                                    keyed.append(digest := key_digest(key))
                                    digests += space(digest)
                                    key_rows.append(row)
                                    key_lines.append(line)
                                    hashed.append(last[0])
                                keys.append(key)
                                cells.append(laid_out)
                                lines.append(line)
                                raws.append(raw)
                                if len(keys) >= BATCH:
                                    self._flush(row - len(keys), keys, cells, lines, raws, keyed,
                                                hashed)  # fmt: skip
                            else:
                                digests += key_digest(key)
                                key_rows.append(row)
                                key_lines.append(line)
                                clean += 1
                            continue
                    # Not proven clean: decoded again the exact way and checked in full.
                    obj = exact_element(raw.decode("utf-8", "surrogateescape"))
                if keys:
                    self._flush(row - 1 - len(keys), keys, cells, lines, raws, keyed, hashed)
                tally.rows = row
                exact(row, line, obj)
        finally:
            if keys:
                self._flush(row - len(keys), keys, cells, lines, raws, keyed, hashed)
            tally.rows = row
            tally.count_clean(clean)
            if positions:
                tally.known_unchanged(positions)

    def _flush(self, row: int, keys: list, cells: list, lines: list, raws: list,
               keyed: list | None, hashed: list) -> None:  # fmt: skip
        """The batch of clean records after ``row`` to the tally, and the lists emptied;
        ``keyed`` and ``hashed``: their keys' digests and their line hashes, when elements may
        be known (the rows' keys are then already counted)."""
        known = keyed is not None
        self.tally.fast_elements(row, lines, keys, cells, raws, self.cells.padded,
                                 keyed, hashed if known else None)  # fmt: skip
        for batch in (keys, cells, lines, raws, hashed, *([keyed] if known else [])):
            batch.clear()

    def exact(self, row: int, line: int, obj: Any) -> None:
        """One record the exact way: the reference the fast way must agree with."""
        tally, cells = self.tally, self.cells
        if not isinstance(obj, dict):
            tally.sink.add(Issue(row, line, None, "R_NOT_OBJECT", ERROR, msg.not_object()))
            tally.invalid += 1
            tally.error_rows.append(row)
            return
        laid_out = cells.cells(obj)
        if laid_out is None or cells.unknown:
            for issue in self.unknown.issues(obj, row, line):
                tally.sink.add(issue)
        key = self.fast.cells(laid_out) if laid_out is not None and fastpath.ENABLED else None
        if key is not None and tally.fast_values is not None:
            tally.fast_record(row, line, key, laid_out)
            return
        if key is not None:
            tally.clean(row, line, key)
            return
        tally.checked(row, line, self.checker.check(raw_from_json(obj, self.layout), row, line))
