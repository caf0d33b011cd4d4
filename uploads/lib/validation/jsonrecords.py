"""The records of a JSON file through the checks: the fast way first, the exact way for the rest.

Used by the engine for a whole file and by the second process of a two-core run for its part.
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
from .tally import Tally, key_digest

BATCH = 512  # clean records handed to the tally at once


class JsonBody:
    def __init__(self, checker: RecordChecker, tally: Tally):
        layout = checker.layout
        self.layout, self.checker, self.tally = layout, checker, tally
        self.fast = FastRow(checker, json_columns(layout))
        if tally.needs_values:
            use_fast_values(tally, layout, json_columns(layout), "json")
        self.cells = JsonCells(layout)
        self.unknown = UnknownKeys(layout)
        # For the reader (``jsonfast.records(fast=...)``): a record's cells without a dict.
        self.decode = jsonstruct.decoder(self.cells)

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
        try:
            for line, obj, raw in records:
                row += 1
                if raw is not None:
                    # A tuple is the cells decoded straight from the bytes (jsonstruct.py).
                    laid_out, count = obj if type(obj) is tuple else lay(obj)
                    if enabled and laid_out is not None and cell_match(join(laid_out)) is not None:
                        key = post(pick(laid_out))
                        if key is not None and not repeated(raw, count):
                            if staged:
                                keys.append(key)
                                cells.append(laid_out)
                                lines.append(line)
                                raws.append(raw)
                                if len(keys) >= BATCH:
                                    self._flush(row - len(keys), keys, cells, lines, raws)
                            else:
                                digests += key_digest(key)
                                key_rows.append(row)
                                key_lines.append(line)
                                clean += 1
                            continue
                    # Not proven clean: decoded again the exact way and checked in full.
                    obj = exact_element(raw.decode("utf-8", "surrogateescape"))
                if keys:
                    self._flush(row - 1 - len(keys), keys, cells, lines, raws)
                tally.rows = row
                exact(row, line, obj)
        finally:
            if keys:
                self._flush(row - len(keys), keys, cells, lines, raws)
            tally.rows = row
            tally.count_clean(clean)

    def _flush(self, row: int, keys: list, cells: list, lines: list, raws: list) -> None:
        """The batch of clean records after ``row`` to the tally, and the lists emptied."""
        self.tally.fast_elements(row, lines, keys, cells, raws, self.cells.padded)
        keys.clear()
        cells.clear()
        lines.clear()
        raws.clear()

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
