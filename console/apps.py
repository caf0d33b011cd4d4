import threading
from concurrent.futures import ThreadPoolExecutor

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsoleConfig(AppConfig):
    name = "console"
    verbose_name = _("Console")

    def ready(self) -> None:
        from console import audit, checks, roles  # noqa: F401  (checks register on import)

        roles.connect()
        audit.connect()
        self._executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

    def executor(self) -> ThreadPoolExecutor:
        """The embedded mode's job threads (console.jobs), started with the first job."""
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pmh-job")
            return self._executor
