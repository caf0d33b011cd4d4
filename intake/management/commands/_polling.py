"""What ``intake_folder`` and ``intake_mail`` share: ``--once``, or a polling loop."""

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from console.jobs import jobs_mode

log = logging.getLogger(__name__)


@contextlib.contextmanager
def jobs_inline() -> Iterator[None]:
    """In the embedded mode run the jobs a sweep starts inline, so that ``--once`` returns
    with the work it found finished (console.md §6); with RQ the workers do it."""
    if jobs_mode() != "thread":
        yield
        return
    previous = getattr(settings, "PMH_JOBS_MODE", None)
    settings.PMH_JOBS_MODE = "sync"
    try:
        yield
    finally:
        settings.PMH_JOBS_MODE = previous


class PollingCommand(BaseCommand):
    interval_setting = ""

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run once, finish, and stop.")

    def run_once(self) -> str:
        raise NotImplementedError

    def handle(self, *args, once: bool = False, **options):
        if once:
            with jobs_inline():
                self.stdout.write(self.run_once())
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        interval = getattr(settings, self.interval_setting)
        while not stop.is_set():
            self._guarded(self.run_once)
            stop.wait(interval)

    def _guarded(self, func: Callable[[], str]) -> None:
        close_old_connections()
        try:
            self.stdout.write(func())
        except Exception:
            log.exception("%s failed; trying again at the next interval", type(self).__module__)
        finally:
            close_old_connections()
