"""The result files of a submission (console.md §3.1), for downloads and for every channel.

`F.result.json` is the report of record-layout §8 (with the reviewer's comment);
`F.result.csv` lists every issue, one a line, UTF-8 with BOM, cells Excel reads as text.
"""

import csv
import json
from collections.abc import Iterator

from uploads.lib.validation.report import RESULT_CSV_COLUMNS, csv_safe
from uploads.models import Status, Submission


def result_names(name: str) -> tuple[str, str]:
    """The one rule for result file names on every channel: ``F`` → ``F.result.json``,
    ``F.result.csv`` (console.md §3.1)."""
    return f"{name}.result.json", f"{name}.result.csv"


def result_json(submission: Submission) -> bytes:
    report = dict(submission.report or {})
    report["comment"] = submission.review_comment or report.get("comment")
    return json.dumps(report, ensure_ascii=False, indent=2).encode("utf-8")


class _Line:
    def write(self, text: str) -> str:
        return text


def result_csv(submission: Submission) -> Iterator[bytes]:
    """The CSV in chunks, straight from the stored issues (all of them, in file order)."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield b"\xef\xbb\xbf" + writer.writerow(RESULT_CSV_COLUMNS).encode("utf-8")
    buffer: list[str] = []
    issues = submission.issues.filter(attempt=submission.attempts).order_by("seq")
    for issue in issues.iterator(chunk_size=2000):
        data = issue.to_dict()
        buffer.append(writer.writerow([csv_safe(data[c]) for c in RESULT_CSV_COLUMNS]))
        if len(buffer) >= 1000:
            yield "".join(buffer).encode("utf-8", "replace")
            buffer.clear()
    yield "".join(buffer).encode("utf-8", "replace")


def result_source(submission: Submission) -> Submission:
    """The submission whose report answers this one: itself, or the first of its bytes."""
    return submission.duplicate_of or submission


def result_files(submission: Submission) -> tuple[bytes, bytes]:
    """(``F.result.json``, ``F.result.csv``) for the submission's own file name."""
    source = result_source(submission)
    if source.status != Status.RETURNED:
        # The first copy is still being validated (or waits for review): say so, no issues.
        report = {
            "id": submission.pk,
            "status": "duplicate",
            "duplicate_of": source.pk,
            "accepted": None,
        }
        header = next(iter(result_csv(submission)))
        return json.dumps(report, ensure_ascii=False, indent=2).encode(), header
    data = result_json(source)
    if source.pk != submission.pk:
        report = json.loads(data)
        report["duplicate_of"] = source.pk
        data = json.dumps(report, ensure_ascii=False, indent=2).encode()
    return data, b"".join(result_csv(source))
