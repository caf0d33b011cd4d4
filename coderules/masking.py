"""Masking of 個人番号-like digit runs and unsafe characters in free text (record-layout §5, §9).

Runs of 12 or more digits keep their last 4; controls, bidi overrides and lone surrogates that
would break a terminal, a log line or a CSV cell become U+FFFD. Fails closed.
"""

import re

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


def mask_long_text(text: str) -> str:
    """Mask digit runs and unsafe characters, keeping the whole text (comments, reasons)."""
    return _UNSAFE.sub("\ufffd", _DIGIT_RUN.sub(_keep_last4, text))


def mask_text(text: str) -> str:
    """Mask digit runs and unsafe characters in free text (header names, values)."""
    text = mask_long_text(text)
    if len(text) > MAX_SHOWN:
        text = text[:MAX_SHOWN] + "…"
    return text


def mask_last4(text: str) -> str:
    """Show at most the last four characters (``********9012``)."""
    return "*" * max(len(text) - 4, 0) + _UNSAFE.sub("\ufffd", text[-4:])
