"""Accepted records staged to files: two cores give what one gives, and the store stays exact."""

import json

import pytest

from tests.uploads.submission_helpers import csv_file, delete_row, diff_records, full_records
from tests.uploads.submission_helpers import receive as _receive
from uploads import processing
from uploads.lib.keyindex import KeyIndex, engine_digest, key_digest, key_text
from uploads.lib.validation import InMemoryStore, parallel, samples, validate_file
from uploads.lib.validation.stage import StageSpec, read_rows, sealed_key
from uploads.models import StoredRecord, Verdict


def _staged(spec: StageSpec) -> tuple[list, list]:
    records = [row for path in spec.record_files() for row in read_rows(path)]
    deletes = [row for p in spec.parts() for row in read_rows(spec.deletes_path(p))]
    return records, deletes


@pytest.mark.parametrize("unchanged_values", [True, False])
def test_two_cores_stage_exactly_what_one_process_reports(tmp_path, unchanged_values):
    records = list(samples.planted_records(3000, rate=0.01))
    path = tmp_path / "data.csv"
    path.write_bytes(samples.csv_bytes(records, encoding="cp932", aliases=True))
    seen = []
    base = validate_file(path, on_record=seen.append, workers=1, municipality_code="131016")
    assert base.accepted is False or base.accepted  # planted errors may reject: both compared
    store = InMemoryStore((r.key, r.fingerprint) for r in seen[::3])
    changed = InMemoryStore((r.key, "0" * 32) for r in seen[1::3])
    for key in changed.keys():
        store.put(key, "0" * 32)
    reference = []
    expected = validate_file(
        path, on_record=reference.append, store=store, workers=1, municipality_code="131016"
    )
    results = []
    for workers in (1, 2):
        spec = StageSpec(str(tmp_path / f"w{workers}"), 7, 9, unchanged_values)
        (tmp_path / f"w{workers}").mkdir()
        report = validate_file(
            path, stage=spec, store=store, workers=workers, municipality_code="131016"
        )
        assert report.to_dict() == expected.to_dict()
        results.append(_staged(spec))
        assert spec.parts() == ([0] if workers == 1 else [0, 1])
    assert results[0] == results[1]
    staged, deletes = results[0]
    assert deletes == []
    assert len(staged) == len(reference) > 2500
    digests = [int(row[2]) for row in staged]
    assert [d >> 56 for d in digests] == sorted(d >> 56 for d in digests)  # bucket after bucket
    by_key = {}  # a repeated key's rows, in file order: the same bucket keeps it
    for row in staged:
        by_key.setdefault(row[1], []).append(row)
    for record in reference:
        text = key_text(record.key)
        row = by_key[text].pop(0)
        assert row[:4] == ["7", text, str(key_digest(text)), record.fingerprint]
        assert row[5] == "9"
        same = store.fingerprint(record.key) == record.fingerprint
        if same and not unchanged_values:
            assert row[4] is None
        else:
            values = {k: v for k, v in record.values.items() if v is not None}
            assert json.loads(row[4]) == values


@pytest.mark.parametrize("workers", [1, 2])
def test_sealed_records_are_copied_in_the_order_of_their_stored_key_hash(tmp_path, workers):
    """The store's unique index leads with the stored (sealed) key hash: the records files,
    taken in copy order, must follow its top byte, not the engine digest's."""
    path = tmp_path / "data.csv"
    path.write_bytes(samples.csv_bytes(samples.records(3000), encoding="cp932", aliases=True))
    spec = StageSpec(str(tmp_path / "stage"), 7, 9, secret=b"k" * 32)
    (tmp_path / "stage").mkdir()
    report = validate_file(path, stage=spec, workers=workers, municipality_code="131016")
    assert report.accepted
    staged, _ = _staged(spec)
    assert len(staged) == 3000
    digests = [int(row[2]) for row in staged]
    assert [d >> 56 for d in digests] == sorted(d >> 56 for d in digests)
    files = spec.record_files()
    assert len(files) > 200  # spread over the buckets, not one file
    for file in files:
        bucket = int(file.stem.split("-")[2])
        assert {int(row[2]) >> 56 for row in read_rows(file)} == {bucket - 128}


def test_a_key_index_looks_up_by_the_engine_digest():
    index = KeyIndex([(key_digest("a\x1fb"), "ab" * 16)])
    from uploads.lib.validation.tally import key_digest as engine_digest

    assert index.by_digest(engine_digest("a\x1fb")) == "ab" * 16
    assert index.by_digest(engine_digest("a\x1fc")) is None


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _store(integration) -> dict:
    return dict(
        StoredRecord.objects.filter(integration=integration).values_list("key", "fingerprint")
    )


def _values(integration) -> dict:
    return dict(StoredRecord.objects.filter(integration=integration).values_list("key", "values"))


@pytest.mark.django_db
def test_two_core_submissions_change_the_store_like_one_core(cast, jobs, monkeypatch):
    records = full_records(40)
    changed = [dict(r) for r in records[:35]]
    for r in changed[::5]:
        r["segment"] = "特別"
    outcomes = []
    for n, min_bytes in enumerate((1 << 40, 1)):  # one process, then every file on two cores
        monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", min_bytes)
        StoredRecord.objects.all().delete()
        tail = b"\r\n" * n  # other bytes than last time (not a duplicate), the same records
        with jobs():
            first = _receive(cast.integration_a, csv_file(records) + tail, name="1.csv")
        with jobs():
            second = _receive(cast.integration_a, csv_file(changed) + tail, name="2.csv")
        first.refresh_from_db()
        second.refresh_from_db()
        assert first.verdict == second.verdict == Verdict.ACCEPTED
        outcomes.append(
            (first.report, second.report, _store(cast.integration_a), _values(cast.integration_a))
        )
    assert outcomes[0] == outcomes[1]
    assert outcomes[1][1]["diff"] == {"added": 0, "changed": 7, "unchanged": 28, "removed": 5}


@pytest.mark.django_db
def test_diff_files_apply_deletes_and_upserts_from_staged_files(cast, jobs):
    records = diff_records(6)
    with jobs():
        _receive(cast.integration_a, csv_file(records), mode="full", name="1.csv")
    update = dict(records[1], segment="特別")
    with jobs():
        diff = _receive(cast.integration_a, csv_file([delete_row(records[0]), update]), mode="diff")
    diff.refresh_from_db()
    assert diff.report["diff"] == {"inserted": 0, "updated": 1, "deleted": 1}
    assert len(_store(cast.integration_a)) == 5


@pytest.mark.django_db
def test_a_store_changed_during_validation_is_noticed_and_the_file_staged_again(
    cast, jobs, monkeypatch
):
    records = full_records(12)
    with jobs():
        _receive(cast.integration_a, csv_file(records), mode="full", name="1.csv")
    snapshot = processing.load_index(cast.integration_a.pk)  # as read by a slow submission
    expected = _store(cast.integration_a)
    changed = [dict(r) for r in records]
    changed[3]["segment"] = "特別"
    with jobs():
        _receive(cast.integration_a, csv_file(changed), mode="full", name="2.csv")
    assert _store(cast.integration_a) != expected
    calls = []
    real = processing.load_index

    def stale_once(integration_id):
        calls.append(integration_id)
        return snapshot if len(calls) == 1 else real(integration_id)

    monkeypatch.setattr(processing, "load_index", stale_once)
    with jobs():
        third = _receive(cast.integration_a, csv_file(records) + b"\r\n", name="3.csv")
    third.refresh_from_db()
    assert len(calls) == 2  # validated again with a fresh index
    assert third.verdict == Verdict.ACCEPTED
    assert third.report["diff"] == {"added": 0, "changed": 1, "unchanged": 11, "removed": 0}
    assert _store(cast.integration_a) == expected
    assert third.issues.count() == 0


@pytest.mark.django_db
def test_the_engine_index_holds_every_stored_fingerprint(cast, jobs):
    records = full_records(30)
    with jobs():
        _receive(cast.integration_a, csv_file(records), mode="full", name="1.csv")
    stored = StoredRecord.objects.filter(integration=cast.integration_a)
    index = processing.load_index(cast.integration_a.pk)
    assert len(index) == stored.count() == 30
    fingerprints = dict(stored.values_list("key", "fingerprint"))
    fields = ("orgSpecificCertificateTypeId", "myNumber", "certificationSubKey", "historyKey")
    for record in records:
        text = "\x1f".join(record.get(k) or "" for k in fields)
        # the engine asks by its own digest of the key; the store holds only sealed forms
        assert index.by_digest(engine_digest(text)) == fingerprints[sealed_key(index.secret, text)]
    assert len(processing.load_index(cast.integration_b.pk)) == 0
