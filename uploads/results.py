"""The result files of a submission (console.md §3.1), for downloads and for every channel.

`F.result.json` is the report of record-layout §8 (with the reviewer's comment);
`F.result.csv` lists every issue, one a line, UTF-8 with BOM, cells Excel reads as text.
"""

import csv
import gzip
import json
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from uploads.lib.validation.report import RESULT_CSV_COLUMNS, csv_safe
from uploads.models import Status, Submission, SubmissionIssue


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


def overflow_path(submission_id: int, attempt: int) -> Path:
    """The issues of an attempt past ``PMH_ISSUE_ROWS_MAX``: result CSV lines, gzip members."""
    return Path(settings.PMH_STORAGE_ROOT, "issues", f"{submission_id}-{attempt}.csv.gz")


class IssueOverflow:
    """Issues beyond the database's bound (issue 17.5): kept for the result file only, so the
    database holds at most ``PMH_ISSUE_ROWS_MAX`` rows per submission, whatever the file."""

    def __init__(self, submission_id: int, attempt: int):
        self.path = overflow_path(submission_id, attempt)
        self.path.unlink(missing_ok=True)  # left by an earlier run of this attempt
        self.lines: list[str] = []
        self.writer = csv.writer(_Line(), lineterminator="\r\n")

    def append(self, issue: SubmissionIssue) -> None:
        data = issue.to_dict()
        self.lines.append(self.writer.writerow([csv_safe(data[c]) for c in RESULT_CSV_COLUMNS]))

    def flush(self) -> None:
        if not self.lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(self.path, "ab", compresslevel=6) as out:  # one gzip member a batch
            out.write("".join(self.lines).encode("utf-8", "replace"))
        self.lines = []


def result_csv(submission: Submission) -> Iterator[bytes]:
    """The CSV in chunks, from the stored issues then the overflow file (all, in file order)."""
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
    overflow = overflow_path(submission.pk, submission.attempts)
    if overflow.exists():
        with gzip.open(overflow, "rb") as fh:
            while chunk := fh.read(1 << 16):
                yield chunk


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
