"""The engine's fast values (clean rows normalised from their cells) equal the detailed check."""

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uploads.lib.validation import InMemoryStore, fastpath, samples, validate_file
from uploads.lib.validation.csvfile import header_targets
from uploads.lib.validation.fastpath import FastValues, JsonCells, json_columns
from uploads.lib.validation.fastrecord import FastRecord
from uploads.lib.validation.layout import load_layout
from uploads.lib.validation.stage import StageSpec, read_rows, values_json
from uploads.lib.validation.tally import fingerprint


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
    monkeypatch.setattr(fastpath, "ENABLED", False)  # every row the detailed way
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


def _columns_and_rows(kind: str):
    layout = load_layout()
    records = samples.records(200)
    if kind == "json":
        cells = JsonCells(layout)
        return layout, json_columns(layout), [cells.cells(r) for r in records]
    rows = list(csv.reader(io.StringIO(samples.csv_bytes(records).decode("utf-8"))))
    targets, _ = header_targets(rows[0], layout, "full")
    return layout, targets, rows[1:]


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_fast_records_equal_the_fingerprint_and_json_of_fast_values(kind):
    layout, columns, rows = _columns_and_rows(kind)
    rows[1][2] = 'quote " and back\\slash'
    rows[2][15] = "tab\tand\r\nline break"
    rows[3] = ["" if i > 2 else cell for i, cell in enumerate(rows[3])]
    record, values = FastRecord(layout, columns), FastValues(layout, columns).values
    for row in rows:
        assert record.fingerprint(row) == fingerprint(values(row), layout)
        assert record.document(row) == values_json(values(row))


@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(st.lists(st.integers(0, 20), min_size=1, max_size=12), st.integers(0, 1000))
def test_json_rows_are_fingerprinted_without_padding_as_padded(items, seed):
    """A JSON row stops after its last item (JsonCells.strict): its fingerprint is that of the
    padded row, whatever the number of items, empty items and empty cells included."""
    layout = load_layout()
    cells, record = JsonCells(layout), FastRecord(layout, json_columns(layout))
    rows = []
    for n, count in enumerate(items):
        data = samples.records(1, seed=seed + n)[0]
        detail = [{"label": f"項目{i}", "value": "" if i % 3 else f"値{i}"} for i in range(count)]
        if count > 1:
            detail[1] = {"label": "", "value": ""}  # an empty item among the others
        data["certificationDetail"] = detail
        row, _ = cells.strict()(json.loads(json.dumps(data)))
        assert len(row) == len(layout.fields) + 2 * count
        rows.append(row)
    rows.append(rows[0] + ["x"])  # a length no strict row has: the general way
    assert record.strict_fingerprints(rows, cells.padded) == [
        record.fingerprint(cells.padded(row)) for row in rows
    ]


# Values of real municipal files (issue 19): each either proved clean by the fast path or sent
# to the detailed check, which must then give the same report and the same records.
_MUNICIPAL = {
    "basicFiveInfo.nameKana": [
        "スミス・ジョン", "グエン＝アン", "ヤマダ タロウ", "ヤマダ  タロウ", "ヤマ〓", "ﾔﾏﾀﾞ",
        " ヤマダ", "ヴァーチャル\u3000ヶ",
    ],
    "basicFiveInfo.name": [
        "山田\u3000\ue000郎", "●田", "山田\n太郎", "髙橋\u3000一郎", "スミス ジョン",
    ],
    "basicFiveInfo.address": [
        "東京都港区\n芝公園", "東京都港区\r\n芝公園", "東京都\uf8ff区", "東京都〓区\n1", "a\tb",
        "東京都千代田区霞が関1-2-2",
    ],
    "basicFiveInfo.sex": ["0", "1", "2", "3", "1 ", 1],
    "basicFiveInfo.dateOfBirth": ["2001-2-3", "2001/2/3", "20010203", "4120101", "2001-02-03"],
    "medicalSubsidyInsurerNumber": [
        "01131010", "39131016", samples.insurer_number("12"), samples.insurer_number("16"),
        samples.insurer_number("81"), samples.insurer_number("81")[:-1] + "0", "54131016 ",
        samples.insurer_number("54", "27"), samples.insurer_number("46"),
    ],
    "medicalSubsidyRecipientNumber": ["1234566", "1234567", "234566", '="1234566"', "'1234566"],
    "isAlwaysReimbursement": ["0", "1", 0],
    "validFrom": ["2024-4-1", "2025-04-01", "2026-04-01"],
    "memo": ["x"],
}  # fmt: skip


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
@given(st.data())
def test_fast_path_equals_the_detailed_check_on_municipal_values(data):
    records = samples.records(6, seed=data.draw(st.integers(0, 1000)))
    for record in records:
        for path in data.draw(st.lists(st.sampled_from(sorted(_MUNICIPAL)), max_size=3)):
            samples._set(record, path, data.draw(st.sampled_from(_MUNICIPAL[path])))
    kind = data.draw(st.sampled_from(["csv", "cp932", "json", "jsonl"]))
    options = {
        "municipality_code": data.draw(st.sampled_from([None, "131016"])),
        "insurer_check": data.draw(st.sampled_from(["error", "warning"])),
        "programs": data.draw(st.sampled_from([(), ("12131012",)])),
    }
    if kind in ("csv", "cp932"):
        flat = [{k: v for k, v in r.items() if k != "memo"} for r in records]
        encoding = "cp932" if kind == "cp932" else "utf-8"
        blob = samples.csv_bytes(flat, encoding=encoding).decode(encoding)
        payload = blob.encode(encoding, "replace")
    else:
        payload = samples.json_bytes(records, lines=kind == "jsonl")
    fast_report, fast = _records(payload, **options)
    fast_staged = _staged(payload, **options)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastpath, "ENABLED", False)  # every row the detailed way
        slow_report, slow = _records(payload, **options)
        slow_staged = _staged(payload, **options)
    assert fast == slow
    assert fast_report.to_dict() == slow_report.to_dict()
    assert fast_staged == slow_staged  # FastRecord's stored form equals the detailed one's


def _staged(payload: bytes, **options) -> dict[str, str]:
    """The files the engine stages for the store (clean rows through ``fastrecord.py``)."""
    with tempfile.TemporaryDirectory() as directory:
        report = validate_file(io.BytesIO(payload), stage=StageSpec(directory), **options)
        files = {p.name: list(read_rows(p)) for p in sorted(Path(directory).iterdir())}
    for name, rows in files.items():  # the values as data: FastRecord orders their keys by kind
        for row in rows:
            if len(row) > 4 and row[4] is not None:
                row[4] = json.loads(row[4])
            if name.startswith("records-"):
                # The line hash: only rows the fast path read from a CSV line have one (the
                # detailed check does not hash lines); it is no part of the stored values.
                assert len(row) == 7
                del row[6]
    return {"report": report.to_json(), **files}
