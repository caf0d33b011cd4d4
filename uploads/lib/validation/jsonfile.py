"""JSON array and JSON Lines, streamed record by record with the line each record starts on.

The array is cut into elements by the stdlib's C scanner (``JSONDecoder.raw_decode``) over a
sliding text window, so memory holds one window (about 1 MiB) and not the file, and each record's
line and every syntax error's line and column are exact; ijson cannot report positions.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

from .checks import HugeInt
from .records import object_pairs
from .report import Issue, file_issue

WINDOW_CHARS = 1 << 20
MAX_RECORD_CHARS = 16 << 20
_WS = re.compile(r"[ \t\n\r]*")
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_CONSTANT = re.compile(r'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)')


class FileProblem(Exception):
    def __init__(self, issue: Issue):
        super().__init__(issue.code)
        self.issue = issue


class _BadConstant(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise _BadConstant(name)


def _huge_int(text: str) -> int | HugeInt:
    return int(text) if len(text) < 4000 else HugeInt(text)


_DECODER = json.JSONDecoder(object_pairs_hook=object_pairs, parse_constant=_reject_constant)
_HUGE_DECODER = json.JSONDecoder(
    object_pairs_hook=object_pairs, parse_constant=_reject_constant, parse_int=_huge_int
)


def json_syntax(line: int, column: int | None, what: str) -> FileProblem:
    where = f"{line}行目" + (f" {column}文字目" if column else "")
    return FileProblem(
        file_issue(
            "F_JSON_SYNTAX",
            f"JSONの書き方が正しくありません（{where}: {what}）。"
            "JSONとして正しいか、検証ツールなどで確認してください。",
            line=line,
            column=column,
        )
    )


def encoding_problem(line: int) -> FileProblem:
    return FileProblem(
        file_issue(
            "F_ENCODING",
            f"{line}行目にUTF-8として読めないバイトがあります。JSONはUTF-8で保存してください。",
            line=line,
        )
    )


_REASONS = {
    "Expecting value": "値がありません",
    "Expecting ',' delimiter": "「,」がありません",
    "Expecting ':' delimiter": "「:」がありません",
    "Expecting property name enclosed in double quotes": '項目名は " で囲んでください',
    "Unterminated string starting at": "文字列が閉じられていません",
    "Invalid control character at": "文字列の中に改行などの制御文字があります",
    "Invalid \\escape": "不正なエスケープ（\\）があります",
    "Invalid \\uXXXX escape": "不正な \\u エスケープがあります",
    "Extra data": "余分なデータがあります",
}


def _reason(exc: json.JSONDecodeError) -> str:
    return _REASONS.get(exc.msg, exc.msg)


def _decode(text: str, pos: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, pos)
    except ValueError as exc:
        if isinstance(exc, json.JSONDecodeError | _BadConstant):
            raise
        return _HUGE_DECODER.raw_decode(text, pos)  # an integer over Python's digit limit


class _Window:
    """Decoded text with a position, refilled on demand, tracking line numbers."""

    def __init__(self, text: io.TextIOBase):
        self.text = text
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.line = 1  # line number at index ``counted``
        self.counted = 0

    def fill(self) -> bool:
        if self.eof:
            return False
        if self.pos > WINDOW_CHARS // 2:
            self.line_at(self.pos)
            self.buf = self.buf[self.pos :]
            self.counted -= self.pos
            self.pos = 0
        more = self.text.read(WINDOW_CHARS)
        if not more:
            self.eof = True
            return False
        bad = _UNDECODABLE.search(more)
        if bad:
            end = len(self.buf) + bad.start()
            self.buf += more[: bad.start()]
            self.eof = True
            self.bad_line = self.line + self.buf.count("\n", self.counted, end)
            return True
        self.buf += more
        return True

    bad_line: int | None = None

    def line_at(self, index: int) -> int:
        self.line += self.buf.count("\n", self.counted, index)
        self.counted = index
        return self.line

    def column_at(self, index: int) -> int:
        return index - (self.buf.rfind("\n", 0, index) + 1) + 1

    def skip_ws(self) -> str | None:
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return None

    def problem_at(self, index: int, what: str) -> FileProblem:
        return json_syntax(self.line_at(index), self.column_at(index), what)

    def stop(self) -> FileProblem | None:
        return encoding_problem(self.bad_line) if self.bad_line is not None else None


def iter_array(text: io.TextIOBase) -> Iterator[tuple[int, Any]]:
    """(line, element) for each element of a top-level array; raises FileProblem."""
    w = _Window(text)
    if w.skip_ws() != "[":
        raise w.stop() or w.problem_at(w.pos, "先頭は「[」にしてください")
    w.pos += 1
    first = True
    while True:
        ch = w.skip_ws()
        if ch is None:
            raise w.stop() or w.problem_at(w.pos, "配列が「]」で閉じられていません")
        if ch == "]" and first:
            break
        if not first:
            if ch == "]":
                break
            if ch != ",":
                raise w.problem_at(w.pos, "要素の間に「,」がありません")
            w.pos += 1
            if w.skip_ws() in ("]", None):
                raise w.stop() or w.problem_at(w.pos, "最後の要素の後に「,」があります")
        first = False
        line, obj, w.pos = _element(w, w.pos)
        yield line, obj
    w.pos += 1
    if w.skip_ws() is not None:
        raise w.problem_at(w.pos, "配列の「]」の後に余分なデータがあります")
    if w.stop():
        raise w.stop()


def _element(w: _Window, start: int) -> tuple[int, Any, int]:
    line = w.line_at(start)
    while True:
        try:
            obj, end = _decode(w.buf, start)
        except json.JSONDecodeError as exc:
            truncated = exc.pos >= len(w.buf) - 8 or exc.msg.startswith("Unterminated string")
            if truncated and _grow(w, start):
                start = w.pos
                continue
            if truncated and w.stop():
                raise w.stop() from None
            raise w.problem_at(exc.pos, _reason(exc)) from None
        except _BadConstant:
            raise _constant_problem(w, start) from None
        except RecursionError:
            raise w.problem_at(start, "入れ子が深すぎます") from None
        if end >= len(w.buf) and _grow(w, start):
            start = w.pos
            continue
        return line, obj, end


def _grow(w: _Window, start: int) -> bool:
    """Read more text for an element that runs past the window; False at the end or too big."""
    w.pos = start
    if len(w.buf) - start > MAX_RECORD_CHARS:
        raise w.problem_at(start, f"1件のレコードが大きすぎます（{MAX_RECORD_CHARS:,}文字超）")
    return w.fill()


def _constant_problem(w: _Window, start: int) -> FileProblem:
    for match in _CONSTANT.finditer(w.buf, start):
        if match.group(1):
            return w.problem_at(match.start(1), f"{match.group(1)} はJSONでは使えません")
    return w.problem_at(start, "NaN や Infinity はJSONでは使えません")


def iter_lines(text: io.TextIOBase, line: int = 0) -> Iterator[tuple[int, Any]]:
    """(line, object) for each non-blank line of JSON Lines; raises FileProblem.

    ``line``: the lines before ``text`` (the fast reader hands the rest of a file over)."""
    while True:
        raw = text.readline(MAX_RECORD_CHARS)
        if not raw:
            return
        line += 1
        obj = line_record(raw, line)
        if obj is not None:
            yield line, obj


def line_record(raw: str, line: int) -> Any:
    """The object of one line of JSON Lines, None for a blank line; raises FileProblem."""
    bad = _UNDECODABLE.search(raw)
    if bad:
        raise encoding_problem(line)
    if len(raw) >= MAX_RECORD_CHARS and not raw.endswith("\n"):
        raise json_syntax(line, None, f"1行が長すぎます（{MAX_RECORD_CHARS:,}文字超）")
    if not raw.strip(" \t\r\n"):
        return None
    return _line_object(raw, line)


def exact_element(text: str) -> Any:
    """The element that ``text`` holds exactly (the fast reader parsed it already), decoded
    the exact way: repeated keys are flagged (``records.DupDict``), integers kept whole."""
    obj, _ = _decode(text, _WS.match(text).end())
    return obj


def _line_object(raw: str, line: int) -> Any:
    try:
        obj, end = _decode(raw, _WS.match(raw).end())
    except json.JSONDecodeError as exc:
        raise json_syntax(line, exc.colno, _reason(exc)) from None
    except _BadConstant as exc:
        raise json_syntax(
            line, raw.find(str(exc)) + 1 or None, f"{exc} はJSONでは使えません"
        ) from None
    except RecursionError:
        raise json_syntax(line, None, "入れ子が深すぎます") from None
    if raw[end:].strip(" \t\r\n"):
        raise json_syntax(line, end + 1, "1行に1つのオブジェクトだけを書いてください")
    if not isinstance(obj, dict):
        raise json_syntax(line, 1, "JSON Lines の各行はオブジェクト（{…}）にしてください")
    return obj
