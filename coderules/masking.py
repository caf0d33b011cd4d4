"""Masking of 個人番号-like digit runs and unsafe characters in free text (record-layout §5, §9).

Runs of 12 or more digits keep their last 4; controls, bidi overrides and lone surrogates that
would break a terminal, a log line or a CSV cell become U+FFFD. Fails closed.

A digit is any Unicode decimal digit (ASCII, full-width, Arabic-Indic, Devanagari…), and digits
count as one run across separators of up to four characters that are neither letters nor digits
(``-``, ``・``, ``.``, ``−``, `` - ``, ``/``, ``_``, CRLF, two line breaks…), however a number
is written (issue 17.4). Dates or times in a row may be masked too: that errs on the safe side.
"""

import re

MAX_SHOWN = 100

# Twelve or more Unicode decimal digits (``\d`` of a str pattern), each group split from the
# next by at most four characters that are not letters or digits ("1234 - 5678 - 9018"); the
# long-vowel marks ー and ｰ, letters to Unicode, are often typed as dashes.
_DIGIT_RUN = re.compile(r"\d(?:[\W_ーｰ]{0,4}\d){11,}")
_DIGIT = re.compile(r"\d")
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
    "\ud800-\udfff]"
)


def _keep_last4(match: re.Match) -> str:
    run = match.group()
    positions = [m.start() for m in _DIGIT.finditer(run)]
    hidden = set(positions[:-4])
    return "".join("*" if i in hidden else ch for i, ch in enumerate(run))


# A UUID (a job's or a request's id) is an identifier, not a number written with separators:
# kept whole when it holds a hex letter; an all-digit one is masked like any run.
_UUID = r"(?<![0-9A-Za-z])[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}(?![0-9A-Za-z])"
_UUID_OR_RUN = re.compile(f"(?P<uuid>{_UUID})|{_DIGIT_RUN.pattern}")


def _mask_match(match: re.Match) -> str:
    if match.group("uuid") is not None:
        text = match.group()
        return text if any(c.isalpha() for c in text) else _DIGIT_RUN.sub(_keep_last4, text)
    return _keep_last4(match)


def _mask_runs(text: str) -> str:
    return _UUID_OR_RUN.sub(_mask_match, text)


def mask_numbers(text: str) -> str:
    """Mask digit runs only, keeping the text's length and characters otherwise (file names,
    subjects, comments, log lines)."""
    return _mask_runs(text)


# scheme://user:password@host: the user and password (issue 17.10); a password may hold "@".
_URL_CREDENTIALS = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#]*@")


def hide_url_credentials(text: str) -> str:
    """``imaps://user:secret@host/`` becomes ``imaps://***@host/``."""
    return _URL_CREDENTIALS.sub(r"\1***@", text)


def mask_long_text(text: str) -> str:
    """Mask digit runs and unsafe characters, keeping the whole text (comments, reasons)."""
    return _UNSAFE.sub("\ufffd", _mask_runs(text))


def mask_text(text: str) -> str:
    """Mask digit runs and unsafe characters in free text (header names, values)."""
    text = mask_long_text(text)
    if len(text) > MAX_SHOWN:
        text = text[:MAX_SHOWN] + "…"
    return text


def mask_last4(text: str) -> str:
    """Show at most the last four characters (``********9012``)."""
    return "*" * max(len(text) - 4, 0) + _UNSAFE.sub("\ufffd", text[-4:])
