"""Recording problems in the error queue. Every channel calls `error_item_record`."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.models import ErrorItem, ErrorOccurrence, Kind, State


def fingerprint(*, kind: str, integration_id: int | None, code: str, channel: str = "") -> str:
    # Quarantined mail from an unknown sender has no integration: group it per channel.
    owner = integration_id if integration_id is not None else f"none-{channel}"
    return f"{owner}:{kind}:{code}"[:200]


@transaction.atomic
def error_item_record(
    *,
    kind: str,
    code: str,
    title: str,
    integration=None,
    channel: str = "",
    submission=None,
    source: str = "",
    detail: str = "",
    at: datetime | None = None,
) -> ErrorItem:
    """Add one occurrence; create the item, or reopen it when it had been resolved."""
    if kind not in Kind.values:
        raise ValueError(f"unknown kind {kind!r}")
    at = at or timezone.now()
    key = fingerprint(
        kind=kind, integration_id=getattr(integration, "pk", None), code=code, channel=channel
    )
    item = _locked_item(key, kind=kind, code=code, integration=integration, channel=channel, at=at)
    if item.state == State.RESOLVED:
        item.state = State.NEW
        item.reopened += 1
        item.resolved_at = None
    item.occurrences += 1
    item.last_seen = at
    item.title = title[:300]
    if submission is not None:
        item.last_submission = submission
    item.save()
    ErrorOccurrence.objects.create(
        item=item, at=at, submission=submission, source=source[:500], detail=detail
    )
    return item


def _locked_item(key: str, *, kind, code, integration, channel, at) -> ErrorItem:
    item = ErrorItem.objects.select_for_update().filter(fingerprint=key).first()
    if item is not None:
        return item
    try:
        # A savepoint: when another worker created the same item a moment ago, take theirs.
        with transaction.atomic():
            return ErrorItem.objects.create(
                fingerprint=key,
                kind=kind,
                code=code,
                integration=integration,
                channel=channel,
                first_seen=at,
                last_seen=at,
            )
    except IntegrityError:
        return ErrorItem.objects.select_for_update().get(fingerprint=key)


def top_error_code(submission) -> str:
    """The report's most frequent error code; codes seen only as warnings don't count."""
    report = submission.report or {}
    severities: dict[str, set] = {}
    for issue in report.get("issues", []):
        severities.setdefault(issue.get("code"), set()).add(issue.get("severity"))
    ranked = sorted(
        (
            (-n, code)
            for code, n in (report.get("counts") or {}).items()
            if severities.get(code, {"error"}) != {"warning"}
        ),
    )
    return ranked[0][1] if ranked else "rejected"


def error_item_record_submission(*, submission_id: int) -> ErrorItem | None:
    """Record a rejected or failed submission in the error queue (hook of uploads)."""
    from uploads.models import Status, Submission, Verdict

    submission = Submission.objects.select_related("integration__municipality").get(
        pk=submission_id
    )
    name = f"{submission.integration.municipality.name} {submission.original_name}"
    if submission.status == Status.FAILED:
        reason = submission.failure_reason.splitlines()[0] if submission.failure_reason else ""
        return error_item_record(
            kind=Kind.FAILURE,
            code="failed",
            title=f"{name}: {reason}"[:300],
            integration=submission.integration,
            channel=submission.channel,
            submission=submission,
            detail=submission.failure_reason,
        )
    if submission.verdict == Verdict.REJECTED:
        code = top_error_code(submission)
        return error_item_record(
            kind=Kind.REJECTED,
            code=code,
            title=f"{name}: {code}",
            integration=submission.integration,
            channel=submission.channel,
            submission=submission,
            detail=_counts_line(submission),
        )
    return None


def _counts_line(submission) -> str:
    counts = (submission.report or {}).get("counts") or {}
    return ", ".join(f"{code} {n}" for code, n in sorted(counts.items(), key=lambda p: -p[1]))
