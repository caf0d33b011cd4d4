"""File names from the outside world (shared folder, mail attachment, upload form).

A received name is kept as it came for display and the record, but only ``safe_name()`` of it is
ever used as a path component. Choices (bad-inputs.md, Filenames):

- Only the last component counts: ``../../etc/passwd`` → ``passwd``, ``..\\..\\boot.ini`` →
  ``boot.ini``, ``C:\\x.csv`` → ``x.csv``. Full-width ``／`` ``＼`` ``．`` and the yen sign are
  ordinary characters, not separators, on every system we write to: they are kept.
- Control characters (C0, DEL, C1) and invisible format characters (bidi overrides such as
  U+202E, zero-width characters, BOM) are dropped, so ``data\\u202Evsc.exe`` shows its real
  extension ``.exe``.
- Characters Windows refuses (``<>:"/\\|?*``) become ``_``; trailing dots and spaces are dropped
  (Windows drops them silently, so a name would change on the municipality's side); a leading
  ``-`` gets a ``_`` in front (never read as an option); leading dots are dropped (never hidden,
  never ``..``); Windows device names (``CON.csv``, ``NUL``, ``COM1``) get a ``_`` in front.
- NFC by default (macOS sends NFD); ``normalize=False`` keeps the form, for names that must stay
  distinct from a differently normalised twin in the same folder.
- At most ``max_bytes`` UTF-8 bytes (255, the usual NAME_MAX), cut on a character boundary
  before the extension so ``.csv`` survives.
"""

from __future__ import annotations

import re
import unicodedata

NAME_MAX = 255
FALLBACK = "file"

_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\..*)?$", re.IGNORECASE)
_DRIVE = re.compile(r"^[A-Za-z]:")
# Extensions worth keeping whole when a long name is cut: ".csv", ".full.csv", ".result.json".
_SUFFIX = re.compile(r"(\.[0-9A-Za-z_-]{1,16}){1,3}$")


def _invisible(ch: str) -> bool:
    # Cc: control characters; Cf: bidi overrides, ZWSP/ZWJ, BOM and other format characters.
    return unicodedata.category(ch) in ("Cc", "Cf")


def basename(name: str) -> str:
    """The last path component of a name written with ``/`` or ``\\`` separators."""
    name = _DRIVE.sub("", name)
    return re.split(r"[/\\]", name)[-1]


def safe_name(name: str, *, max_bytes: int = NAME_MAX, normalize: bool = True) -> str:
    """A name safe to use as one path component on POSIX and Windows; never empty."""
    if normalize:
        name = unicodedata.normalize("NFC", name)
    name = basename(name)
    name = "".join(ch for ch in name if not _invisible(ch))
    name = _WINDOWS_FORBIDDEN.sub("_", name)
    name = name.strip(" ").rstrip(". ").lstrip(".")
    if not name:
        name = FALLBACK
    if name.startswith("-") or _RESERVED.match(name):
        name = "_" + name
    return truncate(name, max_bytes)


def truncate(name: str, max_bytes: int) -> str:
    """Cut ``name`` to ``max_bytes`` UTF-8 bytes, keeping its extension when it is short."""
    if len(name.encode("utf-8")) <= max_bytes:
        return name
    match = _SUFFIX.search(name)
    suffix = match.group(0) if match and len(match.group(0)) < max_bytes // 2 else ""
    stem = name[: len(name) - len(suffix)]
    budget = max_bytes - len(suffix.encode("utf-8"))
    cut = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    return (cut.rstrip(". ") or FALLBACK[:budget]) + suffix


def display_name(name: str) -> str:
    """The name as received, with invisible and control characters made visible (``<U+202E>``).

    For logs, the console and mail bodies: it can neither inject a line nor reorder the text.
    """
    return "".join(f"<U+{ord(ch):04X}>" if _invisible(ch) else ch for ch in name)


def extension(name: str) -> str:
    """The lower-case extension of the safe form of ``name`` (``".csv"``), or ``""``."""
    safe = safe_name(name)
    dot = safe.rfind(".")
    return safe[dot:].lower() if dot > 0 else ""


MODES = ("full", "diff")


def mode_from_name(name: str) -> str | None:
    """The mode token just before the extension: ``daily.full.csv`` → ``full``; else None."""
    parts = name.rsplit(".", 2)
    if len(parts) == 3 and parts[0] and parts[1].lower() in MODES:
        return parts[1].lower()
    return None
