"""Reading the national list of local government codes (console.md §6 import_municipalities).

The list comes as the ministry publishes it (総務省「全国地方公共団体コード」: an XLSX whose
header cells read 団体コード, 都道府県名（漢字）, 市区町村名（漢字）, …, sometimes with a line break
inside) or as CSV with either those Japanese names or code,prefecture,city,….
"""

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import jaconv
from django.utils.translation import gettext as _

from coderules.checkdigits import municipality_code_valid

COLUMNS = ("code", "prefecture", "city", "prefecture_kana", "city_kana")
# The ministry's headers, compared after NFKC and with every space and line break removed.
JAPANESE_COLUMNS = {
    "団体コード": "code",
    "都道府県名(漢字)": "prefecture",
    "都道府県名": "prefecture",
    "市区町村名(漢字)": "city",
    "市区町村名": "city",
    "都道府県名(カナ)": "prefecture_kana",
    "市区町村名(カナ)": "city_kana",
}
XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class Row:
    line: int
    code: str
    prefecture: str
    city: str
    prefecture_kana: str
    city_kana: str


@dataclass
class Rejected:
    line: int
    message: str


class UnreadableFile(ValueError):
    """The file is neither CSV text (UTF-8, CP932) nor a readable XLSX workbook."""


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes, else CP932."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp932")


def _kana(value: str) -> str:
    # The official list gives half-width kana; the console stores full-width.
    return jaconv.h2z(value.strip(), kana=True, ascii=False, digit=False)


def _column(header: str) -> str:
    name = "".join(unicodedata.normalize("NFKC", header or "").split())
    return JAPANESE_COLUMNS.get(name, name.lower())


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _xlsx_lines(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # only an XLSX import pays for loading openpyxl

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        raise UnreadableFile(str(exc)) from exc
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values]
    finally:
        book.close()


def _csv_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    for row in reader:
        yield reader.line_num, row


def read_file(data: bytes) -> Iterator[Row | Rejected]:
    """Rows of an XLSX workbook (its first sheet) or of CSV text, told apart by their bytes."""
    if data.startswith(XLSX_MAGIC):
        return read_lines(_xlsx_lines(data))
    try:
        text = decode(data)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(str(exc)) from exc
    return read_lines(_csv_lines(text))


def _code(value: str) -> str:
    # A spreadsheet may have turned 011002 into the number 11002.
    return value.zfill(6) if value.isascii() and value.isdigit() and len(value) == 5 else value


def read_lines(lines: Iterable[tuple[int, list[str]]]) -> Iterator[Row | Rejected]:
    lines = iter(lines)
    first = next(lines, None)
    if first is None:
        return
    names = [_column(h) for h in first[1]]
    missing = [c for c in COLUMNS[:2] if c not in names]
    if missing:
        message = _("The header line lacks the columns %(missing)s (needed: %(columns)s).")
        yield Rejected(1, message % {"missing": ", ".join(missing), "columns": ",".join(COLUMNS)})
        return
    index = {name: names.index(name) for name in COLUMNS if name in names}
    for line, row in lines:
        if not any((cell or "").strip() for cell in row):
            continue

        def cell(name: str, row=row) -> str:
            i = index.get(name)
            return (row[i] or "").strip() if i is not None and i < len(row) else ""

        yield _row(line, cell)


def _row(line: int, cell) -> Row | Rejected:
    code = _code(cell("code"))
    where = {"line": line, "code": code}
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        message = _("Line %(line)d: the municipality code “%(code)s” is not 6 ASCII digits.")
        return Rejected(line, message % where)
    if not municipality_code_valid(code):
        message = _("Line %(line)d: the check digit of the municipality code “%(code)s” is wrong.")
        return Rejected(line, message % where)
    if not cell("prefecture"):
        return Rejected(line, _("Line %(line)d: the prefecture name is missing.") % where)
    return Row(
        line=line,
        code=code,
        prefecture=cell("prefecture"),
        city=cell("city"),
        prefecture_kana=_kana(cell("prefecture_kana")),
        city_kana=_kana(cell("city_kana")),
    )
