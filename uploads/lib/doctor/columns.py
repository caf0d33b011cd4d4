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
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from .plan import FieldPlan

CACHE_MAX = 200_000  # distinct raw values kept per field: 80 years of birth dates in two forms
LEARN_VALUES = 100_000  # distinct values per window that decides whether a field's values repeat
MISS_SHARE = 0.9  # … they do not when nine in ten were new

# (block position, field plan, (code, message), text sent out)
Failure = tuple[int, FieldPlan, tuple[str, str], str]


class FieldColumn:
    """One output column: its raw values picked from a block of rows, then converted."""

    def __init__(self, plan: FieldPlan, *, text_cells: bool):
        self.plan = plan
        indexes = [c.index for c in plan.columns]
        self.pick: Callable[[list], Any] | None = itemgetter(*indexes) if indexes else None
        # A CSV cell with no conversion goes out as it is: no lookup at all.
        self.passthrough = text_cells and len(indexes) == 1 and len(plan.steps) == 1
        self.out: dict[Any, str] = {}
        self.notes: dict[Any, tuple[int, ...]] = {}  # values some step changed: which steps
        self.failed: dict[Any, tuple[str, str]] = {}  # values that could not be converted
        self.uniform: tuple[int, ...] | None = None  # the steps every noted value went through
        self.seen = self.missed = 0  # distinct values per block, and those not kept before
        self.keep = True

    def convert(self, cells: list[list], failures: list[Failure]) -> list[str]:
        n = len(cells)
        if self.plan.fixed is not None:
            return [self.plan.fixed] * n
        values = list(map(self.pick, cells))
        if self.passthrough:
            return values
        distinct = set(values)
        out = self.out
        missing = distinct.difference(out)
        for value in missing:
            out[value], touched, problem = self.plan.convert(value)
            if touched:
                self._note(value, touched)
            if problem:
                self.failed[value] = problem
        result = list(map(out.__getitem__, values))
        if self.notes:
            self._count(values, distinct)
        if self.failed:
            self._failures(values, distinct, failures)
        self._forget(len(distinct), len(missing))
        return result

    def _note(self, value: Any, touched: tuple[int, ...]) -> None:
        if not self.notes:
            self.uniform = touched
        elif touched != self.uniform:
            self.uniform = None
        self.notes[value] = touched

    def _forget(self, distinct: int, missing: int) -> None:
        """Keep values that repeat across blocks (dates, codes); stop keeping those that do
        not (names, addresses), and never keep more than ``CACHE_MAX``."""
        self.seen += distinct
        self.missed += missing
        if self.seen >= LEARN_VALUES:
            # Judged over a window: the first blocks of any field are mostly new values.
            self.keep = self.keep and self.missed < MISS_SHARE * self.seen
            self.seen = self.missed = 0
        if not self.keep or len(self.out) > CACHE_MAX:
            self.out.clear()
            self.notes.clear()
            self.failed.clear()

    def _count(self, values: list, distinct: set) -> None:
        """Rows each step changed. A dict view & a set iterates the smaller: the block's
        values, not the notes, which may hold tens of thousands of dates."""
        hot = self.notes.keys() & distinct
        if not hot:
            return
        steps = self.plan.steps
        if self.uniform is not None and len(hot) == len(distinct):
            for i in self.uniform:  # every row changed the same way (a kana column)
                steps[i].rows += len(values)
            return
        counts = Counter(values)
        for value in hot:
            for i in self.notes[value]:
                steps[i].rows += counts[value]

    def _failures(self, values: list, distinct: set, failures: list[Failure]) -> None:
        for value in self.failed.keys() & distinct:
            problem, text = self.failed[value], self.out[value]
            failures += [(k, self.plan, problem, text) for k, v in enumerate(values) if v == value]
