"""Texts the console stores are masked before they reach the database (issue 17.4).

An app names the text fields of its models that people or other systems fill (file names,
mail subjects, comments, audit details); a ``pre_save`` handler masks every 12-digit run in them
(``coderules.masking.mask_numbers``), so pages, exports and downloads built from them never
carry a full 個人番号. JSON fields are masked string by string.
"""

import re
from typing import Any

from django.db import models
from django.db.models.signals import pre_save

from coderules.masking import mask_numbers

_SHA256 = re.compile(r"[0-9a-f]{64}")


def masked(value: Any) -> Any:
    """``value`` with every string in it masked (dicts and lists walked); a SHA-256, an
    identifier the code chose, is kept whole."""
    if isinstance(value, str):
        return value if _SHA256.fullmatch(value) else mask_numbers(value)
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [masked(item) for item in value]
    return value


def mask_on_save(model: type[models.Model], *fields: str) -> None:
    """Mask ``fields`` of ``model`` whenever an instance is saved (``create`` included)."""

    def mask(sender, instance, **kwargs) -> None:
        for name in fields:
            setattr(instance, name, masked(getattr(instance, name)))

    uid = f"console.personal:{model._meta.label}"
    pre_save.connect(mask, sender=model, weak=False, dispatch_uid=uid)
