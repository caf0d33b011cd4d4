"""A JSON record decoded straight into the fast path's cells, without a dict per record.

msgspec decodes a record's bytes into structs made for the layout (one per object: the record,
each parent such as ``basicFiveInfo``, each list item), which refuse an unknown key or a value
of a type the fast path would refuse anyway. The cells then come from the structs' tuples by
straight-line code generated for the layout, as ``JsonCells.strict`` makes them from a dict.

:func:`decoder` gives ``decode(raw)``: the cells and the number of keys in all the record's
objects (for ``jsonfast.has_repeated_key``), equal to what ``JsonCells.strict`` gives for
``orjson.loads(raw)``; or None whenever it is not sure, and the caller then takes the orjson way
as before (a syntax error, a type msgspec refuses, an unknown key, an integer orjson would not
read as one). A missing key decodes as ``UNSET``, so that the keys written can be counted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Union

try:
    import msgspec
except ImportError:  # pragma: no cover - the orjson way then takes every record
    msgspec = None

ENABLED = msgspec is not None  # tests switch it off to compare both ways
MAX_U64 = (1 << 64) - 1  # orjson reads a larger integer as a float, which the fast path refuses

Decoded = tuple[list[str], int]


def available() -> bool:
    return ENABLED and msgspec is not None


def _struct(name: str, fields: list[tuple[str, Any, Any]]) -> type:
    """A struct whose fields are called f0, f1, ... and carry the JSON keys as their names."""
    specs, rename = [], {}
    for i, (key, kind, default) in enumerate(fields):
        specs.append((f"f{i}", kind) if default is _REQUIRED else (f"f{i}", kind, default))
        rename[f"f{i}"] = key
    return msgspec.defstruct(name, specs, rename=rename, forbid_unknown_fields=True, kw_only=True)


_REQUIRED = object()


def decoder(cells) -> Callable[[bytes], Decoded | None] | None:
    """``decode(raw)`` for the layout of ``cells`` (a ``fastpath.JsonCells``), or None without
    msgspec."""
    if not available():
        return None
    unset = msgspec.UNSET
    text = Union[str, None, msgspec.UnsetType]  # noqa: UP007 (msgspec wants typing forms)
    boolean = Union[bool, None, msgspec.UnsetType]  # noqa: UP007
    number = Union[int, str, None, msgspec.UnsetType]  # noqa: UP007
    kinds = {0: text, 1: boolean, 2: number}

    parents: dict[str, list[tuple[int, str, int]]] = {p: [] for p in cells.parents}
    top: list[tuple[str, Any, Any]] = []  # the record's own keys, in order
    top_index: dict[str | None, int] = {}
    cell_source: list[tuple[str | None, int, int]] = []  # (parent, index in its tuple, mode)
    for parent, leaf, mode in cells.plan:
        if parent is None:
            top_index[leaf] = len(top)
            top.append((leaf, kinds[mode], unset))
            cell_source.append((None, top_index[leaf], mode))
        else:
            fields = parents[parent]
            cell_source.append((parent, len(fields), mode))
            fields.append((len(fields), leaf, mode))
    namespace: dict[str, Any] = {}
    for i, parent in enumerate(cells.parents):
        struct = _struct(f"Parent{i}", [(leaf, kinds[m], unset) for _, leaf, m in parents[parent]])
        namespace[f"P{i}"] = struct
        top_index[parent] = len(top)
        top.append((parent, Union[struct, None, msgspec.UnsetType], unset))  # noqa: UP007
    item = _struct("Item", [(part, text, unset) for part in cells.parts])
    top_index[cells.list_path] = len(top)
    top.append((cells.list_path, list[item], _REQUIRED))  # missing or null: the orjson way
    record = _struct("Record", top)

    code = [
        "def decode(raw):",
        "    try:",
        "        t = astuple(dec(raw))",
        "    except Failed:",
        "        return None",
        f"    n = {len(top)} - t.count(UNSET)",
    ]
    names = {None: "t"}
    for i, parent in enumerate(cells.parents):
        h, size = f"h{i}", len(parents[parent])
        names[parent] = h
        code += [
            f"    {h} = t[{top_index[parent]}]",
            f"    if type({h}) is P{i}:",
            f"        {h} = astuple({h})",
            f"        n += {size} - {h}.count(UNSET)",
            "    else:",
            f"        {h} = EMPTY{i}",
        ]
        namespace[f"EMPTY{i}"] = ("",) * size
    code += [
        f"    items = t[{top_index[cells.list_path]}]",
        "    if len(items) > MAX_ITEMS:",
        "        return None",
    ]
    values = []
    for k, (parent, at, mode) in enumerate(cell_source):
        v = f"v{k}"
        source = f"{names[parent]}[{at}]"
        if mode == 0:
            values.append(f"{source} or ''")
            continue
        values.append(v)
        code.append(f"    {v} = {source}")
        if mode == 1:
            code += [
                f"    {v} = '1' if {v} is True else '0' if {v} is False else ''",
            ]
        else:
            code += [
                f"    if type({v}) is int:",
                f"        if {v} > MAX_U64:",
                "            return None",
                f"        {v} = str({v})",
                f"    elif not {v}:",
                f"        {v} = ''",
            ]
    code.append(f"    row = [{', '.join(values)}]")
    parts = [f"x{i}" for i in range(len(cells.parts))]
    code += [
        "    append = row.append",
        "    for item in items:",
        f"        {', '.join(parts)}, = a = astuple(item)",
        f"        n += {len(parts)} - a.count(UNSET)",
        *(f"        append({x} or '')" for x in parts),
        "    return row, n",
    ]
    namespace.update(
        astuple=msgspec.structs.astuple,
        dec=msgspec.json.Decoder(record).decode,
        Failed=msgspec.MsgspecError,
        UNSET=unset,
        MAX_U64=MAX_U64,
        MAX_ITEMS=len(cells.pad) // len(cells.parts),
    )
    exec(compile("\n".join(code) + "\n", "<json struct cells>", "exec"), namespace)  # noqa: S102
    return namespace["decode"]
