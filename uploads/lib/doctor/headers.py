"""Which PMH field a source column's name stands for, from the synonym table (``synonyms.json``).

The table is data: a new vendor name is a line in the JSON file, not code. The layout's own
JSON paths and Japanese names count as exact matches.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from uploads.lib.validation import Layout, load_layout

_SYNONYMS = Path(__file__).with_name("synonyms.json")
_NOISE = re.compile(r"[\s_\-‐・.()\[\]{}（）［］【】「」『』〔〕<>＜＞:：/／]+")

EXACT, OFFICIAL, SYNONYM = 1.0, 1.0, 0.9
PARTIAL_BASE, PARTIAL_SPAN = 0.6, 0.2  # a known name inside a longer header


def header_key(name: str) -> str:
    """Loose form of a header for matching: NFKC, case folded, spaces and brackets removed."""
    return _NOISE.sub("", unicodedata.normalize("NFKC", name.replace("\ufeff", ""))).casefold()


@cache
def synonym_data() -> dict:
    return json.loads(_SYNONYMS.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class HeaderMatch:
    field: str
    score: float
    known: str  # the known name that matched, as written in the layout or the table
    how: str  # "layout", "official", "synonym" or "partial"


class HeaderIndex:
    """Known names of a layout's fields (paths, Japanese names, official and vendor names)."""

    def __init__(self, layout: Layout):
        self.layout = layout
        self.exact: dict[str, list[HeaderMatch]] = {}
        data = synonym_data()
        for spec in layout.fields:
            self._add(spec.path, spec.path, EXACT, "layout")
            self._add(spec.path, spec.label, EXACT, "layout")
        for how, score in (("official", OFFICIAL), ("headers", SYNONYM)):
            for path, names in data[how].items():
                if path in layout.by_path:
                    for name in names:
                        self._add(path, name, score, "synonym" if how == "headers" else how)
        self.personal = [header_key(n) for n in data["personal_headers"]]

    def _add(self, path: str, name: str, score: float, how: str) -> None:
        matches = self.exact.setdefault(header_key(name), [])
        if all(m.field != path for m in matches):
            matches.append(HeaderMatch(path, score, name, how))

    def matches(self, header: str) -> list[HeaderMatch]:
        """Every field the header may stand for, best first (at most one match per field)."""
        key = header_key(header)
        if not key:
            return []
        found = {m.field: m for m in self.exact.get(key, ())}
        for known, matches in self.exact.items():
            # A known name of two characters or more inside a longer header: 受給者生年月日(和暦).
            if len(known) >= 2 and known != key and known in key:
                score = PARTIAL_BASE + PARTIAL_SPAN * len(known) / len(key)
                for m in matches:
                    best = found.get(m.field)
                    if best is None or best.score < score:
                        found[m.field] = HeaderMatch(m.field, round(score, 2), m.known, "partial")
        return sorted(found.values(), key=lambda m: -m.score)

    def is_known(self, header: str) -> bool:
        return header_key(header) in self.exact

    def looks_personal(self, header: str) -> bool:
        key = header_key(header)
        return any(p and p in key for p in self.personal)


@cache
def header_index(layout_id: str = "pmh-medical-subsidy/1") -> HeaderIndex:
    return HeaderIndex(load_layout(layout_id))
