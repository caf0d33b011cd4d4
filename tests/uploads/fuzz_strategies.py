"""Hypothesis strategies and the one property of the file readers, shared by the pytest fuzz
tests (a small fixed budget) and ``benchmarks/fuzz.py`` (a wall-clock budget for releases).

The property: whatever the bytes, ``validate_file`` returns a report (never an exception other
than none at all), every row issue names its row and line, every field issue its field, every
message is Japanese, and no 12-digit run of the input (a 個人番号) comes back in a message or a
shown value.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re

from hypothesis import strategies as st

from uploads.lib.validation import samples, validate_file

TODAY = dt.date(2025, 6, 1)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
TWELVE_DIGITS = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")

# Characters and fragments the checklist names: quotes, separators, BOMs, NUL and controls,
# 0x5C trailing-byte kanji, CP932/JIS divergent signs, surrogates of the 2nd plane, IVS.
NASTY = [
    '"', "'", ",", ";", "\t", "\r", "\n", "\r\n", "，", "、", "“", "”", "\ufeff", "\x00",
    "\x1b[31m", "\u202e", "\u2028", "\u200b", "\x7f", "表", "ソ", "十", "能", "予", "〜", "～",
    "‖", "∥", "−", "－", "①", "㈱", "髙", "﨑", "ｱｲｳ", "ヴ", "𠮷", "葛󠄀", "か゛", "\ufffd",
    "=1+1", "@SUM(1)", "<script>", "{{7*7}}", "令和7年4月1日", "H31.05.01", "2024-02-30",
    "1.23457E+11", "#N/A", "123456789018", "１２３", "-", "0", "1", "true", "null", "",
]  # fmt: skip
ENCODINGS = ["utf-8", "utf-8-sig", "cp932", "shift_jis", "euc_jp", "iso2022_jp", "utf-16"]


def cell_text() -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(NASTY) | st.text(max_size=6), max_size=4).map("".join)


@st.composite
def csv_files(draw) -> bytes:
    """A CSV with the real header (sometimes edited) and rows of hostile cells."""
    layout_header = samples.csv_header(samples.load_layout(), items=1)
    header = draw(st.lists(st.sampled_from(layout_header) | cell_text(), min_size=0, max_size=8))
    if draw(st.booleans()):
        header = layout_header
    rows = draw(
        st.lists(
            st.lists(cell_text(), min_size=0, max_size=len(header) + 2), min_size=0, max_size=4
        )
    )
    newline = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    delimiter = draw(st.sampled_from([",", ",", "\t", ";"]))
    text = newline.join(delimiter.join(row) for row in [header, *rows])
    if draw(st.booleans()):
        text += newline
    return text.encode(draw(st.sampled_from(ENCODINGS)), "replace")


_json_leaf = st.none() | st.booleans() | st.integers() | st.floats() | cell_text()
_json_any = st.recursive(
    _json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(cell_text(), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def json_files(draw) -> bytes:
    """JSON arrays and JSON Lines of real records with hostile values planted."""
    records = samples.records(draw(st.integers(1, 3)), seed=draw(st.integers(0, 1000)))
    paths = [f.path for f in samples.load_layout().fields] + ["certificationDetail"]
    for record in records:
        for path in draw(st.lists(st.sampled_from(paths), max_size=3)):
            samples._set(record, path, draw(_json_any))
    docs = records + draw(st.lists(_json_any, max_size=2))
    if draw(st.booleans()):
        return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs).encode()
    return json.dumps(docs, ensure_ascii=draw(st.booleans())).encode()


@st.composite
def mutated(draw, base: st.SearchStrategy[bytes]) -> bytes:
    """A file cut, spliced or byte-flipped: truncation mid-character, stray bytes, BOMs."""
    data = bytearray(draw(base))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["cut", "insert", "flip"]))
        if action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [
                        b"\x00",
                        b"\xef\xbb\xbf",
                        b'"',
                        b"\x82",
                        b"\xc0\xaf",
                        b"\xed\xa0\x80",
                        b"\x85\x40",
                        b"\xfd",
                        b"PK\x03\x04",
                        b"[",
                        b"{",
                    ]
                )  # fmt: skip
                | st.binary(max_size=4)
            )
        elif data:
            data[min(at, len(data) - 1)] ^= draw(st.integers(1, 255))
    return bytes(data)


def any_file() -> st.SearchStrategy[bytes]:
    valid = st.integers(0, 10**6).map(lambda seed: samples.csv_bytes(samples.records(2, seed=seed)))
    return st.one_of(
        csv_files(),
        json_files(),
        mutated(valid),
        mutated(json_files()),
        st.binary(max_size=512),
    )


def check_file(data: bytes, *, mode: str = "full") -> None:
    """The property. Raises AssertionError (or whatever the engine raised) on a finding."""
    seen = []
    report = validate_file(io.BytesIO(data), mode=mode, today=TODAY, on_issue=seen.append)
    shown = report.to_json()
    numbers = set(TWELVE_DIGITS.findall(data.decode("latin-1")))
    for issue in seen:
        assert JAPANESE.search(issue.message), issue
        if issue.code == "K_MASS_REMOVAL":  # a file warning
            assert issue.row is None, issue
        elif issue.code.startswith(("R_", "K_", "V_")):
            assert issue.row is not None and issue.line is not None, issue
        elif issue.code == "F_HEADER_UNKNOWN" and report.format != "csv":
            assert issue.row is not None and issue.line is not None, issue  # a JSON key
        else:
            assert issue.row is None, issue
        if issue.code.startswith("V_"):
            assert issue.field, issue
        shown += issue.message + str(issue.value or "")
    for number in numbers:
        assert number not in shown, f"個人番号 {number[-4:]} echoed"
    assert report.errors + report.warnings == report.issues_total
