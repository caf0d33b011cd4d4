"""Cells of the CSV files people open in a spreadsheet: text, never a formula."""

from typing import Any

_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def csv_safe(value: Any) -> str:
    """A cell that spreadsheets show as text, never evaluate as a formula."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(_FORMULA_LEADS):
        return "'" + text
    return text
