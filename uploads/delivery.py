"""Returning a result on the channel its file came from.

Each channel that sends results back registers a function here, taking the submission (its
status already `returned`, its report final). Issue #6 registers `api`, `folder`, `mail` and
`media`; a web result needs no delivery: the page shows it.

    from uploads.delivery import register
    @register("folder")
    def deliver_to_outbox(submission): ...

A deliverer must be idempotent (the reconciler calls it again when a worker died before
`delivered_at` was written) and raise on failure: the submission then goes to `failed` with
the reason, for the error queue.
"""

from collections.abc import Callable

DELIVERERS: dict[str, Callable] = {}


def register(channel: str) -> Callable[[Callable], Callable]:
    def decorator(func: Callable) -> Callable:
        DELIVERERS[channel] = func
        return func

    return decorator


def deliverer_for(channel: str) -> Callable | None:
    return DELIVERERS.get(channel)
