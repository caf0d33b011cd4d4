"""The periodic-work registry: each app declares its periodic jobs in its own ``jobs.py``
(NetBox ``@system_job``); RQ's cron scheduler runs them in production
(``manage.py rqcron console.cron``) and ``manage.py run_periodic`` runs them embedded.

    @periodic("intake_folder", seconds=10, queue="intake", timeout=600)
    def folder_sweep() -> dict: ...

The registry is filled once, by importing every app's ``jobs`` module, and read as a tuple.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.module_loading import autodiscover_modules


@dataclass(frozen=True)
class Periodic:
    name: str
    func: str  # dotted path of a function that takes no arguments
    seconds: int
    queue: str = "default"
    timeout: int = 300


_REGISTRY: dict[str, Periodic] = {}


def periodic(
    name: str, *, seconds: int, queue: str = "default", timeout: int = 300
) -> Callable[[Callable], Callable]:
    def declare(func: Callable) -> Callable:
        path = f"{func.__module__}.{func.__qualname__}"
        known = _REGISTRY.get(name)
        if known is not None and known.func != path:
            raise ValueError(f"periodic job {name!r} is declared twice ({known.func}, {path})")
        _REGISTRY[name] = Periodic(name, path, seconds, queue, timeout)
        return func

    return declare


def periodic_jobs() -> tuple[Periodic, ...]:
    """Every declared periodic job, in the order the apps declared them."""
    autodiscover_modules("jobs")
    return tuple(_REGISTRY.values())
