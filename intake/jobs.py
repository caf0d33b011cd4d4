"""Periodic jobs of the remote channels (``console.schedule``)."""

from console.schedule import periodic
from intake.folder.receive import folder_sweep as _folder_sweep
from intake.mail.receive import mail_poll as _mail_poll
from intake.retention import copies_purge


@periodic("intake_folder", seconds=10, queue="intake", timeout=600)
def folder_sweep() -> dict:
    done = _folder_sweep()
    return {"received": len(done.received), "refused": len(done.refused)}


@periodic("intake_mail", seconds=60, queue="intake", timeout=600)
def mail_poll() -> dict:
    done = _mail_poll()
    return {"processed": len(done.processed), "quarantined": len(done.quarantined)}


@periodic("intake_retention", seconds=3600, queue="intake", timeout=1800)
def copies_retention() -> dict:
    """The shared folders' archive/, error/, outbox/ and the mailbox's processed and
    quarantined messages past PMH_RETENTION_DAYS (issue 17.9)."""
    done = copies_purge()
    return {"folder_files": done.folder_files, "mail_messages": done.mail_messages}
