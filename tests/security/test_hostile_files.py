"""Tiny hostile files cost little (issue 17, point 1).

A header of 200,000 commas used to keep a worker busy for minutes and grow it past 1 GB: the
fast path compiled one pattern part per column. Now a header row is read within a bounded number
of characters and columns, and the patterns grow with the layout's columns only. Costs are shown
here by what is built (pattern sizes, issue counts), never by timing; ``benchmarks/validate.py
--header`` prints the figures.
"""

import datetime as dt
import io
import json

from uploads.lib.validation import samples, validate_file
from uploads.lib.validation.checks import RecordChecker
from uploads.lib.validation.csvfile import HEADER_MAX_CHARS, header_targets
from uploads.lib.validation.engine import Options
from uploads.lib.validation.fastpath import FastRow
from uploads.lib.validation.layout import load_layout

TODAY = dt.date(2025, 6, 1)
LAYOUT = load_layout()


def _run(data: bytes, **kwargs):
    return validate_file(io.BytesIO(data), today=TODAY, **kwargs)


def _codes(report):
    return [(i.code, i.severity, i.row, i.line) for i in report.issues]


def test_a_header_with_far_more_columns_than_the_layout_is_refused_at_once():
    header = ",".join(samples.csv_header(LAYOUT)) + "," * 5000
    data = (header + "\r\n").encode() + samples.csv_bytes(samples.records(2)).split(b"\r\n", 1)[1]
    report = _run(data)
    assert _codes(report) == [("F_CSV_SYNTAX", "error", None, 1)]
    assert "列が多すぎます" in report.issues[0].message
    assert report.rows == 0 and report.exit_code == 2


def test_a_header_of_one_megabyte_of_commas_is_refused_at_once():
    report = _run(b"myNumber" + b"," * (1 << 20) + b"\r\n1\r\n")
    assert _codes(report) == [("F_CSV_SYNTAX", "error", None, 1)]
    assert "長すぎます" in report.issues[0].message


def test_a_header_spread_over_quoted_line_breaks_is_bounded_too():
    cell = '"' + "a\n" * 1000 + '"'
    data = ",".join([cell] * (HEADER_MAX_CHARS // len(cell) + 2)).encode() + b"\r\n1\r\n"
    report = _run(data)
    assert _codes(report) == [("F_CSV_SYNTAX", "error", None, 1)]


def test_the_widest_header_allowed_still_validates():
    columns = samples.csv_header(LAYOUT)
    extra = LAYOUT.max_columns - len(columns)
    assert extra > 0
    text = samples.csv_bytes(samples.records(3)).decode()
    lines = text.split("\r\n")
    lines = [lines[0] + "," * extra] + [line + "," * extra for line in lines[1:] if line]
    report = _run(("\r\n".join(lines) + "\r\n").encode())
    assert report.accepted and report.rows == report.valid_rows == 3
    report = _run(("\r\n".join(lines) + "," * 2 + "\r\n").encode())
    assert _codes(report) == [("R_COLUMN_COUNT", "error", 3, 4)]


def test_the_fast_path_does_not_grow_with_a_files_unknown_columns():
    checker = RecordChecker(Options().settings(is_csv=True))
    sizes = []
    for extra in (0, 210, 5000):
        cells = samples.csv_header(LAYOUT) + [""] * extra + ["memo"] + [""] * extra
        targets, _ = header_targets(cells, LAYOUT, "full")
        fast = FastRow(checker, targets)
        sizes.append(tuple(len(m.__self__.pattern) for m in (fast._cell_match, fast._plain_match)))
    # Two runs of unknown columns, whatever their width: only the repeat counts' digits differ.
    assert sizes[0] < sizes[1]
    assert all(0 <= wide - narrow <= 4 for narrow, wide in zip(*sizes[1:], strict=True))


def test_a_row_of_a_megabyte_of_commas_is_one_column_count_error():
    data = samples.csv_bytes(samples.records(2))
    data += b"," * (1 << 20) + b"\r\n"
    report = _run(data)
    assert _codes(report) == [("R_COLUMN_COUNT", "error", 3, 4)]
    assert f"この行{(1 << 20) + 1:,}列".replace(",", "") in report.issues[0].message.replace(
        ",", ""
    )


def test_many_unknown_json_keys_give_one_warning_each_and_no_more():
    record = samples.records(1)[0]
    for n in range(5000):
        record[f"x{n}"] = n
    report = _run(json.dumps([record, {**record, "myNumber": "987654321093"}]).encode())
    assert report.counts == {"F_HEADER_UNKNOWN": 5000}
    assert {i.row for i in report.issues} == {1}
    assert report.accepted
