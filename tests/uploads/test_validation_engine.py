"""Modes and stores, masking, sinks, result files, and the two-core path."""

import csv
import datetime as dt
import io
import json
import sys

import pytest

from tests.uploads.submission_helpers import store_of
from uploads.lib.validation import (
    engine,
    parallel,
    samples,
    validate_file,
    write_result_csv,
)
from uploads.lib.validation.report import csv_safe
from uploads.lib.validation.tally import fingerprint

TODAY = dt.date(2025, 6, 1)


def test_same_data_as_csv_and_json_is_unchanged():
    recs = samples.records(30)
    store = store_of(samples.csv_bytes(recs))
    for data in (samples.json_bytes(recs), samples.json_bytes(recs, lines=True)):
        report = validate_file(io.BytesIO(data), store=store, today=TODAY)
        assert report.diff == {"added": 0, "changed": 0, "unchanged": 30, "removed": 0}


def test_full_mode_added_changed_unchanged_removed():
    recs = samples.records(10)
    store = store_of(samples.json_bytes(recs))
    new = recs[2:] + samples.records(13, seed=9)[10:]
    new[0]["basicFiveInfo"]["address"] = "東京都港区芝公園4-2-8"
    report = validate_file(io.BytesIO(samples.csv_bytes(new)), store=store, today=TODAY)
    assert report.diff == {"added": 3, "changed": 1, "unchanged": 7, "removed": 2}


def test_diff_mode_inserted_updated_deleted():
    recs = samples.records(5, mode="diff")
    store = store_of(samples.json_bytes(samples.records(5)))
    recs[0]["isDeleted"] = True
    recs[1]["historyKey"] = "NEW1"
    unknown = {
        **recs[2],
        "myNumber": samples.mynumber(__import__("random").Random(1)),
        "isDeleted": True,
    }
    data = samples.json_bytes([*recs, unknown], lines=True)
    report = validate_file(io.BytesIO(data), mode="diff", store=store, today=TODAY)
    assert report.diff == {"inserted": 1, "updated": 3, "deleted": 1}
    assert [(i.row, i.code) for i in report.issues] == [(6, "K_DELETE_UNKNOWN")]


def test_on_record_gets_unmasked_normalised_records_in_order():
    recs = samples.records(3)
    recs[1]["isNotDisclosed"] = True
    got = []
    report = validate_file(io.BytesIO(samples.csv_bytes(recs)), on_record=got.append)
    assert report.accepted
    assert [r.row for r in got] == [1, 2, 3]
    assert got[1].values["basicFiveInfo.name"] == recs[1]["basicFiveInfo"]["name"]
    assert got[1].values["isNotDisclosed"] is True
    assert got[0].values["maxCopaymentAmount.rateMonth"] == 20
    assert got[0].key[1] == recs[0]["myNumber"]
    assert got[0].fingerprint == fingerprint(
        got[0].values, __import__("uploads.lib.validation.layout", fromlist=["x"]).load_layout()
    )


def test_masking_of_values_and_mynumber():
    recs = samples.records(3)
    recs[0]["isNotDisclosed"] = False
    recs[0]["myNumber"] = "123456789012"
    recs[0]["basicFiveInfo"]["address"] = "東京都 987654321093 番地\x07"
    recs[1]["isNotDisclosed"] = True
    recs[1]["basicFiveInfo"]["nameKana"] = "ﾔﾏﾀﾞ"
    recs[2]["isNotDisclosed"] = "2"  # not clearly false: masked
    recs[2]["basicFiveInfo"]["sex"] = "9"
    report = validate_file(io.BytesIO(samples.csv_bytes(recs)), today=TODAY)
    values = {(i.row, i.field): i.value for i in report.issues}
    assert values[(1, "myNumber")] == "********9012"
    assert values[(1, "basicFiveInfo.address")] == "東京都 ********1093 番地\ufffd"
    assert values[(2, "basicFiveInfo.nameKana")] == "(不開示)"
    assert values[(3, "basicFiveInfo.sex")] == "(不開示)"
    text = report.to_json()
    assert "123456789012" not in text and "987654321093" not in text


def test_issue_list_is_truncated_but_counted_and_sink_gets_all():
    recs = samples.records(30)
    for rec in recs:
        rec["basicFiveInfo"]["sex"] = "x"
    recs[29] = dict(recs[0])  # a duplicate, found at the end
    seen = []
    report = validate_file(io.BytesIO(samples.csv_bytes(recs)), max_issues=5, on_issue=seen.append)
    assert len(report.issues) == 5
    assert report.issues_total == len(seen) == 31
    assert report.issues_truncated
    assert [i.row for i in report.issues] == [1, 2, 3, 4, 5]
    assert seen[-1].code == "K_DUPLICATE" and seen[-1].extra == {"earlier_row": 1}
    assert report.rows == 30 and report.valid_rows == 0


def test_count_conservation_with_duplicates_of_invalid_rows():
    recs = samples.records(6)
    recs[3] = dict(recs[1])
    recs[4] = json.loads(json.dumps(recs[2]))
    recs[4]["basicFiveInfo"]["sex"] = "x"
    report = validate_file(io.BytesIO(samples.csv_bytes(recs)))
    assert report.counts == {"K_DUPLICATE": 2, "V_CODE": 1}
    assert report.valid_rows == 4
    assert [(i.row, i.code) for i in report.issues] == [
        (4, "K_DUPLICATE"),
        (5, "V_CODE"),
        (5, "K_DUPLICATE"),
    ]


def _count_parallel_runs(monkeypatch):
    runs = []
    original = parallel.Parallel.execute

    def execute(self, *args):
        result = original(self, *args)
        runs.append(result is not False)
        return result

    monkeypatch.setattr(parallel.Parallel, "execute", execute)
    return runs


def test_parallel_and_sequential_give_the_same_report(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    samples.write_csv(path, samples.planted_records(6000, rate=0.05), aliases=True)
    r1 = _same_on_one_and_two_cores(path, monkeypatch)
    assert r1.counts["K_DUPLICATE"] > 0 and r1.counts["R_COLUMN_COUNT"] > 0


def _same_on_one_and_two_cores(path, monkeypatch):
    """The report and every issue handed out, on one core and then on two (which must run)."""
    one, two = [], []
    r1 = validate_file(path, workers=1, on_issue=one.append, today=TODAY)
    runs = _count_parallel_runs(monkeypatch)
    r2 = validate_file(path, workers=2, on_issue=two.append, today=TODAY)
    assert runs == [True]
    assert r1.to_dict() == r2.to_dict()
    assert one == two
    return r2


@pytest.mark.parametrize("newline", [b"\r\n", b"\n", b"\r"])
@pytest.mark.parametrize("problem", [None, "encoding", "syntax"])
def test_parallel_numbers_the_second_parts_lines_as_one_run_does(
    tmp_path, monkeypatch, newline, problem
):
    """The worker numbers its lines from the cut; the merge moves its issues, its key lines
    (a duplicate's line) and a file-level problem's line and message to the whole file's."""
    recs = list(samples.planted_records(6000, rate=0.05))
    for i in (100, 4000):  # quoted line breaks in both parts move the later lines
        recs[i]["basicFiveInfo"]["address"] = "東京都\n千代田区"
    recs[5000] = dict(recs[10])  # a duplicate of a first-part key, found in the second part
    data = samples.csv_bytes(recs).replace(b"\r\n", b"\n").replace(b"\n", newline)
    marker = b"H00004500"
    if problem == "encoding":
        data = data.replace(marker, b"H\xff0004500")
    elif problem == "syntax":
        data = data.replace(b"," + marker, b',"' + marker)  # a quote never closed
    path = tmp_path / "lines.csv"
    path.write_bytes(data)
    r2 = _same_on_one_and_two_cores(path, monkeypatch)
    late = [i for i in r2.issues if i.row is not None and i.row > 3500 and i.line is not None]
    assert late and all(i.line > i.row + 2 for i in late)  # two quoted breaks before them
    if problem is not None:
        code = {"encoding": "F_ENCODING", "syntax": "F_CSV_SYNTAX"}[problem]
        stop = next(i for i in r2.issues if i.code == code)
        assert stop.line > 4500 and stop.message.startswith(f"{stop.line}行目")
    else:
        assert r2.counts["K_DUPLICATE"] >= 1


def test_parallel_falls_back_when_the_cut_is_inside_quotes(tmp_path, monkeypatch):
    recs = samples.records(400)
    for rec in recs:
        rec["certificationDetail"][1]["value"] = "10000円"
    recs[0]["segment"] = 'a"b'  # written unquoted below: a literal quote, odd quote count
    recs[200]["designatedMedicalInstitutions"] = "A\n" * 900  # a record across the middle
    recs[399]["basicFiveInfo"]["sex"] = "9"
    path = tmp_path / "odd.csv"
    path.write_bytes(samples.csv_bytes(recs).replace(b'"a""b"', b'a"b'))
    r1 = validate_file(path, workers=1, today=TODAY)
    runs = _count_parallel_runs(monkeypatch)
    r2 = validate_file(path, workers=2, today=TODAY)
    assert runs == [False]
    assert r1.to_dict() == r2.to_dict()
    assert r2.counts == {"V_CODE": 1, "V_LENGTH": 1}
    assert [(i.row, i.line) for i in r2.issues] == [(201, 202), (400, 400 + 1 + 900)]


def test_parallel_cut_at_a_line_that_only_looks_like_a_record_falls_back(tmp_path, monkeypatch):
    """The worker cuts before the first line after the middle that reads as a whole clean
    record; inside a quoted field such a line is a wrong cut, which the main process finds
    (it runs out of data inside quotes), and the file is read again in one process."""
    recs = samples.records(400)
    for rec in recs:
        rec["certificationDetail"][1]["value"] = "10000円"  # lines without quotes
    row = samples.csv_bytes(recs[:1]).decode().splitlines()[1]
    assert '"' not in row
    recs[200]["designatedMedicalInstitutions"] = "X\n" + (row + "\n") * 200 + "Y"
    path = tmp_path / "lookalike.csv"
    path.write_bytes(samples.csv_bytes(recs))
    offsets = []  # where the worker cut, as the main process is told
    receive = parallel.Parallel._receive_split

    def spy(self, conn):
        offsets.append(receive(self, conn))
        return offsets[-1]

    r1 = validate_file(path, workers=1, today=TODAY)
    monkeypatch.setattr(parallel.Parallel, "_receive_split", spy)
    runs = _count_parallel_runs(monkeypatch)
    r2 = validate_file(path, workers=2, today=TODAY)
    cut = path.read_bytes()[offsets[0] :]
    assert cut.startswith(row.encode())  # the look-alike line was taken for a record
    assert runs == [False]
    assert r1.to_dict() == r2.to_dict()
    assert r2.counts == {"V_LENGTH": 1}

    plain = tmp_path / "plain.csv"
    plain.write_bytes(samples.csv_bytes(recs[:200] + recs[201:]))
    offsets.clear()
    r3 = validate_file(plain, workers=2, today=TODAY)
    assert runs[-1] is True and offsets[0] is not None and r3.accepted
    assert plain.read_bytes()[offsets[0] : offsets[0] + 3] == b"PMH"


def test_result_csv_is_bom_utf8_and_formula_safe(tmp_path):
    recs = samples.records(2)
    recs[0]["isNotDisclosed"] = False
    recs[0]["basicFiveInfo"]["nameKana"] = "=HYPERLINK(1)"
    recs[1]["isNotDisclosed"] = False
    recs[1]["basicFiveInfo"]["nameKana"] = "＋cmd"
    seen = []
    validate_file(io.BytesIO(samples.csv_bytes(recs)), on_issue=seen.append)
    out = tmp_path / "x.result.csv"
    assert write_result_csv(seen, out) == 2
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["row", "line", "field", "code", "severity", "message", "value"]
    assert [r[6] for r in rows[1:]] == ["'=HYPERLINK(1)", "'＋cmd"]


def test_csv_safe_prefixes_every_formula_lead():
    for lead in ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠"):
        assert csv_safe(lead + "1") == "'" + lead + "1"
    assert csv_safe("山田") == "山田"
    assert csv_safe(None) == ""


def test_non_seekable_stream_is_spooled():
    class Pipe(io.RawIOBase):
        def __init__(self, data):
            self.inner = io.BytesIO(data)

        def readable(self):
            return True

        def seekable(self):
            return False

        def readinto(self, buffer):
            return self.inner.readinto(buffer)

    report = validate_file(Pipe(samples.csv_bytes(samples.records(3))))
    assert report.accepted and report.rows == 3


def test_progress_reaches_the_end():
    calls = []
    validate_file(
        io.BytesIO(samples.csv_bytes(samples.records(3))),
        on_progress=lambda done, total: calls.append((done, total)),
    )
    assert calls and calls[-1][0] == calls[-1][1]


def test_the_run_tells_it_is_alive_between_reads(tmp_path, monkeypatch):
    """Phases that read nothing (the second process finishing its part, the duplicate search)
    still call on_progress, on which the console renews its lease."""
    path = tmp_path / "big.csv"
    samples.write_csv(path, samples.records(6000), aliases=True)
    callers, calls = [], []
    original = engine._Run.heartbeat

    def heartbeat(self):
        callers.append(sys._getframe(1).f_code.co_name)
        original(self)

    monkeypatch.setattr(engine._Run, "heartbeat", heartbeat)
    runs = _count_parallel_runs(monkeypatch)
    report = validate_file(path, workers=2, on_progress=lambda done, total: calls.append(done))
    assert runs == [True] and report.accepted
    assert {"_csv", "_main_part", "_report"} <= set(callers)
    assert len(calls) > len(callers)  # each heartbeat is a progress call, and reads add more
    assert calls[-1] == path.stat().st_size


@pytest.mark.parametrize("premarked", [0, 1, 700, 1000, 1500])
def test_duplicate_search_marked_in_advance_finds_the_same_pairs(premarked):
    """A two-core run marks its first part's hashes before the worker is done; the pairs are
    those of one search over the whole file, however many hashes were marked first."""
    import random
    from array import array

    from uploads.lib.validation.tally import DuplicateSearch, KeyChunk, find_duplicates

    rng = random.Random(7)
    hashes = [rng.getrandbits(64) for _ in range(1500)]
    for at, source in ((10, 3), (900, 5), (1400, 1200), (1499, 3)):
        hashes[at] = hashes[source]
    digests = array("Q", hashes).tobytes()
    chunks = [
        KeyChunk(digests[:8000], array("I", range(1, 1001)), array("I")),
        KeyChunk(digests[8000:], array("I", range(1, 501)), array("I"), 1000),
    ]
    expected = find_duplicates(chunks)
    assert sorted(expected) == [(11, 4), (901, 6), (1401, 1201), (1500, 4)]
    search = DuplicateSearch(3000)
    search.mark(digests[: premarked * 8])
    assert sorted(find_duplicates(chunks, search)) == sorted(expected)
