"""Converting rows a block at a time, column by column.

A municipal export repeats itself: a few hundred dates, two sexes, a handful of codes. Each
distinct raw value of a field is converted once; a block of rows then becomes its columns with
C-level ``map`` and dict lookups, and rows again with ``zip``. Conversion costs a few dict
operations per cell instead of a Python call per cell, which keeps the doctor close to the
engine's speed. The remembered values are bounded (``CACHE_MAX``), so memory does not grow with
the file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from .plan import FieldPlan

CACHE_MAX = 200_000  # distinct raw values kept per field: 80 years of birth dates in two forms
LEARN_ROWS = 100_000  # rows in the window that decides whether a field's values repeat
MISS_SHARE = 0.9  # … they do not when nine rows in ten brought a new value

# (block position, field plan, (code, message), text sent out)
Failure = tuple[int, FieldPlan, tuple[str, str], str]


class FieldColumn:
    """One output column: its raw values picked from a block of rows, then converted."""

    def __init__(self, plan: FieldPlan, *, text_cells: bool):
        self.plan = plan
        self.indexes = [c.index for c in plan.columns]
        # A CSV cell with no conversion goes out as it is: no lookup at all.
        self.passthrough = text_cells and len(self.indexes) == 1 and len(plan.steps) == 1
        self.out: dict[Any, str] = {}
        self.notes: dict[Any, tuple[int, ...]] = {}  # values some step changed: which steps
        self.failed: dict[Any, tuple[str, str]] = {}  # values that could not be converted
        self.plain: set = set()  # values no step changed
        self.odd: set = set()  # values plain or failed: a block holding none is uniform
        # Whether some value sent out needs quoting in a CSV (a comma, a quote, a line break).
        self.quoted = _quoted(plan.fixed) if plan.fixed is not None else False
        self.uniform: tuple[int, ...] | None = None  # the steps every noted value went through
        self.seen = self.missed = 0  # rows, and distinct values that were not kept before
        self.keep = True

    def convert(self, columns: list[tuple], failures: list[Failure]) -> Sequence[str]:
        """This field's output for a block given as its source columns (the block transposed)."""
        n = len(columns[0])
        if self.plan.fixed is not None:
            return [self.plan.fixed] * n
        if len(self.indexes) == 1:
            values = columns[self.indexes[0]]
            if self.passthrough:
                return values
        else:
            values = list(zip(*(columns[i] for i in self.indexes), strict=True))
        out = self.out
        result = list(map(out.get, values))
        learned = 0
        if None in result:  # values not met before: converted once each, holes found in C
            k = -1
            try:
                while True:
                    k = result.index(None, k + 1)
                    value = values[k]
                    hit = out.get(value)
                    if hit is None:
                        self._learn(value)
                        learned += 1
                        hit = out[value]
                    result[k] = hit
            except ValueError:
                pass  # no hole left
        odd = self.odd
        # A block without a plain or failed value (most blocks of a date or kana column) needs
        # neither a lookup in the notes nor a look for failures.
        odd_here = bool(odd) and any(map(odd.__contains__, values))
        if self.notes:
            self._count(values, odd_here)
        if odd_here and self.failed and any(map(self.failed.__contains__, values)):
            self._failures(values, failures)
        self._forget(n, learned)
        return result

    def _learn(self, value: Any) -> None:
        self.out[value], touched, problem = self.plan.convert(value)
        if not self.quoted and _quoted(self.out[value]):
            self.quoted = True
        if touched:
            if not self.notes:
                self.uniform = touched
            elif touched != self.uniform:
                self.uniform = None
            self.notes[value] = touched
        else:
            self.plain.add(value)
            self.odd.add(value)
        if problem:
            self.failed[value] = problem
            self.odd.add(value)

    def _forget(self, rows: int, missing: int) -> None:
        """Keep values that repeat across blocks (dates, codes); stop keeping those that do
        not (names, addresses), and never keep more than ``CACHE_MAX``."""
        self.seen += rows
        self.missed += missing
        if self.seen >= LEARN_ROWS:
            # Judged over a window: the first blocks of any field are mostly new values.
            self.keep = self.keep and self.missed < MISS_SHARE * self.seen
            self.seen = self.missed = 0
        if not self.keep or len(self.out) > CACHE_MAX:
            self.out.clear()
            self.notes.clear()
            self.failed.clear()
            self.plain.clear()
            self.odd.clear()

    def _count(self, values: Sequence, odd_here: bool) -> None:
        """Rows each step changed."""
        notes, steps = self.notes, self.plan.steps
        # Every row changed the same way (a date or kana column): no lookup in the notes,
        # which may hold tens of thousands of values; only in the few plain or failed ones.
        if self.uniform is not None and not odd_here:
            for i in self.uniform:
                steps[i].rows += len(values)
            return
        counts = Counter(values)
        for value in notes.keys() & counts.keys():
            for i in notes[value]:
                steps[i].rows += counts[value]

    def _failures(self, values: Sequence, failures: list[Failure]) -> None:
        for value in self.failed.keys() & set(values):
            problem, text = self.failed[value], self.out[value]
            failures += [(k, self.plan, problem, text) for k, v in enumerate(values) if v == value]


def _quoted(text: Any) -> bool:
    """Whether the csv module quotes ``text`` in a field (QUOTE_MINIMAL, comma-separated)."""
    return isinstance(text, str) and any(map(text.__contains__, (",", '"', "\r", "\n")))
