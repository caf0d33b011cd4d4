"""Recording problems in the error queue (every channel calls `error_item_record`), and the
help desk's work on them: state, assignee, comments, retry and replies."""

import re
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.models import ErrorComment, ErrorItem, ErrorOccurrence, Kind, ReplyTemplate, State
from uploads.lifecycle import submission_retry
from uploads.models import Status, Submission, Verdict


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


def code_message(submission, code: str) -> str:
    """The engine's own (Japanese) message of the first issue with `code`, the place left out:
    an item's title says what is wrong, not only the code (issue 18.12)."""
    for issue in (submission.report or {}).get("issues", []):
        if issue.get("code") == code and issue.get("message"):
            return str(issue["message"]).splitlines()[0][:200]
    return ""


def error_item_record_submission(*, submission_id: int) -> ErrorItem | None:
    """Record a rejected or failed submission in the error queue (``uploads.hooks``)."""
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
        message = code_message(submission, code)
        return error_item_record(
            kind=Kind.REJECTED,
            code=code,
            title=(f"{name}: {message} ({code})" if message else f"{name}: {code}")[:300],
            integration=submission.integration,
            channel=submission.channel,
            submission=submission,
            detail=_counts_line(submission),
        )
    return None


def _counts_line(submission) -> str:
    counts = (submission.report or {}).get("counts") or {}
    return ", ".join(f"{code} {n}" for code, n in sorted(counts.items(), key=lambda p: -p[1]))


# -- triage ---------------------------------------------------------------------------------


@transaction.atomic
def error_item_comment(*, item: ErrorItem, by, text: str) -> ErrorComment:
    return ErrorComment.objects.create(item=item, by=by, text=text.strip())


@transaction.atomic
def error_item_set_state(*, item: ErrorItem, state: str, by) -> ErrorItem:
    locked = ErrorItem.objects.select_for_update().get(pk=item.pk)
    if locked.state == state:
        return locked
    locked.state = state
    locked.resolved_at = timezone.now() if state == State.RESOLVED else None
    locked.snoozed_until = None
    locked.save(update_fields=["state", "resolved_at", "snoozed_until"])
    error_item_comment(
        item=locked,
        by=by,
        text=_("State changed to %(state)s.") % {"state": State(state).label},
    )
    return locked


@transaction.atomic
def error_items_assign(*, items: Iterable[ErrorItem], assignee, by) -> int:
    """Give several items to one person (or to nobody); returns how many changed."""
    changed = 0
    name = assignee.get_username() if assignee else _("nobody")
    for item in ErrorItem.objects.select_for_update().filter(pk__in=[i.pk for i in items]):
        if item.assignee_id == getattr(assignee, "pk", None):
            continue
        item.assignee = assignee
        item.save(update_fields=["assignee"])
        error_item_comment(item=item, by=by, text=_("Assigned to %(name)s.") % {"name": name})
        changed += 1
    return changed


@transaction.atomic
def error_item_snooze(*, item: ErrorItem, until: datetime, by) -> bool:
    """Keep the item out of the open queue until `until`; True when something changed."""
    changed = ErrorItem.objects.filter(pk=item.pk).exclude(snoozed_until=until)
    if not changed.update(snoozed_until=until):
        return False
    when = timezone.localtime(until).strftime("%Y-%m-%d %H:%M")
    error_item_comment(item=item, by=by, text=_("Snoozed until %(when)s.") % {"when": when})
    return True


@transaction.atomic
def error_item_update(
    *, item: ErrorItem, by, state: str, assignee, comment: str = "", snooze_until=None
) -> list[str]:
    """One form's changes of state, assignee, snooze and comment; returns what changed."""
    changed = []
    if state and state != item.state:
        error_item_set_state(item=item, state=state, by=by)
        changed.append("state")
    if error_items_assign(items=[item], assignee=assignee, by=by):
        changed.append("assignee")
    if snooze_until is not None and error_item_snooze(item=item, until=snooze_until, by=by):
        changed.append("snooze")
    if comment.strip():
        error_item_comment(item=item, by=by, text=comment)
        changed.append("comment")
    return changed


BULK_ACTIONS = ("state", "assign", "snooze", "ignore")


@transaction.atomic
def error_items_bulk(
    *, items: Iterable[ErrorItem], action: str, by, state: str = "", assignee=None, until=None
) -> int:
    """The same change on several items (the queue's select-all); returns how many changed."""
    items = list(items)
    if action == "assign":
        return error_items_assign(items=items, assignee=assignee, by=by)
    changed = 0
    for item in items:
        if action == "snooze":
            changed += error_item_snooze(item=item, until=until, by=by)
            continue
        target = State.IGNORED if action == "ignore" else state
        if item.state != target:
            error_item_set_state(item=item, state=target, by=by)
            changed += 1
    return changed


class NotRetryable(Exception):
    pass


def error_item_retry(*, item: ErrorItem, by):
    """Requeue the item's latest submission when it failed; notes the retry on the item."""
    submission = item.last_submission
    if submission is None or submission.status != Status.FAILED or submission.file_purged_at:
        raise NotRetryable
    with transaction.atomic():
        submission = submission_retry(submission=submission, by=by)
        error_item_comment(
            item=item,
            by=by,
            text=_("Submission #%(id)d was queued again.") % {"id": submission.pk},
        )
    return submission


# -- replies --------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def reply_placeholders(item: ErrorItem) -> dict[str, str]:
    integration, submission = item.integration, item.last_submission
    values = {
        "municipality": "",
        "integration": "",
        "vendor": "",
        "file_name": "",
        "submission_id": "",
        "received_at": "",
        "issue_summary": item.title,
        "code": item.code,
    }
    if integration is not None:
        values["municipality"] = integration.municipality.name
        values["integration"] = integration.business_system
        values["vendor"] = integration.vendor.name if integration.vendor_id else ""
    if submission is not None:
        values["file_name"] = submission.original_name
        values["submission_id"] = str(submission.pk)
        received = timezone.localtime(submission.received_at)
        values["received_at"] = received.strftime("%Y-%m-%d %H:%M")
        values["issue_summary"] = issue_summary(submission) or item.title
    return values


def issue_summary(submission, *, limit: int = 10) -> str:
    """Counts per code with the first message of each, from the report (values stay masked)."""
    report = submission.report or {}
    if submission.failure_reason:
        return submission.failure_reason.splitlines()[0]
    messages = {}
    for issue in report.get("issues", []):
        messages.setdefault(issue.get("code"), issue.get("message", ""))
    counts = sorted((report.get("counts") or {}).items(), key=lambda p: (-p[1], p[0]))
    return "\n".join(
        f"・{code}（{n}件）{messages.get(code, '')}".rstrip() for code, n in counts[:limit]
    )


def reply_render(*, template: ReplyTemplate, item: ErrorItem) -> tuple[str, str]:
    values = reply_placeholders(item)

    def fill(text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)

    return fill(template.subject), fill(template.body)


def reply_recipients(item: ErrorItem) -> list[str]:
    if item.integration is None:
        return []
    return sorted(item.integration.contacts.values_list("email", flat=True))


class NoRecipients(Exception):
    pass


def error_item_reply(*, item: ErrorItem, by, subject: str, body: str) -> ErrorComment:
    """Mail the integration's contact addresses and keep the reply as a comment.

    Sent before the comment is written: a reply that could not be sent is not recorded.
    """
    recipients = reply_recipients(item)
    if not recipients:
        raise NoRecipients
    EmailMessage(
        subject=subject.replace("\n", " ").strip(),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
    ).send()
    text = _("Reply sent to %(to)s: %(subject)s") % {
        "to": ", ".join(recipients),
        "subject": subject,
    }
    comment = error_item_comment(item=item, by=by, text=f"{text}\n\n{body}")
    # The ball is in the vendor's court now (issue 18.12).
    if item.state != State.WAITING_VENDOR:
        error_item_set_state(item=item, state=State.WAITING_VENDOR, by=by)
    return comment


@transaction.atomic
def reply_template_save(*, template: ReplyTemplate, by) -> ReplyTemplate:
    template.updated_by = by
    template.save()
    return template
