"""The conversions a mapping may apply to a source value, each with its parameters' check,
its function and its description in plain Japanese (for the 変換仕様書 and the report).

A conversion is a dict ``{"op": NAME, …parameters}``; the function it builds takes the text of
a cell and returns the converted text, or raises ``ValueError`` with a Japanese reason when the
value cannot be converted exactly. Conversions never guess.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import values

Convert = Callable[[str], str]

# Problem codes of the conversion report (stable, like the engine's issue codes).
C_DATE = "C_DATE"
C_EXPONENT = "C_EXPONENT"
C_VALUE = "C_VALUE"
C_NUMBER = "C_NUMBER"

DATE_FORM_NAMES = {
    "iso": "西暦 2024-04-01",
    "slash": "西暦 2024/4/1",
    "dot": "西暦 2024.4.1",
    "kanji": "西暦 2024年4月1日",
    "ymd8": "西暦 20240401",
    "wareki": "和暦 R6.4.1・令和6年4月1日・H31/4/30（元年も可）",
    "era_code": "元号コード付き7桁 5060401",
    "excel_serial": "Excel の日付の通し番号 45383",
}
_FULLWIDTH_ASCII = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_INTEGER_NOISE = re.compile(r"[,，\s円¥￥]")
_INTEGER = re.compile(r"-?[0-9]+")


def table_key(text: str) -> str:
    """Value tables match after NFKC, trimming and upper-casing (男 = 男 , m = M)."""
    return unicodedata.normalize("NFKC", text).strip().upper()


@dataclass(frozen=True)
class Op:
    name: str
    title: str  # short Japanese name, for lists of conversions
    check: Callable[[dict], list[str]]  # Japanese problems with the parameters
    build: Callable[[dict], Convert]
    describe: Callable[[dict], str]
    code: str = C_VALUE  # problem code when the function raises
    on_empty: bool = False  # whether an empty cell goes through it (a table may map "")


def _no_params(_params: dict) -> list[str]:
    return []


def _trim(_p: dict) -> Convert:
    return lambda text: text.strip(" \t\r\n\u3000")


def _excel(_p: dict) -> Convert:
    return values.excel_text


def _exponent(_p: dict) -> Convert:
    return values.repair_exponent


def _halfwidth(_p: dict) -> Convert:
    return lambda text: text.translate(_FULLWIDTH_ASCII)


def _check_remove(p: dict) -> list[str]:
    chars = p.get("chars")
    if not isinstance(chars, str) or not 1 <= len(chars) <= 20:
        return ["取り除く文字（chars）を1〜20文字で指定してください"]
    return []


def _remove(p: dict) -> Convert:
    table = {ord(ch): None for ch in p["chars"]}
    return lambda text: text.translate(table)


def _check_pad(p: dict) -> list[str]:
    width = p.get("width")
    if not isinstance(width, int) or isinstance(width, bool) or not 1 <= width <= 30:
        return ["桁数（width）を1〜30の整数で指定してください"]
    return []


def _pad(p: dict) -> Convert:
    width = p["width"]

    def pad(text: str) -> str:
        # Only digits lose their leading zeros in a spreadsheet; anything else is left for the
        # engine to report as it is.
        if len(text) < width and text.isascii() and text.isdigit():
            return text.zfill(width)
        return text

    return pad


def _check_date(p: dict) -> list[str]:
    forms = p.get("forms")
    if not isinstance(forms, list) or not forms:
        return ["日付の書き方（forms）を1つ以上指定してください"]
    unknown = [f for f in forms if f not in values.DATE_FORMS]
    if unknown:
        return [f"日付の書き方「{'、'.join(map(str, unknown))}」は使えません"]
    return []


def _date(p: dict) -> Convert:
    forms = frozenset(p["forms"]) | {"iso"}  # an Excel date cell arrives as 2024-04-01
    expected = "、".join(DATE_FORM_NAMES[f] for f in p["forms"])

    def convert(text: str) -> str:
        parsed = values.parse_date(text, forms)
        if parsed is None:
            raise ValueError(f"日付として読めません（想定する書き方: {expected}）")
        return parsed[0].isoformat()

    return convert


def _check_kana(p: dict) -> list[str]:
    bad = [k for k in ("hiragana", "space") if k in p and not isinstance(p[k], bool)]
    return [f"「{k}」は true か false で指定してください" for k in bad]


def _kana(p: dict) -> Convert:
    hiragana, space = p.get("hiragana", True), p.get("space", True)
    return lambda text: values.full_katakana(text, hiragana=hiragana, space=space)


def _check_map(p: dict) -> list[str]:
    table = p.get("table")
    if not isinstance(table, dict) or not table:
        return ["値の対応表（table）を指定してください"]
    if len(table) > 200:
        return ["値の対応表は200組までです"]
    problems = []
    for key, value in table.items():
        if not isinstance(value, str) or len(key) > 100 or len(value) > 100:
            problems.append(f"値の対応表の「{key[:20]}」: 変換後の値を100文字以内の文字列で")
    if p.get("other", "error") not in ("error", "keep"):
        problems.append("表にない値の扱い（other）は error か keep です")
    return problems


def _map(p: dict) -> Convert:
    table = {table_key(k): v for k, v in p["table"].items()}
    keep = p.get("other", "error") == "keep"

    def convert(text: str) -> str:
        found = table.get(table_key(text))
        if found is not None:
            return found
        if keep or not text:  # an empty cell stays absent unless the table maps it
            return text
            return text
        raise ValueError("値が対応表にありません")

    return convert


def _integer(_p: dict) -> Convert:
    def convert(text: str) -> str:
        cleaned = _INTEGER_NOISE.sub("", text)
        if not _INTEGER.fullmatch(cleaned):
            raise ValueError("整数として読めません")
        return cleaned

    return convert


def _describe_map(p: dict) -> str:
    pairs = "、".join(
        f"{k if k else '（空欄）'}→{v if v else '（空欄）'}" for k, v in p["table"].items()
    )
    other = "表にない値はそのまま" if p.get("other") == "keep" else "表にない値はエラー"
    return f"値を対応表で置き換える（{pairs}）。{other}"


def _describe_kana(p: dict) -> str:
    parts = ["半角カナを全角カナにする（ﾔﾏﾀﾞ → ヤマダ）"]
    if p.get("hiragana", True):
        parts.append("ひらがなをカタカナにする")
    if p.get("space", True):
        parts.append("半角スペースを全角スペースにする")
    return "。".join(parts)


OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op(
            "trim",
            "前後の空白の除去",
            _no_params,
            _trim,
            lambda p: "前後の空白（全角スペースを含む）を取り除く",
        ),
        Op(
            "excel_text",
            "Excel の文字列指定の除去",
            _no_params,
            _excel,
            lambda p: 'Excel で文字列にするための ="…" と先頭の \' を取り除く',
        ),
        Op(
            "exponent",
            "指数表記の修復",
            _no_params,
            _exponent,
            lambda p: (
                "指数表記（1.23456789018E+11 など）を数字に戻す。"
                "下の桁が失われている値（1.23457E+11）は復元できないためエラー"
            ),
            code=C_EXPONENT,
        ),
        Op(
            "halfwidth",
            "全角英数字の半角化",
            _no_params,
            _halfwidth,
            lambda p: "全角の英数字・記号を半角にする（１２３ → 123）",
        ),
        Op(
            "remove",
            "文字の除去",
            _check_remove,
            _remove,
            lambda p: "、".join(f"「{c}」" for c in p["chars"]) + "を取り除く",
        ),
        Op(
            "pad",
            "先頭の0の補完",
            _check_pad,
            _pad,
            lambda p: (
                f"数字が{p['width']}桁より短いとき、先頭に0を補って{p['width']}桁にする"
                "（表計算ソフトで失われた0を戻す）"
            ),
        ),
        Op(
            "date",
            "日付の書き方の変換",
            _check_date,
            _date,
            lambda p: (
                "日付を西暦の YYYY-MM-DD にする（元の書き方: "
                + "、".join(DATE_FORM_NAMES[f] for f in p["forms"])
                + "）"
            ),
            code=C_DATE,
        ),
        Op("kana", "カナの全角化", _check_kana, _kana, _describe_kana),
        Op("map", "値の置き換え", _check_map, _map, _describe_map, on_empty=True),
        Op(
            "integer",
            "金額の記号の除去",
            _no_params,
            _integer,
            lambda p: "金額の「,」「円」「¥」と空白を取り除いて整数にする",
            code=C_NUMBER,
        ),
    )
}

# The step every spreadsheet cell goes through before the mapping's conversions.
CELL_TITLE = "Excel のセルの値を文字にする"
CELL_DESCRIPTION = "Excel の数値・日付のセルを文字にする（131016.0 → 131016、日付 → 2024-04-01）"


def check_conversion(conversion: Any) -> list[str]:
    if not isinstance(conversion, dict) or not isinstance(conversion.get("op"), str):
        return ['変換は {"op": 名前, …} の形で指定してください']
    op = OPS.get(conversion["op"])
    if op is None:
        return [f"変換「{conversion['op'][:30]}」はありません（使えるもの: {'、'.join(OPS)}）"]
    return op.check(conversion)


def build(conversion: dict) -> tuple[Op, Convert]:
    op = OPS[conversion["op"]]
    return op, op.build(conversion)


def describe(conversion: dict) -> str:
    return OPS[conversion["op"]].describe(conversion)
