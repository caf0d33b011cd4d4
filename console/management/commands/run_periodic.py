import logging
import signal
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.module_loading import import_string

from console.schedule import periodic_jobs

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Runs the periodic work in this process (embedded mode, without Redis)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every task once and stop.")

    def handle(self, *args, once: bool = False, **options):
        self._stop = threading.Event()
        signal.signal(signal.SIGTERM, self._request_stop)
        signal.signal(signal.SIGINT, self._request_stop)
        last_run: dict[str, float] = {}
        tasks = periodic_jobs()
        while not self._stop.is_set():
            now = time.monotonic()
            for task in tasks:
                if once or now - last_run.get(task.name, -1e9) >= task.seconds:
                    last_run[task.name] = now
                    self._run(task)
            if once:
                return
            self._stop.wait(settings.PMH_PERIODIC_TICK_SECONDS)

    def _request_stop(self, signum, frame):
        self._stop.set()

    def _run(self, task) -> None:
        close_old_connections()
        try:
            import_string(task.func)()
        except Exception:
            log.exception("Periodic task %s failed", task.name)
        finally:
            close_old_connections()
