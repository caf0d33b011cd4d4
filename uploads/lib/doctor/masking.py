"""What the doctor may show of a value: the engine's masking, and more for personal columns.

A column that looks personal (name, kana, address, birth date, phone…) shows only its first
character and the shape of the rest (``山＊　＊＊``, ``S**.*.*``): enough to see a date form or a
kana width, not enough to know the person. Every shown value also passes the engine's
``mask_text`` (12-digit runs to their last 4, control characters neutralised).
"""

from __future__ import annotations

import unicodedata

from coderules.masking import mask_last4, mask_text
from uploads.lib.validation.masking import NOT_DISCLOSED

# Kept as they are in a personal value: they show its form (date separators, spaces).
_SHAPE = frozenset(" \u3000-/.:年月日()（）,、・")

__all__ = ["NOT_DISCLOSED", "mask_personal", "shown"]


def mask_personal(text: str) -> str:
    out = []
    for i, ch in enumerate(text):
        if ch in _SHAPE or (i == 0 and not ch.isdigit()):
            out.append(ch)
        elif unicodedata.east_asian_width(ch) in "WF":
            out.append("＊")
        else:
            out.append("*")
    return "".join(out)


def shown(text: str, *, personal: bool = False, last4: bool = False) -> str:
    """The form of ``text`` the doctor may show, in a page, a file or a message."""
    if last4:
        return mask_last4(text)
    if personal:
        text = mask_personal(text)
    return mask_text(text)
