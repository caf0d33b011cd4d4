"""The JSON Schema of one record of PMH's registration body, built from the layout (issue #20).

Framework-free. The OpenAPI document describes the request with it; the layout stays the one
place that knows the fields, so a new layout version changes the document too.
"""

from __future__ import annotations

from typing import Any

from uploads.lib.validation import Layout, load_layout

_TYPES = {"boolean": {"type": "boolean"}, "integer": {"type": ["integer", "string"]}}


def record_schema(mode: str, layout: Layout | None = None) -> dict[str, Any]:
    """A record as JSON Schema; ``mode`` "diff" makes historyKey and isDeleted required."""
    layout = layout or load_layout()
    root: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
    for spec in layout.fields:
        parent = root
        for part in spec.path.split(".")[:-1]:
            parent = parent["properties"].setdefault(
                part, {"type": "object", "properties": {}, "required": []}
            )
        parent["properties"][spec.leaf] = _field(spec)
        if spec.required_in(mode):
            parent["required"].append(spec.leaf)
    items = layout.list
    root["properties"][items.path] = {
        "type": "array",
        "description": items.label,
        "maxItems": items.max_items,
        "items": {
            "type": "object",
            "properties": {
                item.path: {**_field(item), "description": item.path} for item in items.items
            },
        },
    }
    if items.required in ("always", mode):
        root["required"].append(items.path)
    return root


def _field(spec) -> dict[str, Any]:
    schema = dict(_TYPES.get(spec.kind, {"type": "string"}))
    schema["description"] = spec.label
    if spec.kind == "date":
        schema["format"] = "date"
    if spec.codes:
        schema["enum"] = sorted(spec.codes)
    if spec.length:
        schema["minLength"] = schema["maxLength"] = spec.length
    elif spec.max_length and schema["type"] == "string":
        schema["maxLength"] = spec.max_length
    return schema


def example_record(mode: str) -> dict[str, Any]:
    """A record the console accepts (made-up numbers with valid check digits)."""
    record: dict[str, Any] = {
        "orgSpecificCertificateTypeId": "PMH5401",
        "myNumber": "123456789018",
        "basicFiveInfo": {
            "name": "見本　花子",
            "nameKana": "ミホン　ハナコ",
            "address": "東京都千代田区千代田1-1",
            "dateOfBirth": "2013-01-01",
            "sex": "2",
        },
        "isNotDisclosed": False,
        "medicalSubsidyInsurerNumber": "54131016",
        "certificationName": "特定医療費（指定難病）受給者証",
        "medicalSubsidyRecipientNumber": "0257980",
        "isAlwaysReimbursement": "0",
        "maxCopaymentAmount": {"monthlyCap": 10000},
        "validFrom": "2025-04-01",
        "validTo": "2026-03-31",
        "historyKey": "H0001",
        "certificationDetail": [{"label": "負担上限月額", "value": "10,000円"}],
    }
    if mode == "diff":
        record["isDeleted"] = False
    return record
