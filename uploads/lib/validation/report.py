"""Issues, the report of record-layout §8, and the result files written from them."""

from __future__ import annotations

import csv
import heapq
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, NamedTuple

from coderules.csvcell import csv_safe
from coderules.masking import mask_text

ERROR = "error"
WARNING = "warning"


class Issue(NamedTuple):
    row: int | None
    line: int | None
    field: str | None
    code: str
    severity: str
    message: str
    value: str | None = None
    extra: dict[str, Any] | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    @property
    def is_file_level(self) -> bool:
        return self.code.startswith("F_") and self.severity == ERROR

    def to_dict(self) -> dict[str, Any]:
        data = {
            "row": self.row,
            "line": self.line,
            "field": self.field,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "value": self.value,
        }
        if self.extra:
            data.update(self.extra)
        return data


def file_issue(
    code: str,
    message: str,
    *,
    line: int | None = None,
    field: str | None = None,
    severity: str = ERROR,
    **extra: Any,
) -> Issue:
    return Issue(None, line, field, code, severity, message, None, extra or None)


@dataclass
class Report:
    layout: str
    mode: str
    format: str | None
    encoding: str | None
    options: dict[str, Any]
    rows: int = 0
    valid_rows: int = 0
    errors: int = 0
    warnings: int = 0
    accepted: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    issues_total: int = 0
    issues_truncated: bool = False
    diff: dict[str, int] | None = None
    comment: str | None = None

    @property
    def file_rejected(self) -> bool:
        return any(i.is_file_level for i in self.issues)

    @property
    def exit_code(self) -> int:
        if self.accepted:
            return 0
        return 2 if self.file_rejected else 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "layout": self.layout,
            "mode": self.mode,
            "format": self.format,
            "encoding": self.encoding,
            "options": self.options,
            "rows": self.rows,
            "valid_rows": self.valid_rows,
            "errors": self.errors,
            "warnings": self.warnings,
            "accepted": self.accepted,
            "counts": self.counts,
            "issues": [i.to_dict() for i in self.issues],
            "issues_total": self.issues_total,
            "issues_truncated": self.issues_truncated,
            "diff": self.diff,
            "comment": self.comment,
        }

    def to_json(self, *, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)


class IssueCollector:
    """Counts every issue, keeps the first ``max_issues`` and hands each one to ``sink``."""

    def __init__(self, max_issues: int, sink: Callable[[Issue], None] | None = None):
        self.max_issues = max_issues
        self.sink = sink
        self.first: list[Issue] = []
        self.counts: Counter[str] = Counter()
        self.errors = 0
        self.warnings = 0
        self.total = 0
        self.file_problem: Issue | None = None
        self._order: list[float] = []
        self._last_row = 0
        # (codes, text): appended to the message of issues of these codes (a file-wide hint,
        # such as "this file is probably EUC-JP").
        self.hint: tuple[frozenset[str], str] | None = None

    def _hinted(self, issue: Issue) -> Issue:
        codes, text = self.hint  # type: ignore[misc]
        if issue.code in codes:
            return issue._replace(message=issue.message + text)
        return issue

    def _count(self, issue: Issue) -> None:
        self.total += 1
        self.counts[issue.code] += 1
        if issue.severity == ERROR:
            self.errors += 1
            if issue.code.startswith("F_") and self.file_problem is None:
                self.file_problem = issue
        else:
            self.warnings += 1
        if self.sink is not None:
            self.sink(issue)

    def add(self, issue: Issue) -> None:
        if self.hint is not None:
            issue = self._hinted(issue)
        self._count(issue)
        if issue.row is not None:
            self._last_row = issue.row
        if len(self.first) < self.max_issues:
            self.first.append(issue)
            # A row-less (file-level) issue stays after the rows read before it.
            self._order.append(issue.row if issue.row is not None else self._last_row + 0.75)

    def add_first(self, issue: Issue) -> None:
        """A file-level issue found at the end that belongs at the top of the report (the mass
        removal warning); the sink gets it last, like the key duplicates."""
        self._count(issue)
        self.first.insert(0, issue)
        self._order.insert(0, -1.0)
        if len(self.first) > self.max_issues:
            self.first.pop()
            self._order.pop()

    def merge_late(self, late: Iterable[Issue]) -> None:
        """Add issues found after the stream (key duplicates), keeping ``first`` in file order."""
        extra: list[tuple[float, Issue]] = []
        for issue in late:
            self._count(issue)
            if len(extra) < self.max_issues:
                extra.append((issue.row + 0.5, issue))
        if extra:
            merged = heapq.merge(
                zip(self._order, self.first, strict=True), extra, key=itemgetter(0)
            )
            kept = list(islice(merged, self.max_issues))
            self._order = [o for o, _ in kept]
            self.first = [i for _, i in kept]


SEVERITY_JA = {ERROR: "エラー", WARNING: "警告"}


def summary_text(report: Report, *, first: int = 20) -> str:
    """A readable Japanese summary with the first issues, for the CLI and mail bodies."""
    verdict = "受理" if report.accepted else "不受理"
    mode = {"full": "全件", "diff": "差分"}.get(report.mode, report.mode)
    lines = [
        f"判定: {verdict}",
        f"レイアウト: {report.layout}  モード: {mode}  形式: {report.format or '不明'}"
        f"  文字コード: {report.encoding or '不明'}",
        f"レコード数: {report.rows}  正常: {report.valid_rows}  "
        f"エラー: {report.errors}  警告: {report.warnings}",
    ]
    if report.options.get("myNumberCheckDigit") == WARNING:
        lines.append("個人番号の検査用数字の誤りは警告として扱っています。")
    if report.options.get("insurerCheckDigit") == WARNING:
        listed = report.options.get("insurerCheckDigitPrograms")
        scope = f"（対象: {'・'.join(listed)}）" if listed else ""
        lines.append(f"公費負担者番号・受給者番号の検証番号の誤りは警告として扱っています{scope}。")
    if report.diff:
        names = {
            "added": "追加",
            "changed": "変更",
            "unchanged": "変更なし",
            "removed": "削除",
            "inserted": "追加",
            "updated": "更新",
            "deleted": "削除",
        }
        gone = report.diff.get("removed", report.diff.get("deleted", 0))
        lines.append(f"テスト環境から削除されるレコード: {gone}件")
        lines.append("差分: " + "  ".join(f"{names[k]} {v}" for k, v in report.diff.items()))
    if report.counts:
        lines.append("内訳: " + "  ".join(f"{k} {v}" for k, v in sorted(report.counts.items())))
    shown = report.issues[:first]
    if shown:
        lines.append("")
        lines.append(f"最初の{len(shown)}件（全{report.issues_total}件）:")
    for issue in shown:
        where = []
        if issue.row is not None:
            where.append(f"{issue.row}件目")
        if issue.line is not None:
            where.append(f"{issue.line}行目")
        if issue.field:
            where.append(mask_text(issue.field))
        value = f" 値: {issue.value}" if issue.value is not None else ""
        lines.append(
            f"- [{SEVERITY_JA.get(issue.severity, issue.severity)}] {issue.code} "
            f"{' '.join(where)}: {issue.message}{value}"
        )
    return "\n".join(lines)


RESULT_CSV_COLUMNS = ("row", "line", "field", "code", "severity", "message", "value")


def write_result_csv(issues: Iterable[Issue], out: IO[bytes] | str | Path) -> int:
    """Write ``.result.csv``: one issue per line, UTF-8 with BOM. Returns the number of issues."""
    if isinstance(out, str | Path):
        with open(out, "wb") as fh:
            return write_result_csv(issues, fh)
    out.write(b"\xef\xbb\xbf")
    count = 0
    buffer: list[str] = []

    class _Lines:
        def write(self, text: str) -> None:
            buffer.append(text)

    writer = csv.writer(_Lines(), lineterminator="\r\n")
    writer.writerow(RESULT_CSV_COLUMNS)
    for issue in issues:
        data = issue.to_dict()
        writer.writerow([csv_safe(data[c]) for c in RESULT_CSV_COLUMNS])
        count += 1
        if len(buffer) >= 1000:
            out.write("".join(buffer).encode("utf-8", "replace"))
            buffer.clear()
    out.write("".join(buffer).encode("utf-8", "replace"))
    return count


def write_report_json(report: Report, out: IO[bytes] | str | Path) -> None:
    """Write ``.result.json`` (the §8 report, UTF-8, no BOM)."""
    data = report.to_json(indent=2).encode("utf-8", "replace")
    if isinstance(out, str | Path):
        Path(out).write_bytes(data)
    else:
        out.write(data)
