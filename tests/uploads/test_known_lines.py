"""A full JSON file against a store that knows its elements' line hashes (issue 21.3): an element
found by its hash is counted as that stored record unchanged without being decoded or checked
again, and the report, the staged records and the positions are those the checks give."""

import datetime as dt
import json
import multiprocessing

import pytest

from tests.uploads.submission_helpers import full_records
from tests.uploads.submission_helpers import receive as _receive
from uploads import processing, teststore
from uploads.lib.keyindex import KeyIndex
from uploads.lib.validation import jsonrecords, parallel, samples, validate_file
from uploads.lib.validation.checks import Settings
from uploads.lib.validation.layout import load_layout
from uploads.lib.validation.stage import StageSpec, read_rows
from uploads.lib.validation.tally import Tally, engine_fingerprint, line_hasher, rules_context
from uploads.models import StoredRecord, Verdict

SECRETS = pytest.mark.parametrize("secret", [b"", b"k" * 32], ids=["clear", "sealed"])
FORMATS = pytest.mark.parametrize("lines", [True, False], ids=["jsonl", "array"])


def _index(directory, path, secret, until="2026-01-01", municipality_code="131016") -> KeyIndex:
    """The store a first file leaves, its line hashes checked no later than ``until``."""
    spec = StageSpec(str(directory), 1, 2, True, secret)
    directory.mkdir()
    report = validate_file(path, stage=spec, workers=1, municipality_code=municipality_code)
    assert report.accepted
    rows = [row for p in spec.record_files() for row in read_rows(p)]
    index = KeyIndex(
        [(int(r[2]), r[3], None if r[6] is None else int(r[6])) for r in rows], secret=secret
    )
    index.lines_until = until
    return index


@pytest.fixture
def known(monkeypatch):
    """How many records each run counted by their line alone (this process's part)."""
    counts = []
    real = Tally.known_unchanged

    def counted(self, positions):
        counts[-1] += len(positions)
        return real(self, positions)

    monkeypatch.setattr(Tally, "known_unchanged", counted)
    return counts


def _run(tmp_path, name, index, secret, path, monkeypatch, known, *, on, workers=1, **options):
    monkeypatch.setattr(jsonrecords, "KNOWN_LINES", on)
    known.append(0)
    directory = tmp_path / name
    directory.mkdir()
    spec = StageSpec(str(directory), 1, 2, False, secret, True)
    report = validate_file(path, stage=spec, store=index, workers=workers,
                           municipality_code="131016", **options)  # fmt: skip
    staged = sorted(row for p in spec.record_files() for row in read_rows(p))  # any part
    return report.to_dict(), staged, sorted(spec.seen())


def _second_records(records: list[dict], *, repeated: bool) -> list[dict]:
    """The first 1,000 records with 50 removed, every tenth changed, one with a warning (taken
    the exact way) and 200 added; ``repeated``: then a known element once more and a changed
    copy of a known record's key."""
    second = [json.loads(json.dumps(r)) for r in records[:950]]
    for r in second[::10]:
        r["segment"] = "特別" if r.get("segment") != "特別" else "一般"
    second[21]["basicFiveInfo"]["address"] = "東京都\n千代田区"  # a warning
    second += [json.loads(json.dumps(r)) for r in records[1000:1200]]
    if repeated:
        second.append(json.loads(json.dumps(records[3])))  # the very element of record 4
        copy = json.loads(json.dumps(records[7]))
        copy["segment"] = "特別" if copy.get("segment") != "特別" else "一般"
        second.append(copy)  # record 8's key with other values
    return second


def _both_ways(tmp_path, monkeypatch, known, secret, lines, repeated) -> dict:
    """The second file against the first one's store, known elements off and on, in one
    process and on two cores: every result, checked to be one."""
    records = samples.records(1200, seed=11)
    suffix = "jsonl" if lines else "json"
    first = tmp_path / f"1.{suffix}"
    first.write_bytes(samples.json_bytes(records[:1000], lines=lines))
    index = _index(tmp_path / "first", first, secret)
    second = tmp_path / f"2.{suffix}"
    data = samples.json_bytes(_second_records(records, repeated=repeated), lines=lines)
    second.write_bytes(data)
    results = {}
    for on in (False, True):
        for workers in (1, 2):
            results[on, workers] = _run(tmp_path, f"{on}{workers}", index, secret, second,
                                        monkeypatch, known, on=on, workers=workers)  # fmt: skip
    reference = results[False, 1]
    for key, result in results.items():
        assert result == reference, key
    return reference


@SECRETS
@FORMATS
def test_known_elements_give_the_report_the_checks_give(tmp_path, monkeypatch, known, secret,
                                                         lines):  # fmt: skip
    report, staged, seen = _both_ways(tmp_path, monkeypatch, known, secret, lines, False)
    assert report["accepted"] and report["warnings"] == 1
    assert report["diff"] == {"added": 200, "changed": 96, "unchanged": 854, "removed": 50}
    assert len(staged) == 200 + 96 and len(seen) == 950
    # Off, nothing is known by its line alone; on, every unchanged element (the one with a
    # warning has another text: changed), in one process, and some in the main process's part.
    assert known[0] == known[1] == 0
    assert known[2] == report["diff"]["unchanged"]
    assert 0 < known[3] < known[2]


@SECRETS
@FORMATS
def test_repeated_keys_are_found_among_known_elements(tmp_path, monkeypatch, known, secret,
                                                      lines):  # fmt: skip
    report, _, _ = _both_ways(tmp_path, monkeypatch, known, secret, lines, True)
    assert not report["accepted"]
    duplicates = [i for i in report["issues"] if i["code"] == "K_DUPLICATE"]
    assert [(i["row"], i["earlier_row"]) for i in duplicates] == [(1151, 4), (1152, 8)]
    assert known[2] == 855  # the repeated element is known as well


@pytest.mark.parametrize("on", [False, True], ids=["off", "on"])
def test_a_spawned_worker_searches_keys_by_the_main_processs_hashes(tmp_path, monkeypatch,
                                                                    known, on):  # fmt: skip
    """A worker process started afresh (spawned, as when threads run beside the engine) reads
    the module's switches anew: whether elements may be known is the main process's decision,
    handed over, so both parts search keys for duplicates by the same hashes."""
    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context("spawn"))
    secret = b"k" * 32
    records = samples.records(1200, seed=11)
    first = tmp_path / "1.jsonl"
    first.write_bytes(samples.json_bytes(records[:1000], lines=True))
    index = _index(tmp_path / "first", first, secret)
    second = tmp_path / "2.jsonl"
    second.write_bytes(samples.json_bytes(_second_records(records, repeated=True), lines=True))
    report, _, _ = _run(tmp_path, "spawned", index, secret, second, monkeypatch, known, on=on,
                        workers=2)  # fmt: skip
    duplicates = [i for i in report["issues"] if i["code"] == "K_DUPLICATE"]
    assert [(i["row"], i["earlier_row"]) for i in duplicates] == [(1151, 4), (1152, 8)]


@SECRETS
def test_a_file_checked_as_of_an_earlier_day_than_the_stored_lines_is_checked_in_full(
    tmp_path, monkeypatch, known, secret
):
    """A store's lines checked up to a later day than the file's (a file validated again long
    after it came): a birth date after the file's day is an error, though it was not then."""
    records = samples.records(600, seed=12)
    first = tmp_path / "1.jsonl"
    first.write_bytes(samples.json_bytes(records, lines=True))
    index = _index(tmp_path / "first", first, secret, until="2026-01-01")
    born = [r["basicFiveInfo"]["dateOfBirth"] for r in records]
    day = sorted(born)[len(born) // 2]  # half of them are born after it
    today = dt.date.fromisoformat(day)
    on = _run(tmp_path, "on", index, secret, first, monkeypatch, known, on=True, today=today)
    off = _run(tmp_path, "off", index, secret, first, monkeypatch, known, on=False, today=today)
    assert on == off
    assert not on[0]["accepted"] and on[0]["errors"] >= len(born) // 3
    assert known == [0, 0]
    # As of the stored lines' day or later, the same file is known element by element.
    later = _run(tmp_path, "later", index, secret, first, monkeypatch, known, on=True,
                 today=dt.date(2026, 1, 1))  # fmt: skip
    assert later[0]["accepted"] and known[-1] == 600
    assert later[0]["diff"] == {"added": 0, "changed": 0, "unchanged": 600, "removed": 0}


def test_a_store_with_no_known_day_or_lines_under_other_rules_is_checked_in_full(
    tmp_path, monkeypatch, known
):
    secret = b"k" * 32
    records = samples.records(300, seed=13)
    first = tmp_path / "1.jsonl"
    first.write_bytes(samples.json_bytes(records, lines=True))
    undated = _index(tmp_path / "undated", first, secret, until=None)
    result = _run(tmp_path, "a", undated, secret, first, monkeypatch, known, on=True)
    assert result[0]["diff"]["unchanged"] == 300 and known == [0]
    # Lines hashed under other checks' options (another municipality's prefecture): none is
    # known, each is compared by its values and staged with the hash of its text now.
    other = _index(tmp_path / "other", first, secret, municipality_code="271004")
    result = _run(tmp_path, "b", other, secret, first, monkeypatch, known, on=True)
    assert result[0]["diff"]["unchanged"] == 300 and known[-1] == 0 and len(result[1]) == 300


def test_the_line_hash_carries_the_rules_and_not_the_day():
    layout = load_layout()
    base = Settings(layout, "full", False, today="2026-01-01", prefecture="13")
    later = Settings(layout, "full", False, today="2026-12-05", prefecture="13")
    others = [
        Settings(layout, "full", False, today="2026-01-01", prefecture="27"),
        Settings(layout, "full", False, prefecture="13", registered_houbetsu=frozenset({"54"})),
        Settings(
            layout, "full", False, prefecture="13", lowered_check_digits={"mynumber": frozenset()}
        ),  # fmt: skip
    ]
    assert rules_context(base) == rules_context(later)
    assert all(rules_context(o) != rules_context(base) for o in others)
    columns = [("field", spec) for spec in layout.fields[:3]]

    def hashed(settings):
        return line_hasher(b"s" * 32, layout, columns, "json", rules_context(settings))(b"{}")

    assert hashed(base).digest() == hashed(later).digest()
    assert all(hashed(o).digest() != hashed(base).digest() for o in others)
    assert engine_fingerprint() == engine_fingerprint() and len(engine_fingerprint()) == 32
    assert engine_fingerprint() in repr(rules_context(base))


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _store(integration) -> dict:
    rows = StoredRecord.objects.filter(integration=integration)
    return dict(rows.values_list("key", "fingerprint"))


@pytest.mark.django_db
def test_a_daily_json_file_through_the_pipeline(cast, jobs, known):
    """The second of two JSON files: on PostgreSQL its unchanged records are known by their
    elements; the store ends as a first load of it would leave it."""
    records = full_records(80)
    integration = cast.integration_a
    with jobs():
        first = _receive(integration, json.dumps(records, ensure_ascii=False).encode(),
                         name="1.json")  # fmt: skip
    first.refresh_from_db()
    assert (
        teststore.lines_until(integration.pk)
        == processing.timezone.localdate(first.received_at).isoformat()
    )
    changed = [dict(r) for r in records[:70]] + full_records(5, seed=9)
    for r in changed[:70:7]:
        r["segment"] = "特別" if r.get("segment") != "特別" else "一般"
    data = json.dumps(changed, ensure_ascii=False).encode()
    known.append(0)
    with jobs():
        second = _receive(integration, data, name="2.json")
    second.refresh_from_db()
    assert second.verdict == Verdict.ACCEPTED
    diff = second.report["diff"]
    assert diff == {"added": 5, "changed": 10, "unchanged": 60, "removed": 10}
    postgres = processing.connection.vendor == "postgresql"
    assert known == [60 if postgres else 0]
    after = _store(integration)
    StoredRecord.objects.filter(integration=integration).delete()
    with jobs():
        _receive(integration, data + b"\n", name="fresh.json")
    assert after == _store(integration)


@pytest.mark.django_db
def test_an_integration_without_submissions_has_no_day_for_its_lines(cast):
    assert teststore.lines_until(cast.integration_a.pk) is None
