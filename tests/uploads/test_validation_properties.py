"""Property-based tests: any input ends in a report, valid records pass, nothing leaks."""

import datetime as dt
import io
import json
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coderules.checkdigits import mynumber_check_digit
from uploads.lib.validation import samples, validate_file

# Kept small so the whole engine suite stays well under a minute.
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TODAY = dt.date(2025, 6, 1)


def _run(data: bytes, **kwargs):
    report = validate_file(io.BytesIO(data), today=TODAY, **kwargs)
    report.to_json().encode("utf-8")  # always serialisable
    assert (
        report.rows
        == report.valid_rows
        + len({i.row for i in report.issues if i.severity == "error" and i.row is not None})
        or report.issues_truncated
        or any(i.code.startswith("F_") for i in report.issues)
    )
    return report


@FAST
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_a_report(data):
    for prefix in (b"", b"[", b"{", b"myNumber,"):
        report = _run(prefix + data)
        assert report.exit_code in (0, 1, 2)


@FAST
@given(st.text(max_size=500))
def test_arbitrary_text_as_utf8_and_cp932_gives_a_report(text):
    _run(text.encode("utf-8"))
    _run(text.encode("cp932", "replace"))


_any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=10,
)


@FAST
@given(st.lists(_any_json, max_size=4))
def test_arbitrary_json_arrays_give_a_report(values):
    _run(json.dumps(values).encode())
    _run("\n".join(json.dumps(v) for v in values).encode())


_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30)
)
_json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@FAST
@given(st.data())
def test_arbitrary_records_give_a_report(data):
    rec = samples.records(1, seed=data.draw(st.integers(0, 10**6)))[0]
    for _ in range(data.draw(st.integers(1, 4))):
        path = data.draw(
            st.sampled_from(
                [
                    "myNumber",
                    "basicFiveInfo.name",
                    "basicFiveInfo",
                    "isNotDisclosed",
                    "maxCopaymentAmount.rateDay",
                    "certificationDetail",
                    "validTo",
                    "historyKey",
                    "medicalSubsidyInsurerNumber",
                    "basicFiveInfo.sex",
                ]
            )
        )
        samples._set(rec, path, data.draw(_json_values))
    lines = data.draw(st.booleans())
    _run(json.dumps([rec] * 2 if not lines else rec).encode() + b"\n", mode="full")
    flat = {k: v for k, v in rec.items() if not isinstance(v, dict | list)}
    if all(isinstance(v, str | None) for v in flat.values()):
        _run(samples.csv_bytes([rec]))


@FAST
@given(st.integers(0, 10**6), st.integers(1, 8), st.sampled_from(["csv", "json", "jsonl"]))
def test_valid_generated_records_always_pass(seed, n, fmt):
    recs = samples.records(n, seed=seed)
    data = (
        samples.csv_bytes(recs, encoding=random.Random(seed).choice(["utf-8", "cp932"]))
        if fmt == "csv"
        else samples.json_bytes(recs, lines=fmt == "jsonl")
    )
    report = _run(data)
    assert report.accepted, report.issues
    assert report.rows == report.valid_rows == n


@st.composite
def mynumbers(draw):
    body = draw(st.text("0123456789", min_size=11, max_size=11))
    return body + str(mynumber_check_digit(body))


@FAST
@given(
    mynumbers(),
    st.sampled_from(
        ["myNumber", "basicFiveInfo.name", "segment", "basicFiveInfo.address", "historyKey"]
    ),
    st.sampled_from(["", "-", " ", "－"]),
    st.booleans(),
)
def test_no_report_carries_a_full_mynumber(number, path, sep, disclosed):
    shown = number if not sep else f"{number[:4]}{sep}{number[4:8]}{sep}{number[8:]}"
    recs = samples.records(2)
    recs[0]["isNotDisclosed"] = not disclosed
    samples._set(recs[0], path, shown + "ｶ")  # also an invalid value, so it is reported
    recs[1] = dict(recs[0])
    for data in (samples.csv_bytes(recs), samples.json_bytes(recs)):
        seen = []
        report = validate_file(io.BytesIO(data), on_issue=seen.append)
        text = report.to_json() + "".join(str(i.to_dict()) for i in seen)
        assert number not in text.replace(sep, "") if sep else number not in text
        assert number[:8] not in text
