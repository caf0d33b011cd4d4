"""Every item of shared/spec/bad-inputs.md, in its order, with the channels it applies to.

Items whose content is a file go through every channel that carries files (web, API, shared
folder, mail, USB media). Items about one transport (multipart, MIME, the shared folder) list
only that channel. ``NOT_APPLICABLE`` names, per item, the channels left out and why, so the
matrix can be audited against the checklist.
"""

from __future__ import annotations

import json

from . import folder_items, http_items, mail_items, names, special
from .inputs import (
    ACCEPTED,
    NOT_TEXT,
    Item,
    at_limit,
    bz,
    cell,
    cells,
    codes,
    emit,
    flat_bomb,
    gz,
    header_lie,
    header_line,
    json_doc,
    json_set,
    many_entries,
    nested_bomb,
    over_limit,
    overlapping,
    ppap,
    raw,
    records,
    table,
    tar_devices,
    valid_csv,
    xlsx,
    zip64,
    zip_cp932_name,
    zip_links,
    zip_of,
    zip_slip,
)

H = header_line  # the canonical header, as text
MN = "myNumber"
NAME = "basicFiveInfo.name"
KANA = "basicFiveInfo.nameKana"
ADDRESS = "basicFiveInfo.address"
BIRTH = "basicFiveInfo.dateOfBirth"
FLAG = "isNotDisclosed"
TOO_LARGE = {
    "web": ("text:MB を超えているため受け付けませんでした",),
    "media": ("text:MB を超えるファイルがあったため",),
    "api": ("too_large",),
    "folder": ("folder_too_large",),
    "mail": ("too_large",),
}
LIMIT_1MB = {"PMH_MAX_UPLOAD_MB": 1}


def _csv_lines(newline: str, *, blank_tail: int = 0, trailing: bool = True) -> callable:
    def build() -> bytes:
        data = valid_csv(newline=newline)()
        if not trailing:
            data = data.rstrip(b"\r\n")
        return data + newline.encode() * blank_tail

    return build


def _encoded(encoding: str) -> callable:
    """The same content in another encoding: only characters every JIS encoding has."""

    def build() -> bytes:
        return emit(*jis_table(), encoding=encoding)

    return build


def jis_table(**changes: str) -> tuple[list[str], list[list[str]]]:
    """Two records holding only JIS X 0208 characters (no Ⅰ or ① of the sample data)."""
    header, rows = table()
    for row in rows:
        row[header.index(NAME)] = "山田　太郎"
        row[header.index(ADDRESS)] = "東京都千代田区九段南一丁目"
        row[header.index("incomeSegment")] = "一般"
        for column, value in changes.items():
            row[header.index(column)] = value
    return header, rows


def _jis_cell(column: str, value: str, encoding: str) -> callable:
    return lambda: emit(*jis_table(**{column: value}), encoding=encoding)


def _truncated_cp932() -> bytes:
    return cell(NAME, "山田表", encoding="cp932")().rstrip(b"\r\n") + "表".encode("cp932")[:1]


def _quote_stray() -> bytes:
    header, rows = table(3)
    rows[0][header.index(NAME)] = '"山田'
    return (
        H() + "\r\n" + "\r\n".join(",".join(r) for r in rows) + "\r\n" + ("x" * 200_000)
    ).encode()


def _header(edit) -> callable:
    def build() -> bytes:
        header, rows = table()
        header, rows = edit(list(header), [list(r) for r in rows])
        return emit(header, rows)

    return build


def _drop(column: str):
    def edit(header, rows):
        i = header.index(column)
        return header[:i] + header[i + 1 :], [r[:i] + r[i + 1 :] for r in rows]

    return edit


def _reordered(header, rows):
    return header[::-1], [r[::-1] for r in rows]


def _dup_column(header, rows):
    return header + [MN], [r + [r[header.index(MN)]] for r in rows]


def _extra_column(header, rows):
    return header + ["備考"], [r + ["x"] for r in rows]


def _empty_column(header, rows):
    return header + [""], [r + [""] for r in rows]


def _bom_name(header, rows):
    return ["\ufeff" + header[0]] + header[1:], rows


def _spaced(header, rows):
    return [f" {h}\u3000" for h in header], rows


def _fullwidth(header, rows):
    return [h.translate({i: i + 0xFEE0 for i in range(0x21, 0x7F)}) for h in header], rows


def _upper(header, rows):
    return [h.upper() for h in header], rows


def _rows(edit) -> callable:
    def build() -> bytes:
        header, rows = table(3)
        text = emit(header, rows).decode()
        lines = text.split("\r\n")
        return "\r\n".join(edit(lines)).encode()

    return build


def _short_row(lines):
    return [lines[0], lines[1].rsplit(",", 5)[0], *lines[2:]]


def _long_row(lines):
    return [lines[0], lines[1] + ",x,y", *lines[2:]]


def _blank_middle(lines):
    return [lines[0], lines[1], "", lines[2], *lines[3:]]


def _comment(lines):
    return [lines[0], "# 出力日 2026-04-01", *lines[1:]]


def _footer(lines):
    return [*lines[:-1], "合計,3件", ""]


def _duplicate_record() -> bytes:
    header, rows = table(2)
    rows[1] = list(rows[0])
    rows[1][header.index(ADDRESS)] = "別の住所 1-2-3"
    return emit(header, rows)


def _deep_json() -> bytes:
    return b"[" * 100_000 + b"]" * 100_000


# Values ``json.dumps`` cannot write: planted as text in place of a known value.
JSON_RAW = [
    ("json/5000-digits", "maxCopaymentAmount.amountMonth", "9" * 5000, "V_RANGE"),
    ("json/nan", "maxCopaymentAmount.rateMonth", "NaN", "F_JSON_SYNTAX"),
    ("json/infinity", "maxCopaymentAmount.rateMonth", "Infinity", "F_JSON_SYNTAX"),
    ("json/duplicate-keys", "segment", '"一般", "segment": "x"', "V_TYPE"),
    ("json/lone-surrogate", "segment", '"\\ud800"', "V_CHARSET"),
    ("field/flag-duplicate-json-key", "isNotDisclosed", 'false, "isNotDisclosed": 1', "V_TYPE"),
]


def _json_raw(ident: str, path: str, literal: str, code: str) -> Item:
    def build() -> bytes:
        leaf = path.rsplit(".", 1)[-1]
        data = json_set(path, 123456)()
        planted = data.replace(f'"{leaf}": 123456'.encode(), f'"{leaf}": {literal}'.encode(), 1)
        assert planted != data
        return planted

    return Item(ident, build, codes(code), name="data.json")


def _pretty_object() -> bytes:
    return json.dumps(records()[0], ensure_ascii=False, indent=1).encode()


def _many_elements() -> bytes:
    return b"[" + b",".join([b"0"] * 100_000) + b"]"


def _numbers_for_mynumber(recs):
    recs[0][MN] = int(recs[0][MN])
    return recs


def _emoji() -> bytes:
    return cell(ADDRESS, "😀" * 25_600)()


# Stored, then shown on pages and in result files: escaped there, never a formula.
PROBES = [
    ("field/probe-script", "<script>alert(1)</script>", "V_KANA"),
    ("field/probe-img", '"><img src=x onerror=alert(1)>', "V_KANA"),
    ("field/probe-template", "{{7*7}}", "V_KANA"),
    ("field/probe-sql", "'; DROP TABLE uploads_submission; --", "V_KANA"),
    ("field/probe-hyperlink", '=HYPERLINK("http://x.invalid","y")', "V_KANA"),
    ("field/probe-plus-cmd", "+cmd|' /C calc'!A0", "V_KANA"),
    ("field/probe-minus", "-2+3", "V_KANA"),
    ("field/probe-at-sum", "@SUM(1+1)", "V_KANA"),
    ("field/probe-tab", "\t=1", "V_CHARSET"),
    ("field/probe-cr", "\r=1", "V_CHARSET"),
    ("field/probe-fullwidth-eq", "＝1+1", "V_KANA"),
]


def _probe(ident: str, value: str, code: str) -> Item:
    return Item(ident, cell(KANA, value), codes(code), driver={"web": special.web_probe})


ITEMS: list[Item] = [
    # -- File level ---------------------------------------------------------------------------
    Item("file/0-byte", raw(b""), codes("F_EMPTY")),
    Item("file/only-bom", raw(b"\xef\xbb\xbf"), codes("F_EMPTY")),
    Item("file/only-header", lambda: (H() + "\r\n").encode(), codes("F_EMPTY")),
    Item("file/header-blank-line", lambda: (H() + "\r\n\r\n").encode(), codes("F_EMPTY")),
    Item("file/no-trailing-newline", _csv_lines("\r\n", trailing=False), ACCEPTED),
    Item("file/3-trailing-blank-lines", _csv_lines("\r\n", blank_tail=3), ACCEPTED),
    Item("file/size-at-limit", at_limit, ACCEPTED, settings=LIMIT_1MB),
    Item("file/size-limit+1", over_limit, TOO_LARGE, settings=LIMIT_1MB),
    Item(
        "file/size-4GiB+1",
        raw(b""),
        {"api": ("too_large",), "folder": ("folder_too_large",), "web": ("http:302",)},
        channels=("web", "api", "folder"),
        driver={
            "web": special.web_huge_length,
            "api": special.api_huge_length,
            "folder": folder_items.folder_sparse_4gib,
        },
        not_applicable={
            "mail": "a message is read whole into memory; the size check is len() of the "
            "decoded attachment (no fixed-width integer), covered by file/size-limit+1",
            "media": "the same upload form code as web (covered there)",
        },
    ),  # fmt: skip
    Item(
        "file/content-length-lies",
        valid_csv(),
        {"api": ("http:400|413|202",), "web": ("http:302",)},
        channels=("web", "api"),
        driver={"web": special.web_length_lies, "api": special.api_length_lies},
        not_applicable={
            "folder": "no Content-Length: the file's size is what is on disk",
            "mail": "no Content-Length: MIME parts are delimited by boundaries",
            "media": "the same upload form code as web (covered there)",
        },
    ),
    Item(
        "file/truncated-upload",
        valid_csv(),
        {
            "api": ("http:400",),
            "web": ("http:302", "text:アップロードするファイルを1つ以上選んでください"),
        },
        channels=("web", "api"),
        driver={"web": special.web_truncated, "api": special.api_truncated},
        not_applicable={
            "folder": "a file still being written waits (folder/being-written)",
            "mail": "IMAP APPEND and Maildir delivery are atomic: no half message is seen",
            "media": "the same upload form code as web (covered there)",
        },
    ),
    Item("file/truncated-cp932-char", _truncated_cp932, codes("F_ENCODING")),
    Item("file/xlsx-as-csv", xlsx, NOT_TEXT),
    Item("file/zip-as-csv", lambda: zip_of([("a.csv", b"a,b\r\n")]), NOT_TEXT),
    Item("file/pdf-as-csv", raw(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"), NOT_TEXT),
    Item("file/png-as-csv", raw(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), NOT_TEXT),
    Item("file/exe-as-csv", raw(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56), NOT_TEXT),
    Item(
        "file/utf16le-bom",
        lambda: b"\xff\xfe" + valid_csv()().decode().encode("utf-16-le"),
        NOT_TEXT,
    ),
    Item("file/gzip-csv", lambda: gz(valid_csv()()), NOT_TEXT),
    Item("file/bzip2-csv", lambda: bz(valid_csv()()), NOT_TEXT),
    Item(
        "file/polyglot-html",
        cell("orgSpecificCertificateTypeId", "<script>alert(1)</script>"),
        codes("V_CHARSET"),
        driver={"web": special.web_polyglot},
    ),
    # -- Encoding -----------------------------------------------------------------------------
    Item("enc/utf-8", _encoded("utf-8"), ACCEPTED),
    Item("enc/utf-8-bom", _encoded("utf-8-sig"), ACCEPTED),
    Item("enc/cp932", _encoded("cp932"), ACCEPTED),
    Item("enc/shift_jis", _encoded("shift_jis"), ACCEPTED),
    Item("enc/shift_jis_2004", _encoded("shift_jis_2004"), ACCEPTED),
    Item("enc/euc-jp", _encoded("euc_jp"), codes("F_ENCODING")),
    Item("enc/iso-2022-jp", _encoded("iso2022_jp"), codes("V_CHARSET")),
    Item(
        "enc/declared-not-actual",
        _encoded("cp932"),
        ACCEPTED,
        driver={"mail": special.mail_declared_utf8, "api": special.api_declared_utf8},
    ),
    Item("enc/cp932-wave-dash", cell(NAME, "山田〜～", encoding="cp932"), ACCEPTED),
    Item("enc/jis-divergent", _jis_cell(ADDRESS, "〜‖−¢£¬", "shift_jis"), ACCEPTED),
    Item("enc/cp932-divergent", _jis_cell(ADDRESS, "～∥－￠￡￢―", "cp932"), ACCEPTED),
    Item("enc/nec-special", cell(ADDRESS, "①㈱№㍻", encoding="cp932"), ACCEPTED),
    Item("enc/ibm-extended", cell(NAME, "髙﨑德", encoding="cp932"), ACCEPTED),
    Item(
        "enc/0x5c-trailing-bytes",
        cells({NAME: "ソ表十能", ADDRESS: "予申噂貼", "certificationName": "表"}, encoding="cp932"),
        ACCEPTED,
    ),
    Item("enc/half-width-kana", cell(KANA, "ﾔﾏﾀﾞ ﾀﾛｳ"), codes("V_KANA")),
    Item("enc/mixed-width-kana", cell(KANA, "ヤマダ ﾀﾛｳ"), codes("V_KANA")),
    Item(
        "enc/beyond-cp932",
        cells({NAME: "𠮷野 葛󠄀", ADDRESS: "か゛ 👨‍👩‍👧"}),
        ACCEPTED,
        driver=special.kept_in_store("𠮷野 葛󠄀", "か゛ 👨‍👩‍👧"),
    ),
    Item(
        "enc/overlong-utf8",
        lambda: _encoded("utf-8")().replace("山".encode(), b"\xc0\xaf", 1),
        codes("F_ENCODING"),
    ),
    Item(
        "enc/lone-continuation",
        lambda: _encoded("utf-8")().replace("山".encode(), b"\x80\x80", 1),
        codes("F_ENCODING"),
    ),
    Item(
        "enc/cesu-8",
        lambda: _encoded("utf-8")().replace("山".encode(), b"\xed\xa0\x80", 1),
        codes("F_ENCODING"),
    ),
    Item(
        "enc/cp932-unassigned",
        lambda: _encoded("cp932")().replace("山".encode("cp932"), b"\x85\x40", 1),
        codes("F_ENCODING"),
    ),
    Item(
        "enc/cp932-0xfd",
        lambda: _encoded("cp932")().replace("山".encode("cp932"), b"\xfd", 1),
        codes("F_ENCODING"),
    ),
    Item("enc/mojibake-looking", cell(ADDRESS, "繧�繝"), ACCEPTED),
    Item("enc/nul-in-field", cell(NAME, "山田\x00太郎"), {**NOT_TEXT}),
    Item(
        "enc/nul-json-escape",
        json_set(NAME, "山田\u0000太郎"),
        codes("V_CHARSET"),
        name="data.json",
    ),
    Item("enc/c0-controls", cell(NAME, "山田\x07太郎"), codes("V_CHARSET")),
    Item("enc/del", cell(NAME, "山田\x7f太郎"), codes("V_CHARSET")),
    Item("enc/u2028", cell(NAME, "山田\u2028太郎"), codes("V_CHARSET")),
    Item("enc/rtl-override", cell(NAME, "山田\u202e太郎"), codes("V_CHARSET")),
    Item("enc/zwsp", cell(NAME, "山田\u200b太郎"), codes("V_CHARSET")),
    # -- CSV structure ------------------------------------------------------------------------
    Item("csv/crlf", _csv_lines("\r\n"), ACCEPTED),
    Item("csv/lf", _csv_lines("\n"), ACCEPTED),
    Item("csv/cr-only", _csv_lines("\r"), ACCEPTED),
    Item(
        "csv/mixed-endings",
        lambda: valid_csv()().replace(b"\r\n", b"\n", 1),
        ACCEPTED,
    ),
    Item(
        "csv/multiline-quoted",
        cell("designatedMedicalInstitutions", "東京病院\r\n大阪病院"),
        ACCEPTED,
    ),
    Item("csv/stray-quote", _quote_stray, codes("F_CSV_SYNTAX")),
    Item("csv/tab", lambda: emit(*table(), delimiter="\t"), codes("F_HEADER_MISSING")),
    Item("csv/semicolon", lambda: emit(*table(), delimiter=";"), codes("F_HEADER_MISSING")),
    Item(
        "csv/fullwidth-comma",
        lambda: valid_csv()().decode().replace(",", "，").encode(),
        codes("F_HEADER_MISSING"),
    ),
    Item(
        "csv/ideographic-comma",
        lambda: valid_csv()().decode().replace(",", "、").encode(),
        codes("F_HEADER_MISSING"),
    ),
    Item(
        "csv/curly-quotes",
        lambda: valid_csv()().decode().replace('"10,000円"', "“10,000円”").encode(),
        codes("R_COLUMN_COUNT"),
    ),
    Item(
        "csv/header-missing", lambda: valid_csv()().split(b"\r\n", 1)[1], codes("F_HEADER_MISSING")
    ),
    Item("csv/header-duplicated", _header(_dup_column), codes("F_HEADER_DUPLICATE")),
    Item("csv/header-reordered", _header(_reordered), ACCEPTED),
    Item("csv/header-extra", _header(_extra_column), codes("F_HEADER_UNKNOWN", "accepted")),
    Item("csv/header-trailing-empty", _header(_empty_column), ACCEPTED),
    Item("csv/header-bom-in-name", _header(_bom_name), ACCEPTED),
    Item("csv/header-spaces", _header(_spaced), ACCEPTED),
    Item("csv/header-fullwidth", _header(_fullwidth), ACCEPTED),
    Item("csv/header-case", _header(_upper), ACCEPTED),
    Item("csv/header-required-absent", _header(_drop(MN)), codes("F_HEADER_MISSING")),
    Item("csv/row-too-few", _rows(_short_row), codes("R_COLUMN_COUNT")),
    Item("csv/row-too-many", _rows(_long_row), codes("R_COLUMN_COUNT")),
    Item("csv/empty-row-middle", _rows(_blank_middle), ACCEPTED),
    Item("csv/comment-line", _rows(_comment), codes("R_COLUMN_COUNT")),
    Item("csv/footer-row", _rows(_footer), codes("R_COLUMN_COUNT")),
    Item("csv/excel-mynumber-exp", cell(MN, "1.23457E+11"), codes("V_CHARSET")),
    Item("csv/excel-leading-zeros", cell("medicalSubsidyRecipientNumber", "2"), codes("V_LENGTH")),
    Item("csv/excel-date-serial", cell("validFrom", "45000"), codes("V_DATE")),
    Item("csv/excel-text-forcing", cell(MN, '=""0123""'), codes("V_CHARSET")),
    Item("csv/excel-na", cell("maxCopaymentAmount.amountMonth", "#N/A"), codes("V_NUMBER")),
    Item("csv/excel-value", cell("maxCopaymentAmount.rateDay", "#VALUE!"), codes("V_NUMBER")),
    # -- Field content ------------------------------------------------------------------------
    Item("field/mynumber-11", cell(MN, "12345678901"), codes("V_LENGTH")),
    Item("field/mynumber-13", cell(MN, "1234567890180"), codes("V_LENGTH")),
    Item("field/mynumber-fullwidth", cell(MN, "１２３４５６７８９０１８"), codes("V_CHARSET")),
    Item("field/mynumber-hyphens", cell(MN, "1234-5678-9018"), codes("V_CHARSET")),
    Item("field/mynumber-spaces", cell(MN, "1234 5678 9018"), codes("V_CHARSET")),
    Item("field/mynumber-check-digit", cell(MN, "123456789012"), codes("V_CHECK_DIGIT")),
    Item("field/mynumber-all-zeros", cell(MN, "000000000000"), ACCEPTED),
    Item("field/mynumber-deny-list", cell(MN, "123456789018"), ACCEPTED),
    Item("field/mynumber-twice-conflicting", _duplicate_record, codes("K_DUPLICATE")),
    Item("field/date-2025-02-29", cell(BIRTH, "2025/02/29"), codes("V_DATE")),
    Item("field/date-2024-02-30", cell(BIRTH, "2024-02-30"), codes("V_DATE")),
    Item("field/date-zeros", cell(BIRTH, "0000-00-00"), codes("V_DATE")),
    Item("field/date-reiwa-kanji", cell("validFrom", "令和7年4月1日"), codes("V_DATE")),
    Item("field/date-r07", cell("validFrom", "R07.04.01"), codes("V_DATE")),
    Item("field/date-h31-05", cell(BIRTH, "H31.05.01"), codes("V_DATE")),
    Item("field/date-1868", cell(BIRTH, "1868-01-01"), codes("V_DATE_RANGE")),
    Item("field/date-future-birth", cell(BIRTH, "2099-01-01"), codes("V_DATE_RANGE")),
    Item(
        "field/valid-to-before-from",
        cells({"validFrom": "2025-04-01", "validTo": "2025-03-31"}),
        codes("V_DATE_RANGE"),
    ),
    Item("field/date-timezone", cell("validFrom", "2025-04-01T00:00:00+09:00"), codes("V_DATE")),
    Item("field/flag-0-1", cell(FLAG, "1"), ACCEPTED),
    Item("field/flag-true-false", cell(FLAG, "false"), ACCEPTED),
    Item("field/flag-TRUE", cell(FLAG, "TRUE"), ACCEPTED),
    Item("field/flag-trailing-space", cell(FLAG, "1 "), codes("V_BOOLEAN")),
    Item("field/flag-fullwidth", cell(FLAG, "１"), codes("V_BOOLEAN")),
    Item("field/flag-empty", cell(FLAG, ""), codes("V_REQUIRED")),
    Item("field/flag-2", cell(FLAG, "2"), codes("V_BOOLEAN")),
    Item("field/flag-null", cell(FLAG, "null"), codes("V_BOOLEAN")),
    Item(
        "field/insurer-7-digits", cell("medicalSubsidyInsurerNumber", "5413101"), codes("V_LENGTH")
    ),
    Item(
        "field/insurer-9-digits",
        cell("medicalSubsidyInsurerNumber", "541310161"),
        codes("V_LENGTH"),
    ),
    Item(
        "field/insurer-letters", cell("medicalSubsidyInsurerNumber", "54A31016"), codes("V_CHARSET")
    ),
    Item("field/recipient-31", cell("medicalSubsidyRecipientNumber", "1" * 31), codes("V_LENGTH")),
    Item("field/reimbursement-2", cell("isAlwaysReimbursement", "2"), codes("V_CODE")),
    Item(
        "field/conditions-grammar",
        cell("additionalConditions", "A01--1;;B02"),
        codes("V_CONDITIONS"),
    ),
    Item("field/name-1000", cell(NAME, "山" * 1000), codes("V_LENGTH")),
    Item("field/address-100kb", cell(ADDRESS, "東" * 34_000), codes("V_LENGTH")),
    Item("field/emoji-100kb", _emoji, codes("V_LENGTH")),
    *[_probe(ident, value, code) for ident, value, code in PROBES],
    Item("field/probe-log-line", cell(NAME, "山田\n2026-01-01 INFO fake line"), codes("V_CHARSET")),
    Item("field/probe-ansi", cell(NAME, "\x1b[31m山田"), codes("V_CHARSET")),
    # -- JSON ---------------------------------------------------------------------------------
    Item("json/top-scalar", raw(b"42"), codes("F_HEADER_MISSING"), name="data.json"),
    Item("json/top-string", raw(b'"x"'), codes("F_HEADER_MISSING"), name="data.json"),
    Item("json/top-object", _pretty_object, codes("F_JSON_SYNTAX"), name="data.json"),
    Item("json/top-object-one-line", json_doc(lambda r: r[0]), ACCEPTED, name="data.json"),
    Item("json/empty-array", raw(b"[]"), codes("F_EMPTY"), name="data.json"),
    Item(
        "json/large-array",
        _many_elements,
        codes("R_NOT_OBJECT"),
        name="data.json",
        channels=("api",),
        not_applicable={
            ch: "the same engine and issue writer as the API, where it runs with 100,000 "
            "elements (each one an issue row); 1,000,000 run through the engine in "
            "tests/uploads/test_validation_fuzz.py (storing 1M issue rows takes over a minute)"
            for ch in ("web", "folder", "mail", "media")
        },
    ),
    Item("json/depth-100k", _deep_json, codes("F_JSON_SYNTAX"), name="data.json"),
    *[_json_raw(ident, path, literal, code) for ident, path, literal, code in JSON_RAW],
    Item("json/bom", lambda: b"\xef\xbb\xbf" + json_doc()(), ACCEPTED, name="data.json"),
    Item(
        "json/trailing-comma",
        lambda: json_doc()()[:-1] + b",]",
        codes("F_JSON_SYNTAX"),
        name="data.json",
    ),
    Item(
        "json/comments",
        lambda: b"// records\n" + json_doc()(),
        codes("F_HEADER_MISSING"),
        name="data.json",
    ),
    Item("json/lines-not-array", json_doc(lines=True), ACCEPTED, name="data.json"),
    Item(
        "json/mynumber-number", json_doc(_numbers_for_mynumber), codes("V_TYPE"), name="data.json"
    ),
    # -- Archives -----------------------------------------------------------------------------
    Item("zip/flat-bomb", flat_bomb, NOT_TEXT | {"mail": ("zip",)}, name="data.zip"),
    Item("zip/nested-42", nested_bomb, NOT_TEXT | {"mail": ("zip",)}, name="data.zip"),
    Item("zip/100k-entries", many_entries, NOT_TEXT | {"mail": ("zip",)}, name="data.zip"),
    Item("zip/overlapping", overlapping, NOT_TEXT | {"mail": ("zip",)}, name="data.zip"),
    Item("zip/header-lies", header_lie, NOT_TEXT | {"mail": ("zip",)}, name="data.zip"),
    Item("zip/slip", zip_slip, NOT_TEXT | {"mail": ("zip",)}, name="data.zip"),
    Item("zip/links-and-duplicates", zip_links, NOT_TEXT | {"mail": ("zip",)}, name="data.zip"),
    Item("zip/cp932-entry-name", zip_cp932_name, NOT_TEXT | {"mail": ("zip",)}, name="data.zip"),
    Item("zip/ppap", ppap, NOT_TEXT | {"mail": ("ppap",)}, name="data.zip"),
    Item(
        "zip/zip-in-zip",
        lambda: zip_of([("in.zip", zip_of([("a.csv", b"a")]))]),
        NOT_TEXT | {"mail": ("zip",)},
        name="data.zip",
    ),
    Item("zip/zip64", zip64, NOT_TEXT | {"mail": ("zip",)}, name="data.zip"),
    Item(
        "zip/tar-gz-devices", tar_devices, NOT_TEXT | {"mail": ("unsupported",)}, name="data.tar.gz"
    ),
    Item("zip/ppap-as-csv", ppap, NOT_TEXT, name="data.csv"),
]

ITEMS += names.ITEMS + mail_items.ITEMS + http_items.ITEMS + folder_items.ITEMS
NOT_RUN = http_items.NOT_RUN
