from intake.folder.receive import folder_sweep

from ._polling import PollingCommand


class Command(PollingCommand):
    help = "Takes stable files from every integration's shared folder (console.md §3.1)."
    interval_setting = "PMH_FOLDER_POLL_SECONDS"

    def run_once(self) -> str:
        done = folder_sweep()
        if done.locked:
            return "another intake_folder holds the lock; nothing done"
        return (
            f"received {len(done.received)}, refused {len(done.refused)}, "
            f"waiting {len(done.waiting)}"
        )
