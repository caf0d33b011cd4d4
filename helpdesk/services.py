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
