"""A JSON request body in PMH's registration shape: an array of records (issue #20).

Framework-free. ``Gunzip`` undoes a ``Content-Encoding: gzip`` as a stream, one bounded piece at
a time, so a small compressed body cannot expand in memory; the caller bounds the expanded size
(``storage.receive_stream``'s ``max_bytes``). ``check_array`` reads a spooled body once with the
validation engine's JSON reader and says why it is not a non-empty array; what is wrong *inside*
a record (an element that is not an object included) is left to the validation report.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path
from typing import BinaryIO

from uploads.lib.validation.jsonfile import FileProblem, iter_array

CHUNK = 1 << 16
_VALUE_START = set('{"-0123456789tfn')


class BadGzip(Exception):
    """The body said gzip but is not (or breaks off)."""


class Gunzip:
    """A readable stream of the decompressed bytes of a gzip stream (several members too)."""

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""
        self._started = False

    def read(self, size: int = -1) -> bytes:
        size = size if size and size > 0 else CHUNK
        while True:
            if not self._pending:
                self._pending = self.raw.read(CHUNK)
                if not self._pending:
                    if self._started and not self._z.eof:
                        raise BadGzip("the compressed body breaks off")
                    return b""
            if self._z.eof:  # a member ended and more input follows: the next member
                self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                out = self._z.decompress(self._pending, size)
            except zlib.error as exc:
                raise BadGzip(str(exc)) from None
            self._started = True
            self._pending = self._z.unconsumed_tail or self._z.unused_data
            if out:
                return out


class BodyProblem(Exception):
    """Why a body is not a JSON array of records: ``kind`` and a Japanese message."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind, self.message = kind, message


def check_array(path: Path) -> int:
    """The number of elements of the JSON array in ``path``; raises BodyProblem otherwise."""
    with open(path, "rb") as fh:
        text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="surrogateescape", newline="")
        first = _first_char(text)
        if first is None:
            raise BodyProblem(
                "empty_body", "本文がありません。レコードの配列（JSON）を送ってください。"
            )
        if first != "[":
            raise _not_array(first)
        text.seek(0)
        count = 0
        try:
            for _line, _record in iter_array(text):
                count += 1
        except FileProblem as exc:
            raise BodyProblem("not_json", _json_message(exc)) from None
    if count == 0:
        raise BodyProblem(
            "empty_array",
            "レコードが1件もありません（空の配列）。登録するレコードを1件以上送ってください。",
        )
    return count


def _first_char(text: io.TextIOBase) -> str | None:
    while chunk := text.read(CHUNK):
        stripped = chunk.lstrip(" \t\r\n")
        if stripped:
            return stripped[0]
    return None


def _not_array(first: str) -> BodyProblem:
    if first in _VALUE_START:
        return BodyProblem(
            "not_array",
            "本文はレコードの配列（[ {…}, {…} ]）にしてください。"
            "1件だけのときも [ ] で囲んでください。",
        )
    return BodyProblem(
        "not_json", "本文がJSONではありません。UTF-8 のJSON（レコードの配列）を送ってください。"
    )


def _json_message(exc: FileProblem) -> str:
    if exc.issue.code == "F_ENCODING":
        return f"本文がUTF-8のJSONではありません。{exc.issue.message}"
    return f"本文がJSONとして正しくありません。{exc.issue.message}"
