"""Background work: RQ when REDIS_URL is set, otherwise a thread pool inside the web process.

RQ's own inline mode runs the job inside the request that enqueued it, so an upload would not
be answered until its file is validated; the embedded mode wants the opposite. Tests set
PMH_JOBS_MODE = "sync" to run jobs at commit, in the calling thread; a command that must return
with its work done in the embedded mode asks for that explicitly with `inline_jobs()`, which
changes no setting (the mode is held per thread and context).

The database, not the queue, is the record of what is waiting: an enqueue that fails (Redis
down) is logged and left to the reconcilers, which find the rows still waiting.
"""

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from django.apps import apps
from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils.module_loading import import_string

from console import tasks
from console.schedule import periodic

log = logging.getLogger(__name__)

_mode: ContextVar[str | None] = ContextVar("pmh_jobs_mode", default=None)


def jobs_mode() -> str:
    return _mode.get() or settings.PMH_JOBS_MODE or ("thread" if settings.PMH_JOBS_INLINE else "rq")


@contextlib.contextmanager
def inline_jobs() -> Iterator[None]:
    """In the embedded mode, run the jobs enqueued inside this block at commit, in this
    thread, so the caller returns with them finished; with RQ the workers still do them."""
    if jobs_mode() != "thread":
        yield
        return
    token = _mode.set("sync")
    try:
        yield
    finally:
        _mode.reset(token)


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
        apps.get_app_config("console").executor().submit(_run_in_thread, func, args, kwargs)
    else:
        import django_rq

        try:
            django_rq.get_queue(queue, commit_mode="auto").enqueue(
                func, *args, job_id=job_id, **kwargs
            )
        except Exception:
            log.exception("Could not enqueue %s on %s; the reconciler will retry", func, queue)


def _run_in_thread(func: Callable, args: tuple, kwargs: dict) -> None:
    close_old_connections()
    try:
        func(*args, **kwargs)
    except Exception:
        log.exception("Background job %s failed", getattr(func, "__name__", func))
    finally:
        close_old_connections()


# The console's own periodic work (the other apps declare theirs in their jobs.py).
periodic("clear_sessions", seconds=3600)(tasks.clear_expired_sessions)
periodic("clear_login_attempts", seconds=3600)(tasks.clear_old_login_attempts)
