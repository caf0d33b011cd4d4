"""Reading the national list of local government codes (console.md §6 import_municipalities)."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

import jaconv
from django.utils.translation import gettext as _

from coderules.checkdigits import municipality_code_valid

COLUMNS = ("code", "prefecture", "city", "prefecture_kana", "city_kana")


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


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes, else CP932."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp932")


def _kana(value: str) -> str:
    # The official list gives half-width kana; the console stores full-width.
    return jaconv.h2z(value.strip(), kana=True, ascii=False, digit=False)


def read_rows(text: str) -> Iterator[Row | Rejected]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS[:2] if c not in names]
    if missing:
        message = _("The header line lacks the columns %(missing)s (needed: %(columns)s).")
        yield Rejected(1, message % {"missing": ", ".join(missing), "columns": ",".join(COLUMNS)})
        return
    index = {name: names.index(name) for name in COLUMNS if name in names}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str, row=row) -> str:
            i = index.get(name)
            return row[i].strip() if i is not None and i < len(row) else ""

        code = cell("code")
        where = {"line": line, "code": code}
        if not (len(code) == 6 and code.isascii() and code.isdigit()):
            message = _("Line %(line)d: the municipality code “%(code)s” is not 6 ASCII digits.")
            yield Rejected(line, message % where)
        elif not municipality_code_valid(code):
            message = _(
                "Line %(line)d: the check digit of the municipality code “%(code)s” is wrong."
            )
            yield Rejected(line, message % where)
        elif not cell("prefecture"):
            yield Rejected(line, _("Line %(line)d: the prefecture name is missing.") % where)
        else:
            yield Row(
                line=line,
                code=code,
                prefecture=cell("prefecture"),
                city=cell("city"),
                prefecture_kana=_kana(cell("prefecture_kana")),
                city_kana=_kana(cell("city_kana")),
            )
