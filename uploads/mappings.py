"""The layout doctor in the console (issue 24): files diagnosed on an integration's
「レイアウト診断」 page, its mapping saved as versions, and the records source of a submission
validated through that mapping on any channel.

The framework-free work (profiling, converting, the 変換仕様書) is ``uploads.lib.doctor``; this
module keeps what the console records about it and hands the engine the converted file.
"""

from __future__ import annotations

import csv
import io
import logging
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from coderules.csvcell import csv_safe
from coderules.masking import mask_text
from onboarding.models import Integration
from uploads import lifecycle, services
from uploads.lib import storage
from uploads.lib.doctor import (
    ConversionSummary,
    MappingError,
    SourceError,
    check_mapping,
    convert,
    mapping_to_json,
    profile_file,
    specification,
    write_specification_csv,
    write_specification_xlsx,
)
from uploads.lib.doctor.mapping import target_label
from uploads.lib.doctor.plan import PERSONAL_FIELDS
from uploads.lib.validation import Issue, Report, load_layout
from uploads.lib.validation.masking import NOT_DISCLOSED, mask_value
from uploads.models import LayoutDiagnosis, LayoutMapping, LayoutMappingVersion, Submission

log = logging.getLogger(__name__)
WARNING = "warning"
# Issue codes the mapping adds to a submission's report, all warnings (docs/DECISIONS.md):
# C_APPLIED for each conversion that changed rows, C_SOURCE when the file could not be read
# through the mapping; the doctor's own C_* codes for values it could not convert.
C_APPLIED = "C_APPLIED"
C_SOURCE = "C_SOURCE"
# What a conversion problem says of a personal or non-disclosed value: no reading of the value.
_PLAIN = {
    "C_DATE": "日付として読めないか、ない日付のため変換できませんでした",
    "C_EXPONENT": "指数表記で下の桁が失われているため元の値に戻せませんでした",
    "C_VALUE": "値が対応表にないため変換できませんでした",
    "C_NUMBER": "整数として読めないため変換できませんでした",
}


class MappingConflict(Exception):
    """The mapping was saved again after the form was opened (another tab, a double click)."""

    def __init__(self, number: int):
        super().__init__(f"current version is {number}")
        self.number = number


class NothingChanged(Exception):
    """The document equals the current version: no new version."""

    def __init__(self, version: LayoutMappingVersion):
        super().__init__(f"same as version {version.number}")
        self.version = version


class NoMapping(Exception):
    """The integration has no saved mapping yet."""


# -- reading ---------------------------------------------------------------------------------


def mapping_of(integration: Integration) -> LayoutMapping | None:
    return (
        LayoutMapping.objects.select_related("current", "current__created_by")
        .filter(integration=integration)
        .first()
    )


def version_of(integration: Integration, number: int | None = None) -> LayoutMappingVersion | None:
    """The current version, or the one numbered ``number``."""
    if number is None:
        mapping = mapping_of(integration)
        return mapping.current if mapping else None
    return LayoutMappingVersion.objects.filter(
        mapping__integration=integration, number=number
    ).first()


def versions_of(integration: Integration):
    return LayoutMappingVersion.objects.filter(mapping__integration=integration).select_related(
        "created_by"
    )


def latest_diagnosis(integration: Integration) -> LayoutDiagnosis | None:
    return integration.layout_diagnoses.exclude(profile=None).first()


# -- diagnosing ------------------------------------------------------------------------------


def _doctor_root() -> Path:
    return services.storage_root() / "doctor"


def diagnosis_path(diagnosis: LayoutDiagnosis) -> Path | None:
    if not diagnosis.storage_name:
        return None
    path = _doctor_root() / diagnosis.storage_name
    return path if path.exists() else None


def diagnose(
    *, integration: Integration, original_name: str, stream: BinaryIO, user
) -> LayoutDiagnosis:
    """Keep the file's bytes and its masked profile. Raises ``lifecycle.SubmissionTooLarge``
    over the upload limit (nothing kept); a file that cannot be read as a table is recorded
    with its Japanese ``problem``."""
    limit_mb = settings.PMH_MAX_UPLOAD_MB
    try:
        incoming, size, sha256 = storage.receive_stream(
            stream, _doctor_root() / "incoming", max_bytes=limit_mb * services.MIB
        )
    except storage.TooLarge:
        raise lifecycle.SubmissionTooLarge(limit_mb) from None
    # The same bytes diagnosed again (a double click, the back button): the same diagnosis.
    same = integration.layout_diagnoses.filter(sha256=sha256).exclude(storage_name="").first()
    if same is not None and diagnosis_path(same) is not None:
        incoming.unlink(missing_ok=True)
        return same
    name = f"{integration.pk}/{uuid.uuid4().hex}"
    try:
        storage.keep(incoming, _doctor_root() / name)
    finally:
        incoming.unlink(missing_ok=True)
    diagnosis = LayoutDiagnosis(
        integration=integration,
        original_name=services.clean_name(original_name),
        size=size,
        sha256=sha256,
        storage_name=name,
        created_by=user,
    )
    try:
        profile = profile_file(_doctor_root() / name, mode=integration.data_mode or "full")
        diagnosis.profile = profile.to_dict()
    except SourceError as exc:
        diagnosis.problem = mask_text(str(exc))
    diagnosis.save()
    return diagnosis


def diagnosis_retention_sweep() -> int:
    """Diagnosed files' bytes go after ``PMH_RETENTION_DAYS`` like every received file; the
    record and its masked profile stay. Returns how many files were removed."""
    before = timezone.now() - timedelta(days=settings.PMH_RETENTION_DAYS)
    removed = 0
    for diagnosis in LayoutDiagnosis.objects.filter(created_at__lt=before).exclude(storage_name=""):
        (_doctor_root() / diagnosis.storage_name).unlink(missing_ok=True)
        diagnosis.storage_name = ""
        diagnosis.save(update_fields=["storage_name"])
        removed += 1
    return removed


# -- saving ----------------------------------------------------------------------------------


@transaction.atomic
def save_version(
    *,
    integration: Integration,
    document: dict,
    user,
    base_number: int | None,
    how: str = LayoutMappingVersion.How.EDIT,
    source_name: str = "",
) -> LayoutMappingVersion:
    """Save ``document`` as the integration's next version and make it current.

    ``base_number`` is the version the form was opened on (0: none yet); when another save came
    in between, ``MappingConflict`` and nothing is saved, so a double click or a form sent again
    from the back button saves once. A document equal to the current one raises
    ``NothingChanged``; an unusable one ``MappingError`` with Japanese sentences.
    """
    errors = check_mapping(document)
    if errors:
        raise MappingError(errors)
    # One save at a time per integration (the first save creates the mapping row).
    Integration.objects.select_for_update().get(pk=integration.pk)
    mapping, _created = LayoutMapping.objects.get_or_create(integration=integration)
    mapping = LayoutMapping.objects.select_related("current").get(pk=mapping.pk)
    current = mapping.current
    number = current.number if current else 0
    if base_number is not None and base_number != number:
        raise MappingConflict(number)
    if current is not None and current.document == document:
        raise NothingChanged(current)
    version = LayoutMappingVersion.objects.create(
        mapping=mapping,
        number=number + 1,
        document=document,
        how=how,
        source_name=source_name[:255],
        created_by=user,
    )
    mapping.current = version
    mapping.updated_at = timezone.now()
    mapping.save(update_fields=["current", "updated_at"])
    return version


@transaction.atomic
def set_use(*, integration: Integration, use: bool) -> bool:
    """Switch validation through the mapping on or off; True when it changed."""
    mapping = LayoutMapping.objects.select_for_update().filter(integration=integration).first()
    if mapping is None or mapping.current_id is None:
        if use:
            raise NoMapping
        return False
    if mapping.use_for_submissions == use:
        return False
    mapping.use_for_submissions = use
    mapping.updated_at = timezone.now()
    mapping.save(update_fields=["use_for_submissions", "updated_at"])
    return True


# -- the 変換仕様書 ----------------------------------------------------------------------------


def specification_bytes(
    integration: Integration, version: LayoutMappingVersion, kind: str
) -> bytes:
    """The 変換仕様書 as CSV or XLSX, with masked examples from the latest diagnosed file."""
    diagnosis = latest_diagnosis(integration)
    source = diagnosis_path(diagnosis) if diagnosis else None
    try:
        rows = specification(version.document, source)
    except SourceError:
        rows = specification(version.document)
    out = io.BytesIO()
    if kind == "xlsx":
        title = (
            f"変換仕様書 {integration.municipality.name} {integration.business_system}"
            f"（対応表 第{version.number}版）"
        )
        write_specification_xlsx(rows, out, title=title)
    else:
        write_specification_csv(rows, out)
    return out.getvalue()


# -- submissions through the mapping (the hook of uploads.processing) -------------------------


def _version_in_use(integration_id: int) -> LayoutMappingVersion | None:
    mapping = (
        LayoutMapping.objects.select_related("current")
        .filter(integration_id=integration_id, use_for_submissions=True)
        .first()
    )
    return mapping.current if mapping else None


def _is_json(path: Path) -> bool:
    """JSON is PMH's own format: a mapping is for CSV and workbook exports."""
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"[", b"{")


class RecordsSource:
    """What the engine validates for a submission: the stored file itself, or, when its
    integration validates through its mapping, that file converted to PMH's layout (a temporary
    file, written a block at a time, removed afterwards). Use as a context manager."""

    def __init__(self, submission: Submission, path: Path):
        self.submission = submission
        self.path = path
        self.version: LayoutMappingVersion | None = None
        self.summary: ConversionSummary | None = None
        self.problem: str | None = None
        self._temp: Path | None = None

    def __enter__(self) -> RecordsSource:
        version = _version_in_use(self.submission.integration_id)
        if version is None or _is_json(self.path):
            Submission.objects.filter(pk=self.submission.pk).update(layout_mapping_version=None)
            return self
        self.version = version
        directory = services.storage_root() / "converted"
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"{self.submission.pk}-", suffix=".csv", dir=directory)
        self._temp = Path(name)
        try:
            with open(fd, "w", encoding="utf-8", newline="") as out:
                self.summary = convert(self.path, version.document, out)
            self.path = self._temp
        except SourceError as exc:
            # Validated as it came: the engine's own file-level issue says what is wrong.
            self.problem = mask_text(str(exc))
        Submission.objects.filter(pk=self.submission.pk).update(layout_mapping_version=version)
        return self

    def __exit__(self, *exc) -> None:
        if self._temp is not None:
            self._temp.unlink(missing_ok=True)

    def max_bytes(self, limit: int) -> int:
        """The received file was within ``limit``; its conversion may be larger (CP932 text is
        about 1.4 times as long in UTF-8, a workbook's cells are compressed)."""
        if self._temp is None or self.path != self._temp:
            return limit
        return max(limit, self._temp.stat().st_size)

    def _in_source(self, issue: Issue) -> Issue:
        """The engine's issue with its ``line`` in the source file, as far as a constant shift
        gives it (the rows above the header of a workbook or a titled CSV)."""
        shift = (self.summary.header_line - 1) if self.summary else 0
        if not shift or issue.line is None:
            return issue
        return issue._replace(line=issue.line + shift)

    def sink(self, add: Callable[[Issue], None]) -> Callable[[Issue], None]:
        return lambda issue: add(self._in_source(issue))

    def finish(self, report: Report, add: Callable[[Issue], None], max_issues: int) -> None:
        """Add what the conversion did to ``report`` as warnings (after the engine's issues)."""
        if self.version is None:
            return
        report.issues = [self._in_source(i) for i in report.issues]
        for issue in conversion_issues(self.summary, self.problem):
            add(issue)
            report.warnings += 1
            report.issues_total += 1
            report.counts[issue.code] = report.counts.get(issue.code, 0) + 1
            if len(report.issues) < max_issues:
                report.issues.append(issue)
            else:
                report.issues_truncated = True


def records_source(submission: Submission, path: Path) -> RecordsSource:
    """Records source for a submission: its stored file, or that file through the mapping."""
    return RecordsSource(submission, path)


def conversion_issues(summary: ConversionSummary | None, problem: str | None) -> list[Issue]:
    if summary is None:
        message = f"対応表で変換できなかったため、ファイルをそのまま検証しました。{problem or ''}"
        return [Issue(None, None, None, C_SOURCE, WARNING, message)]
    layout = load_layout(summary.layout)
    masked = {f.path for f in layout.fields if f.masked_last4}
    issues = []
    for applied in summary.applied:
        if not applied.rows:
            continue
        label = target_label(layout, applied.field)
        if applied.op == "value":
            what = f"{applied.description}（{applied.rows}件）"
        else:
            what = f"{applied.title}を{applied.rows}件に適用しました（{applied.description}）"
        message = f"「{label}」: {what}。エクスポートをこの形で出力すれば、この変換は要りません。"
        extra = {"rows": applied.rows, "conversion": applied.op}
        issues.append(
            Issue(None, None, applied.field, C_APPLIED, WARNING, mask_text(message), None, extra)
        )
    for p in summary.problems:
        message = p.message
        hidden = p.field in PERSONAL_FIELDS or p.field in masked or p.value == NOT_DISCLOSED
        if hidden and p.code in _PLAIN:
            label = target_label(layout, p.field) if p.field else ""
            message = f"「{label}」（列「{p.column}」）: {_PLAIN[p.code]}。"
        extra = {"column": mask_text(p.column)} if p.column else None
        issues.append(
            Issue(p.row, p.line, p.field, p.code, WARNING, mask_text(message), p.value, extra)
        )
    return issues


# -- the result file in PMH's layout ---------------------------------------------------------


def converted_rows(submission: Submission) -> Iterator[list[str]]:
    """The submission's records converted by the mapping version it was validated through, in
    PMH's layout, masked as a report masks them (record-layout §5, §9): a record not clearly
    disclosed shows nothing, a 個人番号 only its last 4, any 12-digit run likewise. Raises
    ``services.OriginalGone`` when the file is gone and ``SourceError`` when it cannot be read."""
    version = submission.layout_mapping_version
    if version is None:
        raise NoMapping
    with services.original_open(submission=submission) as original:
        with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as out:
            convert(original, version.document, out)
            out.seek(0)
            reader = csv.reader(out)
            header = next(reader, [])
            yield header
            yield from _masked(reader, header, load_layout(version.document["layout"]))


def _masked(rows: Iterator[list[str]], header: list[str], layout) -> Iterator[list[str]]:
    masked = {f.path for f in layout.fields if f.masked_last4}
    flag = header.index(layout.disclosure_flag) if layout.disclosure_flag in header else None
    last4 = [name in masked for name in header]
    for row in rows:
        disclosed = flag is not None and flag < len(row) and row[flag].lower() in ("0", "false")
        yield [
            csv_safe(mask_value(value, disclosed=disclosed, last4=k) or "") if value else ""
            for value, k in zip(row, last4, strict=False)
        ]


def csv_lines(rows: Iterator[list[str]]) -> Iterator[str]:
    """Rows as CSV text, UTF-8 with BOM so Excel opens it, for a streaming response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    yield "\ufeff"
    for row in rows:
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def document_json(version: LayoutMappingVersion) -> str:
    return mapping_to_json(version.document)
