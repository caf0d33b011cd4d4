"""What `uploads` hands up to the floors above it, readable in one place (ARCHITECTURE.md).

Three hooks, each filled once by the app above that answers it, in its `AppConfig.ready()`:

- `channel_deliverer`: `intake` says how a result goes back on a channel (its static table
  `intake.channels.CHANNELS`); None means the channel needs no delivery (the page shows it).
- `problem_reporters`: `helpdesk` records a rejected or failed submission in its error queue.
- `acceptance_listeners`: `helpdesk` resolves the open error items an accepted file answers
  (a successful retry, a later clean file of the same integration; issue 18.9).

A deliverer must be idempotent (the reconciler calls it again when a worker died before
`delivered_at` was written) and raise on failure: the submission then goes to `failed` with
the reason, for the error queue.
"""

from __future__ import annotations

from collections.abc import Callable

Deliverer = Callable[[object], None]

_channel_deliverer: Callable[[str], Deliverer | None] = lambda channel: None  # noqa: E731
_problem_reporters: list[Callable[..., object]] = []
_acceptance_listeners: list[Callable[..., object]] = []


def set_channel_deliverer(lookup: Callable[[str], Deliverer | None]) -> None:
    global _channel_deliverer
    _channel_deliverer = lookup


def deliverer_for(channel: str) -> Deliverer | None:
    return _channel_deliverer(channel)


def add_problem_reporter(report: Callable[..., object]) -> None:
    if report not in _problem_reporters:
        _problem_reporters.append(report)


def report_problem(*, submission_id: int) -> None:
    """A submission was rejected or failed: tell whoever listens (the help desk)."""
    for report in _problem_reporters:
        report(submission_id=submission_id)


def add_acceptance_listener(listen: Callable[..., object]) -> None:
    if listen not in _acceptance_listeners:
        _acceptance_listeners.append(listen)


def report_accepted(*, submission_id: int) -> None:
    """A submission was accepted: tell whoever listens (the help desk resolves its items)."""
    for listen in _acceptance_listeners:
        listen(submission_id=submission_id)
