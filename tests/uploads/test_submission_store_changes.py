"""A full file against a filled store stages only what changed (issue 21.3), and stays exact."""

import csv
import hmac
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.uploads.submission_helpers import csv_file, full_records
from tests.uploads.submission_helpers import receive as _receive
from uploads import processing
from uploads.lib.keyindex import KeyIndex
from uploads.lib.validation import samples, validate_file
from uploads.lib.validation.fastrecord import clean_cells
from uploads.lib.validation.stage import StageSpec, read_rows, sealed_digest, sealed_key
from uploads.models import StoredRecord, Verdict


@given(st.binary(max_size=100), st.text(max_size=40), st.binary(min_size=8, max_size=8))
def test_sealed_forms_are_hmac_sha256(secret, text, digest):
    mac = hmac.digest(secret, text.encode("utf-8", "surrogatepass"), "sha256")
    assert sealed_key(secret, text) == mac.hex()
    mac = hmac.digest(secret, digest, "sha256")
    assert sealed_digest(secret, digest) == int.from_bytes(mac[:8], "big", signed=True)


_CELL = st.text(st.characters(blacklist_characters='"\r\n', blacklist_categories=("Cs",)))


@given(st.lists(st.tuples(_CELL, st.booleans()), min_size=1, max_size=8),
       st.sampled_from(["", "\n", "\r\n"]))  # fmt: skip
def test_clean_lines_split_like_the_csv_module(cells, end):
    # A clean line (fastpath): each cell unquoted without comma, or wholly quoted.
    line = ",".join(f'"{c}"' if quoted or "," in c else c for c, quoted in cells) + end
    if line.strip("\r\n"):
        assert clean_cells(line) == next(csv.reader((line,)))


def _index(spec_dir, path, secret) -> KeyIndex:
    """The store a first file leaves: its staged key hashes and fingerprints."""
    spec = StageSpec(str(spec_dir), 1, 2, True, secret)
    spec_dir.mkdir()
    assert validate_file(path, stage=spec, workers=1, municipality_code="131016").accepted
    pairs = [(int(row[2]), row[3]) for p in spec.record_files() for row in read_rows(p)]
    return KeyIndex(pairs, secret=secret)


@pytest.mark.parametrize("secret", [b"", b"k" * 32])
def test_only_added_and_changed_records_are_staged(tmp_path, secret):
    records = samples.records(600, seed=3)
    first = tmp_path / "1.csv"
    first.write_bytes(csv_file(records))
    index = _index(tmp_path / "first", first, secret)
    changed = [dict(r) for r in records[:550]] + samples.records(30, seed=4)  # 50 removed
    for r in changed[:550:10]:
        r["segment"] = "特別" if r.get("segment") != "特別" else "一般"
    second = tmp_path / "2.csv"
    second.write_bytes(csv_file(changed))
    results = []
    for workers in (1, 2):
        spec = StageSpec(str(tmp_path / f"w{workers}"), 1, 2, False, secret, True)
        (tmp_path / f"w{workers}").mkdir()
        report = validate_file(
            second, stage=spec, store=index, workers=workers, municipality_code="131016"
        )
        assert report.accepted
        staged = sorted(row[1] for p in spec.record_files() for row in read_rows(p))
        results.append((report.to_dict(), staged, sorted(spec.seen())))
    assert results[0] == results[1]
    report, staged, seen = results[0]
    diff = report["diff"]
    assert diff == {"added": 30, "changed": diff["changed"], "unchanged": 550 - diff["changed"],
                    "removed": 50}  # fmt: skip
    assert diff["changed"] >= 50
    assert len(staged) == diff["added"] + diff["changed"]  # unchanged records are not staged
    assert len(seen) == len(set(seen)) == 550  # the stored records the file still holds
    assert len(index.digests_except(seen)) == 50


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _store(integration) -> dict:
    return dict(
        StoredRecord.objects.filter(integration=integration).values_list("key", "fingerprint")
    )


def _fresh(integration, data: bytes, jobs) -> dict:
    """The store a file leaves when it is the first one."""
    StoredRecord.objects.filter(integration=integration).delete()
    with jobs():
        _receive(integration, data, name="fresh.csv")
    return _store(integration)


@pytest.mark.django_db
@pytest.mark.parametrize("as_json", [False, True])
def test_a_full_file_leaves_the_store_a_first_load_would(cast, jobs, as_json):
    records = full_records(60)
    changed = [dict(r) for r in records[:50]] + full_records(8, seed=7)
    for r in changed[:50:4]:
        r["segment"] = "特別" if r.get("segment") != "特別" else "一般"
    data = json.dumps(changed, ensure_ascii=False).encode() if as_json else csv_file(changed)
    name = "2.json" if as_json else "2.csv"
    with jobs():
        _receive(cast.integration_a, csv_file(records), name="1.csv")
    with jobs():
        second = _receive(cast.integration_a, data, name=name)
    second.refresh_from_db()
    assert second.verdict == Verdict.ACCEPTED
    diff = second.report["diff"]
    assert (diff["added"], diff["removed"]) == (8, 10)
    assert diff["changed"] + diff["unchanged"] == 50 and diff["changed"] >= 10
    assert _store(cast.integration_a) == _fresh(cast.integration_a, data + b"\n", jobs)


@pytest.mark.django_db
def test_a_stored_record_sharing_a_changed_records_key_hash_is_noticed(cast, jobs, monkeypatch):
    """Two keys with one 64-bit key hash (made here by hand): the store is applied exactly."""
    records = full_records(12)
    with jobs():
        _receive(cast.integration_a, csv_file(records), name="1.csv")
    changed = [dict(r) for r in records]
    changed[4]["segment"] = "特別" if changed[4].get("segment") != "特別" else "一般"
    expected = _fresh(cast.integration_a, csv_file(changed), jobs)
    StoredRecord.objects.filter(integration=cast.integration_a).delete()
    with jobs():
        _receive(cast.integration_a, csv_file(records) + b"\n", name="1b.csv")
    # The stored form of record 4 now has another key under the same key hash.
    key4 = sealed_key(processing.load_index(cast.integration_a.pk).secret, _key_text(records[4]))
    StoredRecord.objects.filter(integration=cast.integration_a, key=key4).update(key="f" * 64)
    calls = []
    real = processing.load_index
    monkeypatch.setattr(processing, "load_index", lambda i: calls.append(i) or real(i))
    with jobs():
        second = _receive(cast.integration_a, csv_file(changed) + b"\r\n", name="2.csv")
    second.refresh_from_db()
    assert second.verdict == Verdict.ACCEPTED
    assert _store(cast.integration_a) == expected
    if processing.connection.vendor == "postgresql":
        assert len(calls) == 2  # validated again, every record staged


def _key_text(record: dict) -> str:
    fields = ("orgSpecificCertificateTypeId", "myNumber", "certificationSubKey", "historyKey")
    return "\x1f".join(record.get(k) or "" for k in fields)
