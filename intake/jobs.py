"""Periodic jobs of the remote channels (``console.schedule``)."""

from intake.folder.receive import folder_sweep as _folder_sweep
from intake.mail.receive import mail_poll as _mail_poll


def folder_sweep() -> dict:
    done = _folder_sweep()
    return {"received": len(done.received), "refused": len(done.refused)}


def mail_poll() -> dict:
    done = _mail_poll()
    return {"processed": len(done.processed), "quarantined": len(done.quarantined)}
