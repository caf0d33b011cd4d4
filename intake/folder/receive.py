"""The shared-folder sweep (console.md §3.1) on top of ``intake.folder.lib``.

A sweep runs under the root's intake lock: only the one running intake may take back what a
crash left in ``processing/``. A claimed file stays in ``processing/`` until its result is final;
the ``folder`` deliverer then archives it and writes ``outbox/``. A ``FolderItem`` ties the claimed
path to its submission, so recovery tells a crash before receipt (take it again) from a file
still waiting for its result (leave it).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.folder import lib as dropbox
from intake.folder.deliver import deliver_folder
from intake.hooks import report_refusal
from intake.lib.safe_names import mode_from_name
from intake.models import FolderItem, FolderScan
from onboarding.models import Integration
from uploads.lifecycle import SubmissionTooLarge, submission_receive
from uploads.models import Channel, Submission
from uploads.services import MIB

log = logging.getLogger(__name__)


@dataclass
class FolderSweep:
    received: list[int] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    locked: bool = False  # another sweep held the lock: nothing was done


def _limit() -> int:
    return settings.PMH_MAX_UPLOAD_MB * MIB


def folder_sweep(*, now: float | None = None) -> FolderSweep:
    """Create every integration's folder, then take what is stable in each ``inbox/``."""
    root = Path(settings.PMH_DROPBOX_ROOT)
    done = FolderSweep()
    with dropbox.intake_lock(root) as mine:
        if not mine:
            done.locked = True
            return done
        for integration in Integration.objects.order_by("dropbox_name"):
            try:
                layout = dropbox.ensure_layout(root, integration.dropbox_name)
            except (dropbox.DropboxError, OSError):
                log.exception("No shared folder for %s", integration.dropbox_name)
                continue
            try:
                _sweep_one(integration, layout, done, time.time() if now is None else now)
            except Exception:
                # One folder's trouble (a full disk, a broken file system) must not stop the rest.
                log.exception("Sweep of the shared folder %s failed", integration.dropbox_name)
    return done


def _sweep_one(integration, layout: dropbox.Layout, done: FolderSweep, now: float) -> None:
    for path in dropbox.recover_processing(layout):
        if not FolderItem.objects.filter(claimed_path=str(path)).exists():
            _take_guarded(integration, path, done)
    state = _scan_state(integration.dropbox_name)
    scan = dropbox.scan_inbox(
        layout,
        stable_seconds=settings.PMH_DROPBOX_STABLE_SECONDS,
        now=now,
        state=state,
        max_bytes=_limit(),
    )
    _keep_scan_state(integration.dropbox_name, state)
    done.waiting.extend(f"{layout.name}/{name}" for name in scan.waiting)
    for refusal in scan.refused:
        target = dropbox.refuse(refusal)
        if target is not None:
            _record_refusal(integration, refusal.code, refusal.reason, target, done)
    for candidate in scan.ready:
        claimed = dropbox.claim(candidate.path)
        if claimed is not None:  # None: it vanished between the scan and the claim
            _take_guarded(integration, claimed, done)


def _name_hex(name: str) -> str:
    return name.encode("utf-8", "surrogateescape").hex()


def _scan_state(dropbox_name: str) -> dropbox.ScanState:
    scan = FolderScan.objects.filter(dropbox_name=dropbox_name).first()
    state = dropbox.ScanState()
    for name_hex, size, mtime_ns, inode, first_seen in scan.seen if scan else ():
        name = bytes.fromhex(name_hex).decode("utf-8", "surrogateescape")
        state.seen[name] = ((size, mtime_ns, inode), first_seen)
    return state


def _keep_scan_state(dropbox_name: str, state: dropbox.ScanState) -> None:
    seen = [[_name_hex(k), *signature, at] for k, (signature, at) in state.seen.items()]
    FolderScan.objects.update_or_create(dropbox_name=dropbox_name, defaults={"seen": seen})


def _take_guarded(integration, claimed: Path, done: FolderSweep) -> None:
    # One file's trouble must not hold back the files after it; it stays in processing/ and
    # is taken again by the next sweep.
    try:
        _take(integration, claimed, done)
    except Exception:
        log.exception("Could not take %s", claimed)


def _take(integration, claimed: Path, done: FolderSweep) -> None:
    refusal = dropbox.check_claimed(claimed, max_bytes=_limit())
    if refusal is not None:
        _to_error(integration, claimed, refusal.code, refusal.reason, done)
        return
    try:
        submission = _receive(integration, claimed)
    except SubmissionTooLarge as exc:
        _to_error(integration, claimed, "too_large", exc.message, done)
        return
    except dropbox.DropboxError as exc:
        _to_error(integration, claimed, "special", str(exc), done)
        return
    except PermissionError:
        _to_error(
            integration,
            claimed,
            "unreadable",
            _("The file cannot be read (check its access rights)."),
            done,
        )
        return
    except FileNotFoundError:
        return  # taken away by the sender after the claim: nothing to do
    done.received.append(submission.pk)
    if submission.duplicate_of_id is not None:
        # Not validated again, so no delivery is scheduled: answer with the first's result.
        deliver_folder(submission)


def _receive(integration, claimed: Path) -> Submission:
    with dropbox.open_claimed(claimed) as stream, transaction.atomic():
        submission = submission_receive(
            integration=integration,
            channel=Channel.FOLDER,
            original_name=claimed.name,
            stream=stream,
            sender=f"{integration.dropbox_name}/inbox",
            mode=mode_from_name(claimed.name),
        )
        FolderItem.objects.create(
            submission=submission,
            dropbox_name=integration.dropbox_name,
            name=claimed.name,
            claimed_path=str(claimed),
        )
    return submission


def _to_error(integration, claimed: Path, code: str, reason: str, done: FolderSweep) -> None:
    target = dropbox.move_to_error(claimed, reason)
    _record_refusal(integration, code, reason, target, done)


def _record_refusal(integration, code: str, reason: str, target: Path, done: FolderSweep) -> None:
    done.refused.append(f"{integration.dropbox_name}/{target.name}")
    report_refusal(
        kind="rejected",
        code=f"folder_{code}",
        title=reason,
        integration=integration,
        channel=Channel.FOLDER,
        source=str(target),
        at=timezone.now(),
    )
