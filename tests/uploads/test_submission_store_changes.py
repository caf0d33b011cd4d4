"""A full file against a filled store stages only what changed (issue 21.3), and stays exact."""

import csv
import hmac
import io
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
from uploads.lib.validation.layout import load_layout
from uploads.lib.validation.stage import StageSpec, read_rows, sealed_digest, sealed_key
from uploads.lib.validation.tally import Tally, line_hasher
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


def _index(spec_dir, path, secret, lines=True) -> KeyIndex:
    """The store a first file leaves: its staged key hashes, fingerprints and line hashes
    (``lines=False``: a store filled before line hashes were kept)."""
    spec = StageSpec(str(spec_dir), 1, 2, True, secret)
    spec_dir.mkdir()
    assert validate_file(path, stage=spec, workers=1, municipality_code="131016").accepted
    rows = [row for p in spec.record_files() for row in read_rows(p)]
    assert all(row[6] is not None for row in rows)  # every record came from a CSV line
    return KeyIndex(
        [(int(row[2]), row[3], int(row[6]) if lines else None) for row in rows], secret=secret
    )


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


def _second_file(tmp_path, records, index, secret, data: bytes, monkeypatch, name="2.csv"):
    """The second file validated against ``index``: its report, its staged rows and positions,
    and how many of its records were compared by their values (not found by their line)."""
    compared = []
    real = Tally._located_batch

    def counted(self, keys, *args):
        compared.append(len(keys))
        return real(self, keys, *args)

    monkeypatch.setattr(Tally, "_located_batch", counted)
    tmp_path.mkdir()
    path = tmp_path / name
    path.write_bytes(data)
    results, counts = [], []
    for workers in (1, 2):  # two cores: the count is the main process's only
        compared.clear()
        spec = StageSpec(str(tmp_path / f"s{workers}"), 1, 2, False, secret, True)
        (tmp_path / f"s{workers}").mkdir()
        report = validate_file(
            path, stage=spec, store=index, workers=workers, municipality_code="131016"
        )
        assert report.accepted
        staged = sorted(row for p in spec.record_files() for row in read_rows(p))
        results.append((report.to_dict(), staged, sorted(spec.seen())))
        counts.append(sum(compared))
    assert results[0] == results[1]
    return (*results[0], counts[0])


def _changed(records):
    changed = [dict(r) for r in records[:550]] + samples.records(30, seed=4)  # 50 removed
    for r in changed[:550:10]:
        r["segment"] = "特別" if r.get("segment") != "特別" else "一般"
    return changed


@pytest.mark.parametrize("secret", [b"", b"k" * 32])
def test_lines_the_store_knows_are_unchanged_records_without_reading_them(
    tmp_path, secret, monkeypatch
):
    records = samples.records(600, seed=3)
    first = tmp_path / "1.csv"
    first.write_bytes(csv_file(records))
    lined = _index(tmp_path / "lined", first, secret)
    unlined = _index(tmp_path / "unlined", first, secret, lines=False)
    assert lined.has_lines and not unlined.has_lines
    data = csv_file(_changed(records))
    report, staged, seen, compared = _second_file(
        tmp_path / "a", records, lined, secret, data, monkeypatch
    )
    diff = report["diff"]
    assert diff["added"] == 30 and diff["removed"] == 50 and diff["changed"] >= 50
    assert compared == len(staged) == diff["added"] + diff["changed"]  # the rest by their line
    assert len(seen) == 550
    # A store filled before line hashes were kept: the same report, every record compared by
    # its values, and the unchanged ones staged too, to store the line hashes it lacks.
    before, restaged, seen_before, compared = _second_file(
        tmp_path / "b", records, unlined, secret, data, monkeypatch
    )
    assert before == report and seen_before == seen
    assert compared == len(restaged) == 580
    assert all(row[6] is not None for row in restaged)
    assert [row for row in restaged if row[4] is not None] == restaged  # values staged
    assert {row[1] for row in staged} < {row[1] for row in restaged}


@pytest.mark.parametrize("lines", [True, False], ids=["jsonl", "array"])
def test_json_elements_the_store_knows_are_unchanged_records(tmp_path, lines, monkeypatch):
    secret = b"k" * 32
    records = samples.records(600, seed=3)
    suffix = "jsonl" if lines else "json"
    first = tmp_path / f"1.{suffix}"
    first.write_bytes(samples.json_bytes(records, lines=lines))
    lined = _index(tmp_path / "lined", first, secret)
    unlined = _index(tmp_path / "unlined", first, secret, lines=False)
    data = samples.json_bytes(_changed(records), lines=lines)
    name = f"2.{suffix}"
    report, staged, seen, compared = _second_file(
        tmp_path / "a", records, lined, secret, data, monkeypatch, name
    )
    diff = report["diff"]
    assert diff["added"] == 30 and diff["removed"] == 50 and diff["changed"] >= 50
    assert compared == len(staged) == diff["added"] + diff["changed"]
    before, restaged, seen_before, compared = _second_file(
        tmp_path / "b", records, unlined, secret, data, monkeypatch, name
    )
    assert before == report and seen_before == seen and compared == len(restaged) == 580


def test_a_file_with_its_columns_in_another_order_is_compared_by_its_values(tmp_path, monkeypatch):
    secret = b"k" * 32
    records = samples.records(300, seed=5)
    first = tmp_path / "1.csv"
    first.write_bytes(csv_file(records))
    index = _index(tmp_path / "first", first, secret)
    table = list(csv.reader(io.StringIO(csv_file(records).decode("utf-8"), newline="")))
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(row[::-1] for row in table)
    report, staged, seen, compared = _second_file(
        tmp_path / "a", records, index, secret, out.getvalue().encode(), monkeypatch
    )
    assert report["diff"] == {"added": 0, "changed": 0, "unchanged": 300, "removed": 0}
    # No line found: each record read and found unchanged, and staged with the hash of the line
    # it was read from now (the next such file finds them by it).
    assert compared == 300 and len(staged) == 300 and len(seen) == 300
    assert None not in {row[6] for row in staged}
    assert not {int(row[6]) for row in staged} & {index.line_at(i) for i in range(300)}


def test_line_hashes_depend_on_the_secret_and_the_columns():
    layout = load_layout()
    columns = [("field", spec) for spec in layout.fields[:3]]
    a = line_hasher(b"a" * 32, layout, columns)(b"x,y,z").digest()
    assert a == line_hasher(b"a" * 32, layout, columns)(b"x,y,z").digest()
    assert a != line_hasher(b"b" * 32, layout, columns)(b"x,y,z").digest()
    assert a != line_hasher(b"a" * 32, layout, columns[::-1])(b"x,y,z").digest()
    assert len(a) == 8


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


def _lines(integration) -> dict:
    return dict(
        StoredRecord.objects.filter(integration=integration).values_list("key", "line_digest")
    )


@pytest.mark.django_db
def test_the_store_keeps_the_line_hash_of_each_records_csv_line(cast, jobs):
    records = full_records(40)
    with jobs():
        _receive(cast.integration_a, csv_file(records), name="1.csv")
    lines = _lines(cast.integration_a)
    assert len(lines) == 40 and None not in lines.values() and len(set(lines.values())) == 40
    index = processing.load_index(cast.integration_a.pk)
    assert index.has_lines
    known = [index.line_at(i) for i in range(len(index))]
    positions = index.line_positions()
    assert [positions.get(line, -1) for line in known] == list(range(40))  # each its own record
    assert positions.get(min(known) - 1, -1) == -1

    # The same records as JSON, one changed: on PostgreSQL every record now has its element's
    # hash, the hash of the text last read (a later JSON file finds them by it); elsewhere,
    # where no record is found by its line, the changed record only.
    changed = [dict(r) for r in records]
    changed[3]["segment"] = "特別" if changed[3].get("segment") != "特別" else "一般"
    data = json.dumps(changed, ensure_ascii=False).encode()
    with jobs():
        second = _receive(cast.integration_a, data, name="2.json")
    second.refresh_from_db()
    assert second.report["diff"]["changed"] == 1 and second.report["diff"]["unchanged"] == 39
    after = _lines(cast.integration_a)
    assert None not in after.values() and len(set(after.values())) == 40
    postgres = processing.connection.vendor == "postgresql"
    assert len(after.items() - lines.items()) == (40 if postgres else 1)

    # Back to CSV with LF line ends: the same report as the first load's store would give.
    with jobs():
        third = _receive(
            cast.integration_a, csv_file(changed).replace(b"\r\n", b"\n"), name="3.csv"
        )
    third.refresh_from_db()
    assert third.report["diff"] == {"added": 0, "changed": 0, "unchanged": 40, "removed": 0}
    assert None not in _lines(cast.integration_a).values()
    assert _store(cast.integration_a) == _fresh(cast.integration_a, csv_file(changed), jobs)


@pytest.mark.parametrize("secret", [b"", b"k" * 32], ids=["clear", "sealed"])
@pytest.mark.parametrize("lines", [True, False], ids=["jsonl", "array"])
@pytest.mark.parametrize(
    "stored", ["", "csv", "same"], ids=["empty store", "store from CSV", "store from this format"]
)
def test_json_records_staged_in_batches_are_those_staged_one_at_a_time(
    tmp_path, monkeypatch, secret, lines, stored
):
    """The JSON loop hands clean records to the tally in batches, and every batch before a
    record taken the exact way (here a warning): the same report, the same staged files, byte
    for byte, and the same positions as one record at a time."""
    from uploads.lib.validation import jsonrecords

    records = samples.records(1300, seed=8)
    store = None
    if stored:  # the first 1,000 records, found by their values or (same format) their text
        first = tmp_path / ("1.csv" if stored == "csv" else path_name(lines))
        data = csv_file(records[:1000]) if stored == "csv" else samples.json_bytes(
            records[:1000], lines=lines)  # fmt: skip
        first.write_bytes(data)
        store = _index(tmp_path / "first", first, secret)
    for record in records[5::97]:
        record["basicFiveInfo"]["address"] = "東京都\n千代田区"  # a warning: the exact way
    path = tmp_path / "2" / path_name(lines)
    path.parent.mkdir()
    path.write_bytes(samples.json_bytes(records, lines=lines))
    results = []
    for batch in (1, 512):
        monkeypatch.setattr(jsonrecords, "BATCH", batch)
        directory = tmp_path / f"b{batch}"
        directory.mkdir()
        spec = StageSpec(str(directory), 1, 2, not stored, secret, stored)
        report = validate_file(path, stage=spec, store=store, workers=1,
                               municipality_code="131016")  # fmt: skip
        files = {p.name: p.read_bytes() for p in spec.record_files()}
        results.append((report.to_dict(), files, list(spec.seen())))
    assert results[0] == results[1]
    report, files, seen = results[0]
    assert report["accepted"] and report["warnings"] == len(records[5::97])
    changed = len(records[5:1000:97])  # in the store, with another address now
    staged = sum(data.count(b"\n") for data in files.values())
    # A store from CSV knows other lines: every record is staged with its element's hash.
    assert staged == (300 + changed if stored == "same" else 1300)
    assert len(seen) == (1000 if stored else 0)


def path_name(lines: bool) -> str:
    return "records.jsonl" if lines else "records.json"


@pytest.mark.parametrize("secret", [b"", b"k" * 32], ids=["clear", "sealed"])
def test_records_staged_many_at_once_are_those_staged_one_by_one(tmp_path, secret):
    from hashlib import blake2b

    keys = [f"PMH1501\x1f{n:012d}\x1f\x1fH{n:08d}" for n in range(700)]
    digests = [blake2b(k.encode(), digest_size=8).digest() for k in keys]
    fingerprints = [f"{n:032x}" for n in range(700)]
    documents = None if secret else [f'{{"n":{n}}}' for n in range(700)]
    lines = [None if n % 3 == 0 else n * 7919 - 2**62 for n in range(700)]
    staged = []
    for many in (False, True):
        spec = StageSpec(str(tmp_path / str(many)), 1, 2, True, secret)
        (tmp_path / str(many)).mkdir()
        writer = spec.writer(0)
        if many:
            writer.record_many(keys, digests, fingerprints, documents, lines)
        else:
            for n, key in enumerate(keys):
                document = "{}" if secret else documents[n]
                writer.record_json(key, digests[n], fingerprints[n], document, line=lines[n])
        assert writer.count == 700
        writer.close()
        staged.append({p.name: p.read_bytes() for p in spec.record_files()})
    assert staged[0] == staged[1] and len(staged[0]) > 200  # spread over the buckets
