"""The mapping document: how one export's columns become PMH's fields.

A plain JSON-serialisable dict, so that it can be saved as a version on an integration, exported
and imported by a vendor across its municipalities::

    {"schema": "pmh-layout-doctor/1", "layout": "pmh-medical-subsidy/1",
     "source": {"sheet": null},
     "fields": {
        "myNumber": {"column": "個人番号", "conversions": [{"op": "exponent"}]},
        "basicFiveInfo.name": {"columns": ["氏", "名"], "joiner": "　"},
        "basicFiveInfo.sex": {"column": "性別", "conversions": [
            {"op": "map", "table": {"男": "1", "女": "2"}}]},
        "orgSpecificCertificateTypeId": {"value": "KODOMO01"}}}

A field takes one ``column``, several ``columns`` joined by ``joiner``, or a fixed ``value``;
``conversions`` run in order (``conversions.OPS``). Targets are the layout's CSV headers: every
field's JSON path and ``certificationDetail[N].label`` / ``.value``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from uploads.lib.validation import Layout, load_layout

from .conversions import check_conversion

SCHEMA = "pmh-layout-doctor/1"
MAX_JSON_BYTES = 1 << 20
MAX_CONVERSIONS = 20
_TOP_KEYS = {"schema", "layout", "source", "fields", "title", "note"}
_FIELD_KEYS = {"column", "columns", "joiner", "value", "conversions"}
_CONTROL = re.compile("[\x00-\x1f\x7f]")
# Fixed values make no sense for who the person is.
_NEVER_FIXED = (
    "myNumber",
    "basicFiveInfo.name",
    "basicFiveInfo.nameKana",
    "basicFiveInfo.address",
    "basicFiveInfo.dateOfBirth",
)


class MappingError(ValueError):
    """An imported or edited mapping is not usable; ``errors`` are Japanese sentences."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def new_mapping(layout: str = "pmh-medical-subsidy/1") -> dict[str, Any]:
    return {"schema": SCHEMA, "layout": layout, "source": {"sheet": None}, "fields": {}}


def targets(layout: Layout) -> list[str]:
    """Every target a mapping may name, in the order of the converted file's columns."""
    paths = [f.path for f in layout.fields]
    for n in range(1, layout.list.max_items + 1):
        paths += [layout.list.item_field(n, item.path) for item in layout.list.items]
    return paths


def target_label(layout: Layout, path: str) -> str:
    spec = layout.by_path.get(path)
    if spec is not None:
        return spec.label
    for n in range(1, layout.list.max_items + 1):
        for item in layout.list.items:
            if layout.list.item_field(n, item.path) == path:
                return item.label.format(n=n)
    return path


def check_mapping(doc: Any) -> list[str]:
    """Every problem of a mapping document, in Japanese; an empty list when it is usable."""
    if not isinstance(doc, dict):
        return ["対応表は JSON のオブジェクト（{…}）でなければなりません。"]
    if doc.get("schema") != SCHEMA:
        found = doc.get("schema")
        if isinstance(found, str) and found.startswith("pmh-layout-doctor/"):
            return [
                f"対応表の版「{found[:40]}」はこのコンソールでは読めません（読める版: {SCHEMA}）。"
            ]
        return ["レイアウト診断の対応表ではありません（schema がありません）。"]
    try:
        layout = load_layout(doc.get("layout") if isinstance(doc.get("layout"), str) else "")
    except LookupError:
        return [f"レコードレイアウト「{str(doc.get('layout'))[:40]}」はありません。"]
    errors = [f"不明なキー「{str(k)[:40]}」があります。" for k in doc if k not in _TOP_KEYS]
    errors += _check_source(doc.get("source"))
    fields = doc.get("fields")
    if not isinstance(fields, dict):
        return [*errors, "項目の対応（fields）がありません。"]
    allowed = set(targets(layout))
    used: dict[str, str] = {}
    for path, entry in fields.items():
        if path not in allowed:
            errors.append(f"「{str(path)[:60]}」は PMH のレイアウトにない項目です。")
            continue
        where = f"項目「{target_label(layout, path)}（{path}）」"
        errors += [f"{where}: {e}" for e in _check_entry(path, entry)]
        errors += _check_reuse(layout, path, entry, used)
    return errors


def _check_source(source: Any) -> list[str]:
    if source is None:
        return []
    if not isinstance(source, dict) or set(source) - {"sheet"}:
        return ['読み取り元（source）は {"sheet": シート名または null} の形で指定してください。']
    sheet = source.get("sheet")
    if sheet is not None and not (isinstance(sheet, str) and 0 < len(sheet) <= 100):
        return ["シート名（source.sheet）は100文字以内の文字列か null です。"]
    return []


def _check_entry(path: str, entry: Any) -> list[str]:
    if not isinstance(entry, dict):
        return ['{"column": 列名} などのオブジェクトで指定してください']
    unknown = [k for k in entry if k not in _FIELD_KEYS]
    if unknown:
        return [f"不明なキー「{str(unknown[0])[:40]}」があります"]
    sources = [k for k in ("column", "columns", "value") if k in entry]
    if len(sources) != 1:
        return ["列（column）、複数の列（columns）、固定値（value）のどれか1つを指定してください"]
    errors = _check_source_of(path, sources[0], entry)
    conversions = entry.get("conversions", [])
    if not isinstance(conversions, list) or len(conversions) > MAX_CONVERSIONS:
        return [*errors, f"変換（conversions）は{MAX_CONVERSIONS}個までのリストで指定してください"]
    for i, conversion in enumerate(conversions, start=1):
        errors += [f"変換{i}: {e}" for e in check_conversion(conversion)]
    return errors


def _check_source_of(path: str, kind: str, entry: dict) -> list[str]:
    if kind == "value":
        value = entry["value"]
        if path in _NEVER_FIXED:
            return ["人ごとに違う項目には固定値を設定できません"]
        if not isinstance(value, str) or len(value) > 1000 or _CONTROL.search(value):
            return ["固定値は1000文字以内の文字列で、改行や制御文字を含めないでください"]
        return []
    names = [entry["column"]] if kind == "column" else entry["columns"]
    if kind == "columns" and not (isinstance(names, list) and 2 <= len(names) <= 10):
        return ["複数の列（columns）は2〜10個の列名のリストで指定してください"]
    if not all(isinstance(n, str) and 0 < len(n.strip()) <= 200 for n in names):
        return ["列名は200文字以内の空でない文字列で指定してください"]
    joiner = entry.get("joiner", "")
    if "joiner" in entry and (kind != "columns" or not isinstance(joiner, str) or len(joiner) > 5):
        return ["つなぎの文字（joiner）は複数の列のときだけ、5文字以内で指定できます"]
    return []


def _check_reuse(layout: Layout, path: str, entry: Any, used: dict[str, str]) -> list[str]:
    """Each source column feeds at most one field: a column shared by two is a mistake."""
    if not isinstance(entry, dict):
        return []
    names = entry.get("columns") if "columns" in entry else [entry.get("column")]
    errors = []
    for name in names if isinstance(names, list) else []:
        if not isinstance(name, str):
            continue
        if name in used:
            errors.append(
                f"列「{name[:60]}」が「{target_label(layout, used[name])}」と"
                f"「{target_label(layout, path)}」の両方に割り当てられています。"
                "1つの列は1つの項目にだけ割り当ててください。"
            )
        used.setdefault(name, path)
    return errors


def mapping_to_json(doc: dict) -> str:
    """The mapping as JSON text (UTF-8, indented, keys in a stable order) for export."""
    errors = check_mapping(doc)
    if errors:
        raise MappingError(errors)
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def mapping_from_json(data: str | bytes) -> dict:
    """Parse and check an imported mapping; MappingError with every problem otherwise."""
    if isinstance(data, bytes):
        if len(data) > MAX_JSON_BYTES:
            raise MappingError([f"ファイルが大きすぎます（{MAX_JSON_BYTES // 1024} KiB まで）。"])
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise MappingError(["UTF-8 の JSON ファイルを選んでください。"]) from None
    if len(data) > MAX_JSON_BYTES:
        raise MappingError([f"ファイルが大きすぎます（{MAX_JSON_BYTES // 1024} KiB まで）。"])
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, RecursionError) as exc:
        line = getattr(exc, "lineno", None)
        where = f"{line}行目" if line else "どこか"
        raise MappingError([f"JSON として読めません（{where}に誤りがあります）。"]) from None
    errors = check_mapping(doc)
    if errors:
        raise MappingError(errors)
    return doc
