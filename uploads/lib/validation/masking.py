"""Masking of values in reports (record-layout §5, §9). Fails closed.

Every value leaving the engine passes :func:`mask_value`; header names and other file text pass
:func:`mask_text` (in `coderules.masking`, shared with the console's audit record). Both also
neutralise characters that would break a terminal, a log line or a CSV cell.
"""

from __future__ import annotations

from typing import Any

from coderules.masking import mask_last4, mask_text

NOT_DISCLOSED = "(不開示)"


def display(value: Any) -> str | None:
    """The text form of a raw value as a report shows it; None for containers and absence."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def mask_value(value: Any, *, disclosed: bool, last4: bool = False) -> str | None:
    text = display(value)
    if text is None:
        return None
    if not disclosed:
        return NOT_DISCLOSED
    if last4:
        return mask_last4(text)
    return mask_text(text)
