""" "Did you mean": the known name one or two edits away from an unknown column or JSON key.

The cost per unknown name is bounded whatever the file holds: names longer than
``MAX_COMPARED`` are not compared, a candidate whose length differs by more than the allowed
distance is skipped, and the edit distance stops as soon as it exceeds that distance.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_COMPARED = 64


def allowed_edits(a: str, b: str) -> int:
    """Two edits for names of five characters or more, one for three or four, none below:
    any two-character name is two edits from any other."""
    return min(2, (max(len(a), len(b)) - 1) // 2)


def edit_distance(a: str, b: str, limit: int) -> int | None:
    """Optimal string alignment distance (a swap of neighbours is one edit), or None above
    ``limit``."""
    la, lb = len(a), len(b)
    if abs(la - lb) > limit:
        return None
    before: list[int] | None = None
    previous = list(range(lb + 1))
    for i in range(1, la + 1):
        current = [i] + [0] * lb
        ca = a[i - 1]
        for j in range(1, lb + 1):
            cost = 0 if ca == b[j - 1] else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if before is not None and j > 1 and ca == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, before[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return None
        before, previous = previous, current
    return previous[lb] if previous[lb] <= limit else None


def closest(name: str, candidates: Iterable[tuple[str, str]]) -> str | None:
    """The shown name of the closest candidate within its allowed edits, or None.

    ``candidates`` are (compared form, shown name) pairs in the layout's order; the first of
    equally close candidates wins."""
    if not name or len(name) > MAX_COMPARED:
        return None
    best, best_distance = None, 3
    for compared, shown in candidates:
        limit = min(allowed_edits(name, compared), best_distance - 1)
        if limit < 0:
            continue
        if name == compared:
            return shown
        distance = edit_distance(name, compared, limit) if limit else None
        if distance is not None and distance < best_distance:
            best, best_distance = shown, distance
    return best
