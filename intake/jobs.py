"""Periodic jobs of the remote channels (``console.schedule``)."""

from intake import services


def folder_sweep() -> dict:
    done = services.folder_sweep()
    return {"received": len(done.received), "refused": len(done.refused)}


def mail_poll() -> dict:
    done = services.mail_poll()
    return {"processed": len(done.processed), "quarantined": len(done.quarantined)}
