"""What ``intake_folder`` and ``intake_mail`` share: ``--once``, or a polling loop."""

import logging
import signal
import threading
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from console.jobs import inline_jobs

log = logging.getLogger(__name__)


class PollingCommand(BaseCommand):
    interval_setting = ""

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run once, finish, and stop.")

    def run_once(self) -> str:
        raise NotImplementedError

    def handle(self, *args, once: bool = False, **options):
        if once:
            with inline_jobs():  # --once returns with the work it found finished (console.md §6)
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
