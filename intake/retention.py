"""Retention of the copies the remote channels make (issue 17.9).

The stored file of a submission goes after ``PMH_RETENTION_DAYS`` (``uploads.services``); so do
the copies the channels made or moved: the shared folder's ``archive/`` (the originals),
``error/`` (refused files) and ``outbox/`` (result files), and the mailbox's ``processed`` and
``quarantine`` messages. Each purge is an audit record (``copy_purged``): where, how many, how
many bytes (folders), and the first names (masked like every audit detail).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from coderules.masking import mask_text
from console import audit
from intake.folder import lib as dropbox
from intake.mail.lib import PROCESSED, QUARANTINE, open_mailbox
from onboarding.models import Integration

log = logging.getLogger(__name__)
RETENTION_USER = "retention"


@dataclass
class CopiesPurged:
    folder_files: int = 0
    mail_messages: int = 0
    places: list[str] = field(default_factory=list)


def copies_purge(*, now: datetime | None = None, ssl_context=None) -> CopiesPurged:
    """Remove every channel copy older than ``PMH_RETENTION_DAYS``; one audit record a place."""
    now = now or timezone.now()
    days = settings.PMH_RETENTION_DAYS
    before = now - timedelta(days=days)
    done = CopiesPurged()
    _folders(before, days, done)
    _mailbox(before, days, done, ssl_context)
    return done


def _record(place: str, channel: str, days: int, **detail) -> None:
    audit.record(
        None,
        audit.Action.COPY_PURGED,
        username=RETENTION_USER,
        channel=channel,
        place=place,
        reason=f"retention {days} days",
        **detail,
    )


def _folders(before: datetime, days: int, done: CopiesPurged) -> None:
    root = Path(settings.PMH_DROPBOX_ROOT)
    if not root.is_dir():
        return
    # Retired integrations too: their folders' copies outlive no retention either.
    names = Integration.all_objects.order_by("dropbox_name").values_list("dropbox_name", flat=True)
    for name in names:
        layout = dropbox.Layout(root / name)
        if not layout.path.is_dir() or layout.path.is_symlink():
            continue
        try:
            purged = dropbox.purge_copies(
                layout,
                before=before.timestamp(),
                before_day=timezone.localtime(before).strftime("%Y%m%d"),
            )
        except OSError:
            log.exception("Retention of the shared folder %s failed", name)
            continue
        for sub, gone in purged.items():
            if not gone.files:
                continue
            place = f"{name}/{sub}"
            _record(
                place,
                "folder",
                days,
                files=gone.files,
                bytes=gone.bytes,
                names=[mask_text(n) for n in gone.names],
            )
            done.folder_files += gone.files
            done.places.append(place)


def _mailbox(before: datetime, days: int, done: CopiesPurged, ssl_context) -> None:
    url = settings.PMH_MAIL_URL
    if not url:
        return
    with open_mailbox(url, ssl_context=ssl_context) as box:
        for folder in (PROCESSED, QUARANTINE):
            gone = box.purge_older(folder, before)
            if gone:
                _record(f"mail/{folder}", "mail", days, messages=gone)
                done.mail_messages += gone
                done.places.append(f"mail/{folder}")
