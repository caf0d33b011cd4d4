"""The engine's fast values (clean rows normalised from their cells) equal the detailed check."""

import io

import pytest

from uploads.lib.validation import InMemoryStore, samples, validate_file
from uploads.lib.validation.fastpath import FastRow


def _records(data: bytes, **kwargs):
    out = []
    report = validate_file(io.BytesIO(data), on_record=out.append, workers=1, **kwargs)
    return report, out


@pytest.mark.parametrize("kind", ["csv", "cp932", "jsonl", "json"])
def test_fast_values_equal_the_detailed_check(kind, monkeypatch):
    records = list(samples.planted_records(400, rate=0.05))
    if kind == "csv":
        data = samples.csv_bytes(records)
    elif kind == "cp932":
        data = samples.csv_bytes(records, encoding="cp932", aliases=True)
    else:
        data = samples.json_bytes(records, lines=kind == "jsonl")
    fast_report, fast = _records(data, municipality_code="131016")
    monkeypatch.setattr(FastRow, "line", lambda self, text: None)
    monkeypatch.setattr(FastRow, "cells", lambda self, row: None)
    slow_report, slow = _records(data, municipality_code="131016")
    assert len(fast) > 300
    assert fast == slow
    assert fast_report.to_dict() == slow_report.to_dict()


def test_csv_and_json_of_the_same_data_have_the_same_fingerprints():
    records = samples.records(50)
    _, from_csv = _records(samples.csv_bytes(records))
    _, from_json = _records(samples.json_bytes(records))
    assert [r.fingerprint for r in from_csv] == [r.fingerprint for r in from_json]
    assert [r.values for r in from_csv] == [r.values for r in from_json]


def test_the_store_comparison_uses_fast_rows_too():
    records = samples.records(20)
    _, first = _records(samples.csv_bytes(records))
    store = InMemoryStore((r.key, r.fingerprint) for r in first[:15])
    changed = [dict(r) for r in records]
    changed[0]["segment"] = "特別"
    report, _ = _records(samples.csv_bytes(changed), store=store)
    assert report.diff == {"added": 5, "changed": 1, "unchanged": 14, "removed": 0}
