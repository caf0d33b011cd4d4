"""Background work: RQ when REDIS_URL is set, otherwise a thread pool inside the web process.

RQ's own inline mode runs the job inside the request that enqueued it, so an upload would not
be answered until its file is validated; the embedded mode wants the opposite. Tests set
PMH_JOBS_MODE = "sync" to run jobs at commit, in the calling thread.

The database, not the queue, is the record of what is waiting: an enqueue that fails (Redis
down) is logged and left to the reconcilers, which find the rows still waiting.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def jobs_mode() -> str:
    return getattr(settings, "PMH_JOBS_MODE", None) or (
        "thread" if settings.PMH_JOBS_INLINE else "rq"
    )


def enqueue(queue: str, func: Callable | str, *args, job_id: str | None = None, **kwargs) -> None:
    """Run func(*args, **kwargs) in the background once the current transaction commits.

    ``func`` may be a dotted path (as RQ takes it), so that a lower floor can name a job of its
    own app's ``jobs.py`` without importing it."""
    transaction.on_commit(lambda: _dispatch(queue, func, args, kwargs, job_id), robust=True)


def _dispatch(queue: str, func, args: tuple, kwargs: dict, job_id: str | None) -> None:
    mode = jobs_mode()
    if mode != "rq" and isinstance(func, str):
        func = import_string(func)
    if mode == "sync":
        func(*args, **kwargs)
    elif mode == "thread":
        _thread_pool().submit(_run_in_thread, func, args, kwargs)
    else:
        import django_rq

        try:
            django_rq.get_queue(queue, commit_mode="auto").enqueue(
                func, *args, job_id=job_id, **kwargs
            )
        except Exception:
            log.exception("Could not enqueue %s on %s; the reconciler will retry", func, queue)


def _thread_pool() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pmh-job")
        return _executor


def _run_in_thread(func: Callable, args: tuple, kwargs: dict) -> None:
    close_old_connections()
    try:
        func(*args, **kwargs)
    except Exception:
        log.exception("Background job %s failed", getattr(func, "__name__", func))
    finally:
        close_old_connections()
