"""Opening exports as they come: encodings, title rows, blank rows, xlsx cells, bounded reads."""

import datetime as dt
import io
import zipfile
from contextlib import ExitStack

import pytest
from openpyxl import Workbook

from uploads.lib.doctor import SourceError, profile_file
from uploads.lib.doctor.headers import header_index
from uploads.lib.doctor.sources import open_table

HEADER = "個人番号,氏名,生年月日\r\n"
ROW = "123456789018,山田　太郎,S55.1.1\r\n"


def _table(data: bytes, **kwargs):
    index = header_index()
    score = lambda cells: sum(1 for c in cells if c.strip() and index.matches(c))  # noqa: E731
    with ExitStack() as stack:
        table = open_table(io.BytesIO(data), stack, header_score=score, **kwargs)
        rows = list(table.rows())
    return table, rows


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ((HEADER + ROW).encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + (HEADER + ROW).encode("utf-8"), "utf-8-sig"),
        ((HEADER + ROW).encode("cp932"), "cp932"),
    ],
)
def test_csv_encodings_are_detected_like_the_engine(data, encoding):
    table, rows = _table(data)
    assert (table.format, table.encoding) == ("csv", encoding)
    assert [c.name for c in table.columns] == ["個人番号", "氏名", "生年月日"]
    assert rows == [(1, 2, ["123456789018", "山田　太郎", "S55.1.1"])]


def test_title_rows_and_blank_lines_above_the_header_are_skipped():
    data = (
        "受給者一覧 令和7年4月1日現在,,\r\n\r\n作成: こども家庭課,,\r\n"
        + HEADER
        + ROW
        + "\r\n"
        + ROW
    ).encode("cp932")
    table, rows = _table(data)
    assert table.header_line == 4
    assert [(r, line) for r, line, _c in rows] == [(1, 5), (2, 7)]


def test_without_a_known_name_the_first_wide_row_is_the_header():
    data = "一覧表\nA,B,C\n1,2,3\n".encode()
    table, rows = _table(data)
    assert [c.name for c in table.columns] == ["A", "B", "C"]
    assert rows[0][2] == ["1", "2", "3"]


def test_a_tab_separated_file_saved_as_csv():
    table, rows = _table("個人番号\t氏名\n123456789018\t山田\n".encode())
    assert table.delimiter == "\t"
    assert rows[0][2] == ["123456789018", "山田"]


def test_empty_and_repeated_header_cells_get_names_users_can_find():
    table, _rows = _table("個人番号,,備考,備考\n1,2,3,4\n".encode())
    assert [c.name for c in table.columns] == ["個人番号", "(B列)", "備考", "備考(D列)"]


def test_undecodable_bytes_become_a_replacement_character_not_a_crash():
    data = "個人番号,氏名\n123456789018,山田\n".encode("cp932") + b"123456789018,\x82\xff\n"
    table, rows = _table(data)
    assert table.encoding == "cp932"
    assert "\ufffd" in rows[1][2][1]


def _xlsx(build) -> bytes:
    book = Workbook()
    build(book.active)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_title_row_merged_cells_and_numbers_stored_as_numbers():
    def build(ws):
        ws["B2"] = "子ども医療費受給者一覧"
        ws.merge_cells("B2:E2")
        ws.append([])
        ws.append([None, "受給者番号", "個人番号", "生年月日", "市町村コード"])
        ws.append([None, 123457, 123456789018, dt.datetime(1980, 1, 1), 131016.0])
        ws["C5"].number_format = "0.00E+00"

    table, rows = _table(_xlsx(build))
    assert (table.format, table.sheet, table.header_line) == ("xlsx", "Sheet", 4)
    assert [c.name for c in table.columns] == [
        "(A列)",
        "受給者番号",
        "個人番号",
        "生年月日",
        "市町村コード",
    ]
    assert rows == [(1, 5, [None, 123457, 123456789018, dt.datetime(1980, 1, 1), 131016])]


def test_xlsx_sheet_is_chosen_by_name_or_the_first_with_data():
    def build(ws):
        ws.title = "表紙"
        book = ws.parent
        data = book.create_sheet("データ")
        data.append(["個人番号", "氏名"])
        data.append(["123456789018", "山田"])

    table, rows = _table(_xlsx(build))
    assert (table.sheet, table.sheets) == ("データ", ("表紙", "データ"))
    with pytest.raises(SourceError, match="シート「一覧」がありません（シート: 表紙、データ）"):
        _table(_xlsx(build), sheet="一覧")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "古い Excel 形式（.xls）"),
        (b"PK\x03\x04broken", "Excel ファイル（.xlsx）として開けません"),
        (b'[{"myNumber": "123456789018"}]', "JSON は PMH の形式そのもの"),
        (b"", "レコードが1件もありません"),
        (b"\n\n\n", "レコードが1件もありません"),
        (b"\x1f\x8b\x08\x00", "gzip"),
    ],
)
def test_files_that_are_not_tables_get_a_japanese_reason(data, message):
    with pytest.raises(SourceError, match=message):
        _table(data)


def test_a_zip_that_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(SourceError, match="として開けません"):
        _table(out.getvalue())


def test_a_broken_quote_is_reported_with_its_line():
    data = '個人番号,氏名\n123456789018,"山田\n'.encode()
    with pytest.raises(SourceError, match="2行目"):
        _table(data)


class CountingReader(io.BytesIO):
    """Remembers how far the file was read."""

    furthest = 0

    def read(self, size=-1):
        data = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return data


def test_profiling_a_large_csv_reads_only_its_beginning():
    body = ROW * 200_000  # about 8 MB
    fh = CountingReader((HEADER + body).encode("cp932"))
    profile = profile_file(fh, sample_rows=100)
    assert profile.rows_sampled == 100
    # The engine's sniffer reads its 64 KiB windows; the sample itself a few text buffers.
    assert fh.furthest < 400_000 < len(fh.getvalue())


@pytest.mark.parametrize(
    "first_row",
    ["山田　太郎,123456789018,S55.1.1", "佐藤,ｻﾄｳ,2024/4/1", "a,b,1980"],
)
def test_a_file_without_a_header_is_refused_without_echoing_its_first_row(first_row):
    data = (first_row + "\n" + first_row + "\n").encode()
    with pytest.raises(SourceError) as caught:
        _table(data)
    assert "見出し行（列名の行）が見つかりません" in str(caught.value)
    assert first_row.split(",")[0] not in str(caught.value)
