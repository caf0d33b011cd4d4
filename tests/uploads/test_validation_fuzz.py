"""Fuzzing the readers and the engine (hypothesis, a small fixed budget: derandomized, so the
same examples run every time). ``benchmarks/fuzz.py`` runs the same property for longer."""

import io

import pytest
from hypothesis import HealthCheck, given, settings

from tests.uploads.fuzz_strategies import any_file, check_file, csv_files, json_files, mutated
from uploads.lib.validation import validate_file

FAST = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FAST
@given(csv_files())
def test_hostile_csv_gives_a_clean_report(data):
    check_file(data)


@FAST
@given(json_files())
def test_hostile_json_gives_a_clean_report(data):
    check_file(data)
    check_file(data, mode="diff")


@FAST
@given(mutated(json_files()) | mutated(csv_files()))
def test_cut_and_flipped_files_give_a_clean_report(data):
    check_file(data)


@FAST
@given(any_file())
def test_any_file_gives_a_clean_report(data):
    check_file(data)


# Inputs that break Python's own readers when nothing guards them (RecursionError, the
# int_max_str_digits ValueError, a lone surrogate, csv's field limit, a NUL byte), and any crash
# benchmarks/fuzz.py finds: each stays a regression test here. The fuzzers found none so far.
REGRESSIONS = [
    b"[" * 100_000,
    b'[{"maxCopaymentAmount": {"amountDay": ' + b"9" * 5000 + b"}}]",
    b'[{"segment": "\\ud800", "myNumber": "123456789018"}]',
    b'myNumber,name\r\n"' + b"x" * 200_000,
    b"myNumber\r\n1234\x0056789018\r\n",
    b'\xef\xbb\xbf{"a": 1}\n[',
]


@pytest.mark.parametrize("data", REGRESSIONS, ids=range(len(REGRESSIONS)))
def test_known_crashers_give_a_clean_report(data):
    check_file(data)


def test_a_million_element_array_is_read_to_the_end():
    seen = []
    data = b"[" + b",".join([b"0"] * 1_000_000) + b"]"
    report = validate_file(io.BytesIO(data), on_issue=seen.append)
    assert (report.rows, report.errors, len(seen)) == (1_000_000, 1_000_000, 1_000_000)
    assert report.counts == {"R_NOT_OBJECT": 1_000_000} and report.issues_truncated
    assert (seen[-1].row, seen[-1].code) == (1_000_000, "R_NOT_OBJECT")
