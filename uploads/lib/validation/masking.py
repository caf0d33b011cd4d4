"""Masking of values in reports (record-layout §5, §9). Fails closed.

Every value leaving the engine passes :func:`mask_value`; header names and other file text pass
:func:`mask_text`. Both also neutralise characters that would break a terminal, a log line or a
CSV cell (controls, bidi overrides, lone surrogates).
"""

from __future__ import annotations

import re
from typing import Any

NOT_DISCLOSED = "(不開示)"
MAX_SHOWN = 100

# Twelve or more digits, half- or full-width, possibly split by single separators, as a
# 個人番号 is often written (1234-5678-9018).
_DIGIT_RUN = re.compile(r"[0-9０-９](?:[-‐－ー\s]?[0-9０-９]){11,}")
_DIGIT = re.compile(r"[0-9０-９]")
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
    "\ud800-\udfff]"
)


def _keep_last4(match: re.Match) -> str:
    run = match.group()
    positions = [m.start() for m in _DIGIT.finditer(run)]
    hidden = set(positions[:-4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(run))


def mask_text(text: str) -> str:
    """Mask digit runs and unsafe characters in free text (header names, values)."""
    text = _DIGIT_RUN.sub(_keep_last4, text)
    text = _UNSAFE.sub("\ufffd", text)
    if len(text) > MAX_SHOWN:
        text = text[:MAX_SHOWN] + "…"
    return text


def mask_last4(text: str) -> str:
    """Show at most the last four characters (``********9012``)."""
    return "*" * max(len(text) - 4, 0) + _UNSAFE.sub("\ufffd", text[-4:])


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
