"""The stored form of a clean row, straight from its cells, by code generated per column order.

For a row the fast path proved clean (``fastpath.py``), the fingerprint (``tally.fingerprint``)
and the compact JSON of its values (``stage.values_json``) are what the console stages. Building
a dict of values per row and walking it twice took most of the time of a million-row file, so
this module generates, for one layout and one file's columns, two functions that are each a
single expression over the cells. They give exactly what :class:`FastValues` followed by
``fingerprint`` and ``values_json`` give (the tests compare them); a row whose text would need
JSON escaping (a quote, a backslash, a tab or line break) takes that general way instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from hashlib import blake2b
from itertools import repeat

from .fastpath import FastValues
from .layout import Layout
from .stage import values_json
from .tally import Tally, line_hasher

# Clean rows hold no other control character (fastpath._NEVER).
_NEEDS_ESCAPE = re.compile('["\\\\\t\n\r]').search
_BOOLEAN_TOKENS = {"": "\x00", "0": "\x010", "1": "\x011", "false": "\x010", "true": "\x011"}
_BOOLEAN_JSON = {"0": "false", "1": "true", "false": "false", "true": "true"}
_NONE = "\x00"  # tally._token(None)
_HASH16 = partial(blake2b, digest_size=16)


class FastRecord:
    """``fingerprint(cells)`` and ``document(cells)`` of a clean row laid out in ``columns``."""

    def __init__(self, layout: Layout, columns: Sequence[tuple | None]):
        self._values = FastValues(layout, columns).values
        index = {t[1].path: i for i, t in enumerate(columns) if t is not None and t[0] == "field"}
        tokens, text, booleans, integers, escapable = [], [], [], [], []
        for spec in layout.fields:
            i = index.get(spec.path)
            if i is None:
                tokens.append(repr(_NONE))
                continue
            cell, name = f"c[{i}]", _literal(f",{json.dumps(spec.path, ensure_ascii=False)}:")
            if spec.kind == "boolean":
                tokens.append(f"_BOOLEAN_TOKENS[{cell}.lower()]")
                booleans.append(f"(f'{name}{{_BOOLEAN_JSON[{cell}.lower()]}}' if {cell} else '')")
            elif spec.kind == "integer":  # a clean integer is canonical: str(int(v)) == v
                tokens.append(f"('\\x02' + {cell} if {cell} else {_NONE!r})")
                integers.append(f"(f'{name}{{{cell}}}' if {cell} else '')")
            else:
                tokens.append(f"({cell} or {_NONE!r})")
                text.append(f"(f'{name}\"{{{cell}}}\"' if {cell} else '')")
                escapable.append(cell)
        item_tokens, items, ends = self._items(layout, columns, escapable)
        list_name = repr(f",{json.dumps(layout.list.path, ensure_ascii=False)}:[")
        fields_text = f"'\\x1f'.join(({', '.join(tokens)},))"
        fingerprint_text = f"{fields_text} + {' + '.join(item_tokens)}"
        # One join of fragments that each start with a comma; the first comma is dropped.
        fields = ", ".join([*text, *booleans, *integers, list_name])
        listed = ", ".join([*items, "''"])
        document = f"'{{' + ''.join(({fields}, ''.join(({listed}))[1:], ']'))[1:] + '}}'"
        checked = ", ".join([*escapable, "''"])
        source = (
            f"def fingerprint_text(c):\n    return {fingerprint_text}\n"
            f"def document(c):\n"
            f"    if _needs_escape(''.join(({checked}))):\n"
            f"        return None\n"
            f"    return {document}\n"
        )
        namespace = {
            "_BOOLEAN_TOKENS": _BOOLEAN_TOKENS,
            "_BOOLEAN_JSON": _BOOLEAN_JSON,
            "_needs_escape": _NEEDS_ESCAPE,
            "_quoted": _quoted,
        }
        # A row that stops after its last item (a JSON row of ``JsonCells.strict``): one text
        # per length, over the item groups it holds, instead of padding it and walking the
        # empty groups (when every field comes first and the whole item groups follow in order).
        width, per_item = len(index), len(layout.list.items)
        lengths = [width + n * per_item for n in range(len(ends) + 1)]
        strict = sorted(index.values()) == list(range(width)) and ends == lengths[1:]
        strict_lengths = lengths if strict else []
        for n in range(len(strict_lengths)):
            joined = " + ".join([fields_text, *item_tokens[1 : n + 1]])
            source += f"def fingerprint_text_{n}(c):\n    return {joined}\n"
        exec(compile(source, f"<fast record {layout.id}>", "exec"), namespace)  # noqa: S102
        self._fingerprint_text: Callable[[Sequence[str]], str] = namespace["fingerprint_text"]
        self._document: Callable[[Sequence[str]], str | None] = namespace["document"]
        self._strict_texts: dict[int, Callable[[Sequence[str]], str]] = {
            length: namespace[f"fingerprint_text_{n}"] for n, length in enumerate(strict_lengths)
        }

    @staticmethod
    def _items(layout: Layout, columns, escapable: list[str]) -> tuple[list, list, list]:
        """Per item group: its fingerprint token and its JSON, each empty when the group is,
        and where its columns end (-1: some part is not a column)."""
        groups: dict[int, dict[str, int]] = {}
        for i, target in enumerate(columns):
            if target is not None and target[0] == "item":
                groups.setdefault(target[1], {})[target[2]] = i
        parts = [item.path for item in layout.list.items]
        tokens, items, ends = ["''"], [], []
        for n in sorted(groups):
            at = groups[n]
            # Where the group's columns end, when it has all the parts.
            ends.append(max(at.values()) + 1 if len(at) == len(parts) else -1)
            present = [part for part in parts if part in at]
            cells = [f"c[{at[part]}]" for part in present]
            escapable.extend(cells)
            filled = f"({' or '.join(cells)})"
            token = " + '\\x1f' + ".join(
                f"(c[{at[part]}] or {_NONE!r})" if part in at else repr(_NONE)
                for part in sorted(parts)
            )
            tokens.append(f"('\\x1f\\x1e' + {token} if {filled} else '')")
            members = [
                f"{_literal(json.dumps(part, ensure_ascii=False))}:{{_quoted(c[{at[part]}])}}"
                for part in present
            ]
            members += [_literal(f"{json.dumps(p, ensure_ascii=False)}:null") for p in parts
                        if p not in at]  # fmt: skip
            items.append(f"(f',{{{{{','.join(members)}}}}}' if {filled} else '')")
        return tokens, items, ends

    def fingerprint(self, cells: Sequence[str]) -> str:
        text = self._fingerprint_text(cells)
        return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    def fingerprints(self, cells: Iterable[Sequence[str]]) -> list[str]:
        """:meth:`fingerprint` of many rows, by map()."""
        texts = map(self._fingerprint_text, cells)
        encoded = map(str.encode, texts, repeat("utf-8"), repeat("surrogatepass"))
        return list(map(blake2b.hexdigest, map(_HASH16, encoded)))

    def strict_fingerprints(self, rows: Iterable[Sequence[str]],
                            pad: Callable[[list], list]) -> list[str]:  # fmt: skip
        """:meth:`fingerprints` of rows that stop after their last item (JSON rows), without
        padding them (``pad`` completes a row of another length, if any)."""
        texts = self._strict_texts
        if not texts:
            return self.fingerprints(map(pad, rows))
        general = self._fingerprint_text

        def text(row: Sequence[str]) -> str:
            made = texts.get(len(row))
            return made(row) if made is not None else general(pad(row))

        encoded = map(str.encode, map(text, rows), repeat("utf-8"), repeat("surrogatepass"))
        return list(map(blake2b.hexdigest, map(_HASH16, encoded)))

    def fingerprint_digest(self, cells: Sequence[str]) -> bytes:
        """:meth:`fingerprint` as its 16 bytes."""
        text = self._fingerprint_text(cells)
        return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def document(self, cells: Sequence[str]) -> str:
        """The values as compact JSON without absent values (``stage.values_json``)."""
        document = self._document(cells)
        return document if document is not None else values_json(self._values(cells))


def clean_cells(text: str) -> list[str]:
    """The cells of a CSV line the fast path proved clean (``FastRow.line``): each cell is
    unquoted (no comma, no quote) or wholly quoted without a quote inside, so splitting at the
    quotes gives what ``csv.reader`` gives, without a reader per line."""
    body = text.rstrip("\r\n")
    if '"' not in body:
        return body.split(",")
    parts = body.split('"')
    cells = parts[0].split(",")
    for i in range(1, len(parts) - 1, 2):
        rest = parts[i + 1].split(",")
        cells[-1] = parts[i]  # the cell the quote opened (empty before it)
        cells.extend(rest[1:])  # rest[0] is empty: a closing quote ends its cell
    return cells


def _literal(text: str) -> str:
    """``text`` as it stands inside a generated f'…' string (layout paths: no quote, no \\)."""
    if "'" in text or "\\" in text:
        raise ValueError(f"unexpected character in a layout path: {text!r}")
    return text.replace("{", "{{").replace("}", "}}")


def _quoted(value: str) -> str:
    return f'"{value}"' if value else "null"


def use_fast_values(tally: Tally, layout: Layout, columns: Sequence[tuple | None],
                    source: str, rules: tuple = ()) -> None:  # fmt: skip
    """Let the tally take the values of clean rows laid out in ``columns`` from their cells,
    and when they only go to stage files, their stored form (:class:`FastRecord`) and the hash
    of the text each was read from. ``source``: ``csv`` (rows come as lines, for
    ``Tally.fast_batch``) or ``json`` (rows come as cells with their element's bytes);
    ``rules``: ``tally.rules_context`` of the checks, for the line hash."""
    tally.fast_values = FastValues(layout, columns).values
    if source == "csv":
        tally.cells_of = clean_cells
    if tally.stage is not None and tally.on_record is None:
        tally.fast_stage = FastRecord(layout, columns)
        tally.line_hasher = line_hasher(tally.stage.secret, layout, columns, source, rules)
