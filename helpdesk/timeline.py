"""The state timeline and channel round trip of one submission, from its timestamps."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext_lazy as _

from uploads.models import Submission

_STEPS = (
    ("received_at", _("Just received")),
    ("queued_at", _("Queued")),
    ("validating_at", _("Validation started")),
    ("validated_at", _("Validated")),
    ("review_at", _("Waiting for review")),
    ("released_at", _("Released")),
    ("returned_at", _("Result returned")),
    ("delivered_at", _("Delivered on the channel")),
    ("failed_at", _("Failed")),
)


@dataclass
class Step:
    label: str
    at: datetime
    since_previous: timedelta | None


def submission_steps(submission: Submission) -> list[Step]:
    stamps = [
        (label, getattr(submission, name))
        for name, label in _STEPS
        if getattr(submission, name) is not None
    ]
    stamps.sort(key=lambda pair: pair[1])
    steps, previous = [], None
    for label, at in stamps:
        steps.append(Step(str(label), at, at - previous if previous else None))
        previous = at
    return steps


def round_trip(submission: Submission) -> timedelta | None:
    """Received → result back on the channel (delivered, or returned when nothing to send)."""
    end = submission.delivered_at or submission.returned_at
    if end is None:
        return None
    return end - submission.received_at


def duration_text(delta: timedelta | None) -> str:
    if delta is None:
        return ""
    seconds = max(0, delta.total_seconds())
    if seconds < 1:
        return f"{int(seconds * 1000)} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return _("%(d)dd %(h)dh") % {"d": days, "h": hours}
    if hours:
        return _("%(h)dh %(m)dm") % {"h": hours, "m": minutes}
    return _("%(m)dm %(s)ds") % {"m": minutes, "s": secs}
