"""Media brought in person (console.md §5): the handover, then one submission per file."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import BinaryIO

from django.db import transaction
from django.utils import timezone

from intake.models import MediaFile, MediaHandover
from onboarding.models import Integration
from uploads.lifecycle import submission_receive
from uploads.models import Channel


@transaction.atomic
def media_handover_create(
    *,
    integration: Integration,
    brought_by: str,
    medium: str,
    received_at: datetime | None = None,
    note: str = "",
    by,
) -> MediaHandover:
    return MediaHandover.objects.create(
        integration=integration,
        brought_by=brought_by.strip(),
        medium=medium.strip(),
        received_at=received_at or timezone.now(),
        note=note.strip(),
        recorded_by=by,
    )


def media_files_import(
    *, handover: MediaHandover, files: Iterable[tuple[str, BinaryIO]], by, mode: str | None = None
) -> list[MediaFile]:
    """One submission per file (channel ``media``), each with its custody record.

    The SHA-256 is the one computed while the bytes were stored: what was imported is exactly
    what was validated and kept.
    """
    imported = []
    for name, stream in files:
        with transaction.atomic():
            submission = submission_receive(
                integration=handover.integration,
                channel=Channel.MEDIA,
                original_name=name,
                stream=stream,
                sender=handover.brought_by[:254],
                mode=mode,
                received_by=by,
                received_at=timezone.now(),
            )
            imported.append(
                MediaFile.objects.create(
                    handover=handover,
                    submission=submission,
                    name=submission.original_name,
                    size=submission.size,
                    sha256=submission.sha256,
                    imported_by=by,
                )
            )
    return imported
