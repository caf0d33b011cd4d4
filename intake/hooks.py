"""What the channels hand up to the help desk, readable in one place (ARCHITECTURE.md).

A file a channel could not take at all (refused in the shared folder, a quarantined message)
has no submission; `helpdesk` records it in its error queue through `report_refusal`, which
it fills in `HelpdeskConfig.ready()`. The fields are those of `helpdesk.services.error_item_record`.
"""

from collections.abc import Callable

_refusal_reporters: list[Callable[..., object]] = []


def add_refusal_reporter(report: Callable[..., object]) -> None:
    if report not in _refusal_reporters:
        _refusal_reporters.append(report)


def report_refusal(**fields) -> None:
    for report in _refusal_reporters:
        report(**fields)
