"""The fast way through JSON (orjson, ``jsonfast.py``) gives exactly the report of the exact way
(the stdlib reader, ``jsonfile.py``): every issue with its row, line, column and message, the
counts, the accepted records and their values — whatever the records and however the file is
laid out (JSON Lines, a compact, one-line or indented array, BOM, CRLF, blank lines), and
whatever goes wrong in it (planted issues, repeated keys, unknown keys, braces and ``},{`` in
strings, escapes, syntax errors, undecodable bytes, truncation)."""

from __future__ import annotations

import datetime as dt
import io
import json
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.uploads.fuzz_strategies import cell_text, mutated
from uploads.lib.validation import (
    InMemoryStore,
    jsonfast,
    jsonstruct,
    parallel,
    samples,
    validate_file,
)
from uploads.lib.validation.fastpath import JsonCells

TODAY = dt.date(2025, 6, 1)
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PATHS = [f.path for f in samples.load_layout().fields] + ["certificationDetail"]

# Values that look like the JSON the fast cutter relies on, or break it.
TRICKY = [
    "},{", "}, {", "{", "}", "[", "]", '"', '\\"', "\\", '":', ":", "\n", "\r", "\t", "\u2028",
    "\ud800", "東京{都", "ア}イ", None, True, False, 0, 12345678901234567890123, 1.5, -1, "",
    [], {}, [{"label": "}", "value": "{"}], {"name": "x"},
]  # fmt: skip


@contextmanager
def exact_only():
    saved = jsonfast.ENABLED
    jsonfast.ENABLED = False
    try:
        yield
    finally:
        jsonfast.ENABLED = saved


def _outcome(data: bytes, **kwargs) -> tuple:
    issues, records = [], []
    report = validate_file(
        io.BytesIO(data),
        today=TODAY,
        on_issue=issues.append,
        on_record=records.append,
        max_issues=5,
        **kwargs,
    )
    plain = validate_file(io.BytesIO(data), today=TODAY, **kwargs)
    return report.to_json(), issues, [vars(r) for r in records], plain.to_json()


def assert_same_report(data: bytes, **kwargs) -> None:
    assert jsonfast.available()
    fast = _outcome(data, **kwargs)
    with exact_only():
        exact = _outcome(data, **kwargs)
    assert fast[0] == exact[0]
    assert fast[1] == exact[1]  # every issue: row, line, field, code, message, value, column
    assert fast[2] == exact[2]
    assert fast[3] == exact[3]


def _layout(draw, docs: list) -> bytes:
    style = draw(st.sampled_from(["lines", "compact", "spaced", "indent", "crlf", "blank"]))
    ascii_only = draw(st.booleans())
    dump = lambda d, **kw: json.dumps(d, ensure_ascii=ascii_only, **kw)  # noqa: E731
    if style == "lines":
        text = "".join(dump(d) + "\n" for d in docs)
    elif style == "blank":
        text = "\n \n".join(dump(d) for d in docs) + "\r\n\n"
    elif style == "crlf":
        text = "[\r\n" + ",\r\n".join(dump(d) for d in docs) + "\r\n]\r\n"
    elif style == "compact":
        text = dump(docs, separators=(",", ":"))
    elif style == "spaced":
        text = dump(docs)
    else:
        text = dump(docs, indent=draw(st.sampled_from([None, 1, 2])))
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    return data


@st.composite
def json_files(draw) -> bytes:
    """Records that are mostly clean, some with a planted or tricky value, laid out any way."""
    n = draw(st.integers(1, 6))
    rate, seed = draw(st.sampled_from([0, 0.5])), draw(st.integers(0, 10**6))
    records = list(samples.planted_records(n, rate=rate, seed=seed, csv=False))
    for record in records:
        for path in draw(st.lists(st.sampled_from(PATHS), max_size=2)):
            samples._set(record, path, draw(st.sampled_from(TRICKY) | cell_text()))
        if draw(st.integers(0, 9)) == 0:
            record[draw(st.sampled_from(["myNumbr", "extra", "basicFiveInfo"]))] = "x"
    data = _layout(draw, records)
    for _ in range(draw(st.integers(0, 2))):
        # A repeated key, or a key spaced from its colon, written into the text itself.
        key = draw(st.sampled_from([b'"myNumber":', b'"name":', b'"label":', b'"sex":']))
        at = data.find(key)
        if at >= 0:
            edit = draw(st.sampled_from([b'"myNumber":"1",', key.replace(b'":', b'" :')]))
            data = data[:at] + edit + data[at + (0 if edit.endswith(b",") else len(key)) :]
    return data


@PROPERTY
@given(json_files(), st.sampled_from(["full", "diff"]))
def test_fast_and_exact_paths_give_the_same_report(data, mode):
    assert_same_report(data, mode=mode)


@PROPERTY
@given(mutated(json_files()))
def test_same_report_for_broken_files(data):
    assert_same_report(data)


@settings(max_examples=30, deadline=None)
@given(json_files())
def test_same_report_against_a_store(data):
    records = []
    base = samples.json_bytes(samples.records(4), lines=True)
    validate_file(io.BytesIO(base), today=TODAY, on_record=records.append)
    stored = [(r.key, r.fingerprint) for r in records]
    fast = validate_file(io.BytesIO(data), today=TODAY, store=InMemoryStore(stored)).to_json()
    with exact_only():
        exact = validate_file(io.BytesIO(data), today=TODAY, store=InMemoryStore(stored))
    assert fast == exact.to_json()


@pytest.mark.parametrize(
    "text",
    [
        b'[{"a":"},{"}, {"b":1}]',  # a cut inside a string
        b'[{"a":"}"},{"b":"{"}]',  # unbalanced braces in strings
        b"[\n" + b",\n".join([b'{"myNumber":"1","myNumber":"2"}'] * 3) + b"\n]",
        b'{"x":1}\r{"y":2}\n{"z":3}\n',  # a CR of its own ends a line in the exact way
        b'[{"x":1},{"y":NaN}]',
        b'[{"x":1},{"y":2},]',
        b'[{"x":1}] trailing',
        b'[{"x":1},\n{"y":"\xff"}]',
        b'{"x":1}\n\n   \n{"y":"\xed\xa0\x80"}\n',
        b'[{"x":1},{"y":2}',
        b'[{"x":1},{"y":2}]\n\x1a',
        b"[]",
        b'[{"x":1}, 5, "a"]',
        b'{"x":1}\n[1]\n',
        b'[{"certificationDetail":[{"x":1,"x":2,"label":"a","label":"b"}]}]',  # crashed before
        # Items laid out like elements: the separator learnt for elements is met inside one.
        b'[\n{"certificationDetail":[\n{"label":"a"},\n{"label":"b"}\n]},\n'
        b'{"certificationDetail":[\n{"label":"c"},\n{"label":"d"}\n]},\n{"x":1}\n]',
        # Separators that change: a piece holding two elements, cut again the general way.
        b'[\n{"myNumber":"1"},\n{"myNumber":"2"}, {"myNumber":"3"},\n{"myNumber":"4"}\n]',
        # Integers msgspec reads but orjson reads as a float (or not as the same text).
        b'{"maxCopaymentAmount":{"rateMonth":123456789012345678901234567890},'
        b'"certificationDetail":[]}\n{"maxCopaymentAmount":{"kind":18446744073709551616},'
        b'"certificationDetail":[]}\n{"maxCopaymentAmount":{"kind":-0,"monthlyCap":1e3},'
        b'"certificationDetail":[]}\n',
    ],
)
def test_same_report_for_known_traps(text):
    assert_same_report(text)


def test_planted_file_gives_the_same_report_both_ways():
    records = list(samples.planted_records(600, rate=0.05, csv=False))
    for data in (samples.json_bytes(records), samples.json_bytes(records, lines=True)):
        assert_same_report(data)
        assert_same_report(data, mode="diff")


@pytest.mark.parametrize("lines", [True, False])
def test_two_cores_give_the_same_report(tmp_path, monkeypatch, lines):
    """A file given by path is read on two cores; the report equals the exact way's, with an
    unknown key and a repeated record key on both sides of the cut."""
    records = list(samples.planted_records(800, rate=0.05, csv=False))
    for i in (10, 700):
        records[i]["extraKey"] = "x"
        records[i]["certificationDetail"].append({"label": "a", "value": "b", "note": "c"})
    records[650] = dict(records[5])  # the same key as a row of the first part
    path = tmp_path / ("f.jsonl" if lines else "f.json")
    path.write_bytes(samples.json_bytes(records, lines=lines))
    outcomes = []
    execute = parallel.JsonParallel.execute

    def spy(self, *args):
        outcomes.append(execute(self, *args))
        return outcomes[-1]

    monkeypatch.setattr(parallel.JsonParallel, "execute", spy)
    two = validate_file(path, today=TODAY, workers=2).to_json()
    assert outcomes == [True]
    with exact_only():
        one = validate_file(path, today=TODAY, workers=1).to_json()
    assert two == one
    report = json.loads(two)
    assert report["counts"]["K_DUPLICATE"] >= 1
    assert report["counts"]["F_HEADER_UNKNOWN"] == 2  # once per key in the file


def test_two_cores_fall_back_to_one_when_a_part_is_unsure(tmp_path):
    records = list(samples.planted_records(400, csv=False))
    records[300]["basicFiveInfo"]["address"] = "東京{都"  # braces that do not balance
    path = tmp_path / "f.json"
    path.write_bytes(samples.json_bytes(records))
    two = validate_file(path, today=TODAY, workers=2).to_json()
    with exact_only():
        assert two == validate_file(path, today=TODAY, workers=1).to_json()


@pytest.mark.parametrize(
    ("raw", "keys", "repeated"),
    [
        (b'{"a":"1","b":"2"}', 2, False),  # as many colons as keys: the cheap answer
        (b'{"a":"12:00","b":"2"}', 2, False),  # a colon in a value: counted the long way
        (b'{"a":"1","a":"2"}', 1, True),  # a key written twice
        (b'{"a":"12:00","a":"2"}', 1, True),  # twice, and a colon in a value
        (b'{"a" :"1","a":"2","b":"x:y"}', 2, True),  # spaced from its colon: not proven
        (b'{"a":"\\"","b":"2"}', 2, True),  # a backslash: not proven
    ],
)
def test_repeated_key_from_the_bytes(raw, keys, repeated):
    assert jsonfast.has_repeated_key(raw, keys) is repeated


def _lay_and_decode():
    cells = JsonCells(samples.load_layout())
    return cells.strict(), jsonstruct.decoder(cells)


@PROPERTY
@given(json_files())
def test_struct_decoder_gives_the_cells_of_the_dict_way(data):
    """The cells msgspec decodes straight from a record's bytes (``jsonstruct.py``) equal those
    of ``JsonCells.strict`` on orjson's dict, keys counted the same; it may only give up."""
    import orjson

    lay, decode = _lay_and_decode()
    assert decode is not None
    for raw in data.removeprefix(b"\xef\xbb\xbf").split(b"\n"):
        decoded = decode(raw)
        if decoded is None:
            continue
        assert decoded == lay(orjson.loads(raw))


def test_struct_decoder_takes_the_planted_records_it_can():
    import orjson

    lay, decode = _lay_and_decode()
    records = samples.planted_records(300, rate=0.1, csv=False)
    data = samples.json_bytes(list(records), lines=True)
    taken = 0
    for raw in data.splitlines():
        decoded = decode(raw)
        if decoded is not None:
            assert decoded == lay(orjson.loads(raw))
            taken += 1
        else:
            assert lay(orjson.loads(raw))[0] is None  # only what the dict way refuses too
    assert taken > 250


def test_same_report_without_the_struct_decoder(monkeypatch):
    """The orjson way alone (msgspec missing) still gives the exact report."""
    monkeypatch.setattr(jsonstruct, "ENABLED", False)
    records = list(samples.planted_records(300, rate=0.05, csv=False))
    for data in (samples.json_bytes(records), samples.json_bytes(records, lines=True)):
        assert_same_report(data)


def test_rows_without_empty_item_cells_match_as_the_padded_rows_do():
    """The fast loop lays records out without the empty item cells after the last item and
    matches them with ``FastRow.listed_match``: the same verdict as the padded row (as
    ``JsonCells.cells`` gives it) under the full pattern, on clean and planted records."""
    import orjson

    from uploads.lib.validation.checks import RecordChecker
    from uploads.lib.validation.engine import Options
    from uploads.lib.validation.fastpath import SEP, FastRow, json_columns

    layout = samples.load_layout()
    cells = JsonCells(layout)
    lay = cells.strict()
    fast = FastRow(RecordChecker(Options().settings(is_csv=False)), json_columns(layout))
    listed = fast.listed_match()
    records = list(samples.planted_records(400, rate=0.2, csv=False))
    records[0]["certificationDetail"] = []
    records[1]["certificationDetail"] = [{"label": "a", "value": "b"}] * layout.list.max_items
    records[2]["certificationDetail"][0]["value"] = "x" * 10_000  # too long for an item
    verdicts = set()
    for record in records:
        record.pop("_extra_cell", None)
        row, _ = lay(orjson.loads(orjson.dumps(record)))
        if row is None:
            continue
        full = cells.padded(row)
        assert full == cells.cells(record)
        verdict = listed(SEP.join(row)) is not None
        assert verdict == (fast._cell_match(SEP.join(full)) is not None)
        verdicts.add(verdict)
    assert verdicts == {True, False}
