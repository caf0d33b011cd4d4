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
LEARN_VALUES = 50_000  # values looked at before deciding whether a field's values repeat
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
        self.notes: dict[Any, tuple[tuple[int, ...], tuple[str, str] | None]] = {}
        self.seen = self.missed = 0  # distinct values per block, and those not kept before
        self.uniform: tuple[int, ...] | None = None  # the steps every noted value went through

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
            text, touched, problem = self.plan.convert(value)
            out[value] = text
            if touched or problem:
                self._note(value, touched, problem)
        result = list(map(out.__getitem__, values))
        if self.notes:
            self._count(values, distinct, failures)
        self._forget(len(distinct), len(missing))
        return result

    def _note(self, value: Any, touched: tuple[int, ...], problem) -> None:
        if not self.notes:
            self.uniform = None if problem else touched
        elif problem or touched != self.uniform:
            self.uniform = None
        self.notes[value] = (touched, problem)

    def _forget(self, distinct: int, missing: int) -> None:
        """Keep values that repeat across blocks (dates, codes); drop those that do not
        (names, addresses), and never keep more than ``CACHE_MAX``."""
        self.seen += distinct
        self.missed += missing
        keep = self.seen < LEARN_VALUES or self.missed < MISS_SHARE * self.seen
        if not keep or len(self.out) > CACHE_MAX:
            self.out.clear()
            self.notes.clear()

    def _count(self, values: list, distinct: set, failures: list[Failure]) -> None:
        """Rows each step changed, and the rows whose value could not be converted."""
        notes = self.notes
        # A dict view & a set iterates the smaller: the block's values, not the notes, which
        # may hold tens of thousands of dates.
        hot = notes.keys() & distinct
        if not hot:
            return
        steps = self.plan.steps
        if self.uniform is not None and len(hot) == len(distinct):
            for i in self.uniform:  # every row changed the same way (a kana column)
                steps[i].rows += len(values)
            return
        counts = Counter(values)
        for value in hot:
            touched, problem = notes[value]
            for i in touched:
                steps[i].rows += counts[value]
            if problem is not None:
                text = self.out[value]
                failures += [
                    (k, self.plan, problem, text) for k, v in enumerate(values) if v == value
                ]
