"""Submissions' files, retention and the `test_passed` evidence (console.md §2, §3).

Every status move of a submission lives in `uploads.lifecycle`; this module holds what reads
or removes the stored bytes.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onboarding.models import DataMode, Integration, Stage
from uploads.lib import storage
from uploads.models import FileDeletion, Mode, Status, Submission, Verdict

log = logging.getLogger(__name__)
MIB = 1024 * 1024


# -- files ----------------------------------------------------------------------------------


def storage_root() -> Path:
    return Path(settings.PMH_STORAGE_ROOT)


def stored_path(submission: Submission) -> Path:
    return storage_root() / submission.storage_name


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean_name(name: str) -> str:
    """The file's own name, without any path, control or bidi characters, NFC, ≤ 255 chars."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE_NAME.sub("", name).strip().strip(".")
    return name[:255] or "upload"


# -- retention and audit --------------------------------------------------------------------


def files_purge(*, now: datetime | None = None, by=None) -> int:
    """Delete received bytes older than PMH_RETENTION_DAYS, leaving a deletion record."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PMH_RETENTION_DAYS)
    old = Submission.objects.filter(
        received_at__lt=cutoff, file_purged_at=None, duplicate_of=None
    ).exclude(status__in=(Status.RECEIVED, Status.QUEUED, Status.VALIDATING))
    purged = 0
    for submission in old.iterator():
        with transaction.atomic():
            _purge_one(submission, now=now, by=by)
        purged += 1
    return purged


def _purge_one(submission: Submission, *, now: datetime, by) -> None:
    still_used = (
        Submission.objects.filter(
            integration_id=submission.integration_id,
            sha256=submission.sha256,
            file_purged_at=None,
            duplicate_of=None,
        )
        .exclude(pk=submission.pk)
        .exists()
    )
    if not still_used:
        stored_path(submission).unlink(missing_ok=True)
    # The issues past PMH_ISSUE_ROWS_MAX (result-file lines) go with the file (issue 17.9); the
    # counts, the report and the bounded issue rows in the database stay.
    for overflow in (storage_root() / "issues").glob(f"{submission.pk}-*.csv.gz"):
        overflow.unlink(missing_ok=True)
    FileDeletion.objects.create(
        submission=submission,
        sha256=submission.sha256,
        size=submission.size,
        original_name=submission.original_name,
        reason=f"retention {settings.PMH_RETENTION_DAYS} days",
        deleted_by=by,
        deleted_at=now,
    )
    Submission.objects.filter(pk=submission.pk).update(file_purged_at=now)
    Submission.objects.filter(duplicate_of=submission).update(file_purged_at=now)


class OriginalGone(Exception):
    pass


def original_open(*, submission: Submission) -> BinaryIO:
    """The original bytes, verified against their SHA-256 (the view records the read)."""
    original = submission.duplicate_of or submission
    if original.file_purged_at is not None:
        raise OriginalGone
    path = stored_path(original)
    try:
        storage.verify(path, original.sha256)
    except storage.Corrupted as exc:
        log.error("Stored file of submission %s is corrupted: %s", original.pk, exc)
        raise OriginalGone from exc
    return open(path, "rb")  # noqa: SIM115 (the response closes it)


# -- the test_passed gate -------------------------------------------------------------------


@dataclass
class Evidence:
    ok: bool
    reasons: list[str]
    full: Submission | None = None
    diff: Submission | None = None


def test_evidence(*, integration: Integration) -> Evidence:
    """The `test_passed` gate (console.md §2): an accepted full submission received while in
    `testing`, and for data mode `diff` an accepted diff submission after it.

    Only the current stay in `testing` counts: a move back means the earlier tests no longer
    describe the integration.
    """
    accepted = Submission.objects.filter(
        integration=integration,
        stage_at_receipt=Stage.TESTING,
        verdict=Verdict.ACCEPTED,
        duplicate_of=None,
    )
    if integration.stage == Stage.TESTING:
        accepted = accepted.filter(received_at__gte=integration.stage_changed_at)
    full = accepted.filter(mode=Mode.FULL).order_by("received_at", "pk").first()
    if full is None:
        return Evidence(
            False,
            [_("No accepted full data set has been received while the integration was testing.")],
        )
    if integration.data_mode != DataMode.DIFF:
        return Evidence(True, [], full=full)
    diff = (
        accepted.filter(mode=Mode.DIFF, received_at__gt=full.received_at)
        .order_by("received_at", "pk")
        .first()
    )
    if diff is None:
        return Evidence(
            False,
            [
                _(
                    "An accepted differential file is still needed, received after "
                    "the accepted full data set (submission %(id)s)."
                )
                % {"id": full.pk}
            ],
            full=full,
        )
    return Evidence(True, [], full=full, diff=diff)
