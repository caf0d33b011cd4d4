"""CSV exports that Excel opens as text: UTF-8 with BOM, and no cell read as a formula."""

import csv
from collections.abc import Iterable
from urllib.parse import quote

from django.http import StreamingHttpResponse

from coderules.csvcell import csv_safe


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(
    filename: str, header: Iterable, rows: Iterable[Iterable]
) -> StreamingHttpResponse:
    writer = csv.writer(_Echo(), lineterminator="\r\n")

    def lines():
        yield "\ufeff" + writer.writerow([csv_safe(h) for h in header])
        for row in rows:
            yield writer.writerow([csv_safe(cell) for cell in row])

    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in lines()), content_type="text/csv; charset=utf-8"
    )
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response["Cache-Control"] = "no-store, private, max-age=0"
    return response
