"""A CSV converted a chunk of text at a time (plain lines cut into columns in C, any other chunk
read by the csv module) gives exactly what one csv reader over the whole file gives: the same
records, lines, problems, counts and output bytes, and the same error for a broken quote."""

import csv
import io
from contextlib import ExitStack
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uploads.lib.doctor import (
    SourceError,
    check_mapping,
    convert,
    new_mapping,
    sources,
    twocores,
)

CELLS = ["a", "", "男", "女", "R7.4.1", "R7.2.30", "x,y", 'q"q', "l\nm", "c\rd", "ｱｲ", " ", "\t"]
ENDS = ["\r\n", "\r\n", "\r\n", "\n", "\r"]


def _mapping() -> dict:
    doc = new_mapping()
    doc["fields"] = {
        "segment": {"column": "A"},
        "basicFiveInfo.sex": {"column": "B", "conversions": [
            {"op": "map", "table": {"男": "1", "女": "2"}}]},
        "validFrom": {"column": "C", "conversions": [{"op": "date", "forms": ["wareki"]}]},
        "certificationName": {"value": "受給者証"},
    }  # fmt: skip
    assert check_mapping(doc) == []
    return doc


MAPPING = _mapping()


@st.composite
def exports(draw) -> tuple[bytes, int]:
    delimiter = draw(st.sampled_from([",", ",", "\t"]))
    uniform = draw(st.booleans())  # mostly plain lines, or anything
    cell = st.sampled_from(CELLS[:6] if uniform else CELLS)
    row = st.lists(cell, min_size=3, max_size=3) if uniform else st.lists(cell, max_size=4)
    rows = draw(st.lists(row, min_size=25, max_size=80))
    quoted = draw(st.booleans())
    end = draw(st.sampled_from(ENDS)) if uniform else None
    text = io.StringIO()
    text.write(delimiter.join(["A", "B", "C"]) + "\r\n")
    for row in rows:
        terminator = end or draw(st.sampled_from(ENDS))
        if quoted:
            buffer = io.StringIO()
            csv.writer(buffer, delimiter=delimiter, lineterminator=terminator).writerow(row)
            text.write(buffer.getvalue())
        else:
            text.write(delimiter.join(row) + terminator)
    if draw(st.booleans()):
        text.write("a" + delimiter + "男")  # no line break at the end
    encoding = draw(st.sampled_from(["utf-8", "cp932"]))
    return text.getvalue().encode(encoding), draw(st.integers(1, 120))


def _run(data: bytes, chunk: int, legacy: bool):
    def one_reader(table, record, size):
        return sources._reader_blocks(table._reader, table._before, record, size)

    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(sources, "CHUNK_BYTES", chunk))
        if legacy:
            stack.enter_context(mock.patch.object(sources.Table, "_csv_blocks", one_reader))
        out = io.StringIO()
        try:
            summary = convert(io.BytesIO(data), MAPPING, out, max_problems=5)
        except SourceError as exc:
            return str(exc)
        return summary.to_dict(), out.getvalue()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exports())
def test_chunks_convert_exactly_like_one_csv_reader(export):
    data, chunk = export
    assert _run(data, chunk, legacy=False) == _run(data, chunk, legacy=True)


def test_plain_chunks_are_cut_into_columns():
    lines = "".join(f"{n},男,R7.4.1\r\n" for n in range(1, 41))
    data = ("A,B,C\r\n" + lines).encode("cp932")
    with mock.patch.object(sources, "CHUNK_BYTES", 64):
        plain = []
        original = sources._plain_block
        spy = lambda *a: plain.append(original(*a)) or plain[-1]  # noqa: E731
        with mock.patch.object(sources, "_plain_block", spy):
            out = io.StringIO()
            summary = convert(io.BytesIO(data), MAPPING, out)
    assert summary.rows == 40 and any(b is not None for b in plain)
    assert out.getvalue().splitlines()[-1] == "1,受給者証,40,2025-04-01"


def test_a_quote_left_open_is_reported_at_its_line_like_one_reader():
    data = "A,B,C\r\n" + "a,男,R7.4.1\r\n" * 40 + 'b,"男,R7.4.1\r\n' + "c,女,R7.4.1\r\n" * 5
    results = [_run(data.encode(), 16, legacy) for legacy in (False, True)]
    assert results[0] == results[1]
    assert isinstance(results[0], str) and "47行目" in results[0]


def test_two_cores_into_a_file_give_the_bytes_of_one(tmp_path):
    """The worker's half is appended to a file on disk by the kernel (sendfile)."""
    lines = "".join(f"{n},{'男女'[n % 2]},R7.4.{n % 28 + 1}\r\n" for n in range(1, 3001))
    source = tmp_path / "export.csv"
    source.write_bytes(("A,B,C\r\n" + lines).encode("cp932"))
    outputs = []
    sent = []
    original = twocores._sendfile
    spy = lambda *a: sent.append(original(*a)) or sent[-1]  # noqa: E731
    with mock.patch.object(twocores, "_sendfile", spy):
        for workers in (1, 2):
            target = tmp_path / f"out-{workers}.csv"
            with open(target, "w", encoding="utf-8", newline="") as out:
                summary = convert(source, MAPPING, out, workers=workers)
            outputs.append((summary.to_dict(), target.read_bytes()))
    assert sent == [True]
    assert outputs[0] == outputs[1]
    assert outputs[1][1].count(b"\r\n") == 3001
