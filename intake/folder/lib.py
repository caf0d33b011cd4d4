"""The shared-folder channel (console.md §3.1), on plain files and without Django.

One folder per integration under the dropbox root, named by its ``dropbox_name``, holding
``inbox/ processing/ archive/ error/ outbox/``. The cycle, for the ``intake_folder`` command::

    layout = ensure_layout(root, "131016")
    for path in recover_processing(layout):      # left by a crash: finish them first
        ...
    scan = scan_inbox(layout, stable_seconds=5, now=time.time(), state=state, max_bytes=limit)
    for refusal in scan.refused:
        refuse(refusal)                          # → error/F + error/F.reason.txt
    for candidate in scan.ready:
        claimed = claim(candidate.path)          # processing/<token>/F, or None if it vanished
        ...check_claimed(), read with open_claimed(), validate...
        archive(claimed, submission_id=..., when=...)  # → archive/YYYYMMDD/<id>-F
        write_outbox(layout, claimed.name, report_json=..., result_csv=...)

Decisions:

- Stability: a file is taken once nothing has touched it for ``stable_seconds`` — its mtime
  *and* ctime are that old — or, failing that (a client clock ahead of ours gives an mtime in
  the future), once two scans at least ``stable_seconds`` apart saw the same size, mtime and
  inode. ctime counts because copies over SMB keep the source's old mtime while the bytes are
  still arriving; the client cannot set ctime. ``now`` is injected so tests never sleep.
- The folder layer itself refuses, to ``error/`` with a Japanese reason: symlinks (never
  followed: a link to /etc/shadow is moved, not read), FIFOs, devices and sockets, hard links
  (the same bytes live elsewhere, possibly not the sender's), unreadable files, files over the
  size limit, and files that are not text (spec §3.1). "Not text" is the validation engine's
  own ``sniff()`` verdict (``F_NOT_TEXT``: archives, Office, PDF, images, UTF-16, NUL bytes), so
  the reason reads exactly as the engine's report would. Everything else — empty files, bad
  encodings, broken CSV — is the validation engine's to report in ``outbox/``.
- A claim is one ``rename`` into a fresh ``processing/<token>/`` directory: the original name is
  kept byte for byte (however long or odd), two files sent under the same name never collide,
  and of two racing claimers exactly one wins. The one exception: a name whose bytes are not
  UTF-8 (a share without a UTF-8 charset setting writes CP932) is renamed to its CP932 reading,
  or to its UTF-8 reading with U+FFFD, since no text column or log line can hold it as it is.
- Names from the share are used as they are on disk only inside ``processing/``; everywhere we
  create a name (archive, outbox, error) it goes through ``safe_name(normalize=False)``: an NFD
  and an NFC twin keep separate results.
- ``archive/`` and ``error/`` never overwrite: a taken name gets `` (2)``, `` (3)``… before its
  extension. ``outbox/`` replaces, as the spec asks.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from intake.lib.safe_names import NAME_MAX, safe_name, truncate
from uploads.lib.validation.sniff import sniff

INBOX, PROCESSING, ARCHIVE, ERROR, OUTBOX = "inbox", "processing", "archive", "error", "outbox"
SUBFOLDERS = (INBOX, PROCESSING, ARCHIVE, ERROR, OUTBOX)
IGNORED_SUFFIXES = (".tmp", ".part", "~")
REASON_SUFFIX = ".reason.txt"
# The longest suffix that the caller's result names add to a file name (``.result.json``).
RESULT_SUFFIX_MAX = len(".result.json")
BOM = b"\xef\xbb\xbf"
LOCK_NAME = ".intake.lock"
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


@dataclass(frozen=True)
class Layout:
    """One integration's folder: ``<root>/<dropbox_name>/``."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def inbox(self) -> Path:
        return self.path / INBOX

    @property
    def processing(self) -> Path:
        return self.path / PROCESSING

    @property
    def archive(self) -> Path:
        return self.path / ARCHIVE

    @property
    def error(self) -> Path:
        return self.path / ERROR

    @property
    def outbox(self) -> Path:
        return self.path / OUTBOX


@dataclass(frozen=True)
class Candidate:
    """A stable regular file in ``inbox/``, ready to be claimed."""

    path: Path
    size: int
    mtime_ns: int

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Refusal:
    """A file the folder layer will not take; ``refuse()`` moves it to ``error/``."""

    path: Path
    code: str  # symlink, special, hardlink, unreadable, too_large, not_text
    reason: str  # Japanese, for error/F.reason.txt and the error queue

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Scan:
    ready: list[Candidate] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # names seen but not yet stable


@dataclass
class ScanState:
    """What earlier scans saw, keyed by inbox path: keep one per integration between scans."""

    seen: dict[str, tuple[tuple[int, int, int], float]] = field(default_factory=dict)


class DropboxError(Exception):
    pass


def _layout(folder: Layout | str | os.PathLike[str]) -> Layout:
    return folder if isinstance(folder, Layout) else Layout(Path(folder))


def ensure_layout(root: str | os.PathLike[str], name: str) -> Layout:
    """Create (if missing) and return the folder of the integration with dropbox_name ``name``."""
    if not name or safe_name(name) != name or name in (".", ".."):
        raise DropboxError(f"not a usable dropbox name: {name!r}")
    layout = Layout(Path(root) / name)
    for sub in SUBFOLDERS:
        (layout.path / sub).mkdir(parents=True, exist_ok=True)
    # A linked or mounted folder would make another folder's files this integration's
    # submissions (issue 17.7): refused at every level below the shared root.
    for path in [layout.path, *(layout.path / sub for sub in SUBFOLDERS)]:
        if path.is_symlink() or os.path.ismount(path) or not path.is_dir():
            raise DropboxError(f"{path} is a link or a mount point, not a folder of its own")
    return layout


def is_ignored(name: str) -> bool:
    """Names the spec tells us to leave alone: partial uploads, editor backups, hidden files."""
    return name.startswith(".") or name.lower().endswith(IGNORED_SUFFIXES)


@contextlib.contextmanager
def intake_lock(root: str | os.PathLike[str]) -> Iterator[bool]:
    """Non-blocking exclusive lock on ``<root>/.intake.lock``; yields False if another holds it.

    ``recover_processing()`` takes back everything in ``processing/``: only the one running
    intake may do that, so the command runs its sweep inside this lock.
    """
    Path(root).mkdir(parents=True, exist_ok=True)
    fd = os.open(Path(root) / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


# --- scanning -------------------------------------------------------------------------------


def scan_inbox(
    folder: Layout | str | os.PathLike[str],
    *,
    stable_seconds: float,
    now: float,
    state: ScanState | None = None,
    max_bytes: int | None = None,
    limit: int | None = None,
) -> Scan:
    """Look at ``inbox/`` once: stable files (oldest first), refusals, and files still changing.

    ``now`` is the wall clock in seconds since the epoch (``time.time()``). Without ``state``
    only the quiet-period rule applies.
    """
    layout = _layout(folder)
    scan = Scan()
    found: list[Candidate] = []
    present: set[str] = set()
    with os.scandir(layout.inbox) as entries:
        for entry in entries:
            if is_ignored(entry.name):
                continue
            path = Path(entry.path)
            try:
                st = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            if stat.S_ISDIR(st.st_mode):
                continue  # subfolders of inbox/ are ignored (spec §3.1)
            if stat.S_ISLNK(st.st_mode):
                scan.refused.append(_refusal(path, "symlink"))
                continue
            if not stat.S_ISREG(st.st_mode):
                scan.refused.append(_refusal(path, "special"))
                continue
            present.add(entry.path)
            if not _stable(entry.path, st, stable_seconds, now, state):
                scan.waiting.append(entry.name)
                continue
            refusal = inspect(path, max_bytes=max_bytes)
            if refusal:
                scan.refused.append(refusal)
            else:
                found.append(Candidate(path, st.st_size, st.st_mtime_ns))
    if state is not None:
        for gone in set(state.seen) - present:
            del state.seen[gone]
    found.sort(key=lambda c: (c.mtime_ns, c.name))
    scan.ready = found[:limit] if limit is not None else found
    scan.waiting.sort()
    return scan


def _stable(
    key: str, st: os.stat_result, stable_seconds: float, now: float, state: ScanState | None
) -> bool:
    signature = (st.st_size, st.st_mtime_ns, st.st_ino)
    quiet = now - max(st.st_mtime, st.st_ctime) >= stable_seconds
    if state is None:
        return quiet
    previous = state.seen.get(key)
    if previous is None or previous[0] != signature:
        state.seen[key] = (signature, now)
        return quiet
    return quiet or now - previous[1] >= stable_seconds


_REASONS = {
    "symlink": "シンボリックリンクは受け付けていません。ファイルそのものを置いてください。",
    "special": (
        "通常のファイルではありません（FIFO・デバイスなど）。ファイルそのものを置いてください。"
    ),
    "hardlink": "ハードリンクは受け付けていません。ファイルをコピーして置いてください。",
    "unreadable": "ファイルを読み取れません（アクセス権限を確認してください）。",
}


def _refusal(path: Path, code: str, reason: str | None = None) -> Refusal:
    return Refusal(path, code, reason or _REASONS[code])


def _open_nofollow(path: Path) -> int:
    # O_NONBLOCK: a file swapped for a FIFO after our lstat must not hang the sweep.
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY
    return os.open(path, flags)


def open_claimed(path: str | os.PathLike[str]) -> BinaryIO:
    """Open a claimed file for reading without following a symlink; only regular files."""
    try:
        fd = _open_nofollow(Path(path))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DropboxError(_REASONS["symlink"]) from exc
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise DropboxError(_REASONS["special"])
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def inspect(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> Refusal | None:
    """Why the folder layer would refuse the file at ``path``, or None when it can be taken.

    Run at scan time and again on the claimed file (``check_claimed``): the sender may swap the
    file between the two.
    """
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None  # gone: claim() reports it
    if stat.S_ISLNK(st.st_mode):
        return _refusal(path, "symlink")
    if not stat.S_ISREG(st.st_mode):
        return _refusal(path, "special")
    if st.st_nlink > 1:
        return _refusal(path, "hardlink")
    if max_bytes is not None and st.st_size > max_bytes:
        return _refusal(path, "too_large", _too_large(st.st_size, max_bytes))
    try:
        fh = open_claimed(path)
    except PermissionError:
        return _refusal(path, "unreadable")
    except DropboxError:
        return _refusal(path, "special")
    except FileNotFoundError:
        return None
    with fh:
        problem = sniff(fh).problem
    if problem is not None and problem.code == "F_NOT_TEXT":
        return _refusal(path, "not_text", problem.message)
    return None


def _too_large(size: int, limit: int) -> str:
    return (
        f"ファイルが大きすぎます（{_megabytes(size)}）。上限は {_megabytes(limit)} です。"
        "ファイルを分けて送ってください。"
    )


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):,.1f} MB"


# --- claiming and recovery ------------------------------------------------------------------


def _token() -> str:
    # Hex nanoseconds first: processing/ lists in claim order, and the age is readable.
    return f"{time.time_ns():016x}-{secrets.token_hex(4)}"


def readable_name(name: str) -> str:
    """``name`` as listed by the OS, with bytes that are not UTF-8 read as CP932 (else U+FFFD)."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:  # undecodable bytes come back as lone surrogates
        raw = os.fsencode(name)
    try:
        readable = raw.decode("cp932")
    except UnicodeDecodeError:
        readable = ""
    if not readable or _PRIVATE_USE.search(readable):  # Python maps 0xA0, 0xFD-0xFF there
        readable = raw.decode("utf-8", "replace")
    return truncate(readable.replace("/", "_").replace("\x00", ""), NAME_MAX) or "file"


def claim(path: str | os.PathLike[str]) -> Path | None:
    """Move an inbox file into ``processing/<token>/`` atomically; None if it vanished."""
    path = Path(path)
    layout = Layout(path.parent.parent)
    slot = layout.processing / _token()
    slot.mkdir(parents=True)
    target = slot / readable_name(path.name)
    try:
        os.rename(path, target)
    except FileNotFoundError:
        slot.rmdir()
        return None
    return target


def check_claimed(
    claimed: str | os.PathLike[str], *, max_bytes: int | None = None
) -> Refusal | None:
    """``inspect()`` for a claimed file; a refusal goes on with ``move_to_error()``."""
    return inspect(claimed, max_bytes=max_bytes)


def refuse(refusal: Refusal) -> Path | None:
    """Move a refused inbox entry (the entry itself, never a link's target) to ``error/``."""
    claimed = claim(refusal.path)
    if claimed is None:
        return None
    return move_to_error(claimed, refusal.reason)


def recover_processing(folder: Layout | str | os.PathLike[str]) -> list[Path]:
    """Claimed files a crashed run left in ``processing/``, oldest claim first.

    Empty claim directories (a crash between mkdir and rename) are removed.
    """
    layout = _layout(folder)
    found: list[Path] = []
    if not layout.processing.is_dir():
        return found
    for slot in sorted(layout.processing.iterdir()):
        if not slot.is_dir() or slot.is_symlink():
            continue
        entries = sorted(slot.iterdir())
        if not entries:
            slot.rmdir()
        found.extend(entries)
    return found


def _release(claimed: Path) -> None:
    with contextlib.suppress(OSError):
        claimed.parent.rmdir()


def _claimed_layout(claimed: Path) -> Layout:
    if claimed.parent.parent.name != PROCESSING:
        raise DropboxError(f"not a claimed file: {claimed}")
    return Layout(claimed.parent.parent.parent)


# --- results --------------------------------------------------------------------------------


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/stem (n).ext`` when taken: archive/ and error/ keep both."""
    if not os.path.lexists(folder / name):
        return folder / name
    dot = name.rfind(".")
    stem, ext = (name[:dot], name[dot:]) if dot > 0 else (name, "")
    for n in range(2, 10_000):
        suffix = f" ({n})"
        budget = NAME_MAX - len(suffix) - len(ext.encode())
        candidate = safe_name(stem, max_bytes=budget, normalize=False)
        candidate = f"{candidate}{suffix}{ext}"
        if not os.path.lexists(folder / candidate):
            return folder / candidate
    raise DropboxError(f"no free name for {name!r} in {folder}")


def archive(claimed: str | os.PathLike[str], *, submission_id: int | str, when: datetime) -> Path:
    """Move a claimed file to ``archive/YYYYMMDD/<submission id>-F``; ``when`` in local time."""
    claimed = Path(claimed)
    layout = _claimed_layout(claimed)
    day = layout.archive / when.strftime("%Y%m%d")
    day.mkdir(parents=True, exist_ok=True)
    prefix = f"{submission_id}-"
    name = prefix + safe_name(claimed.name, max_bytes=NAME_MAX - len(prefix), normalize=False)
    target = _free_name(day, name)
    os.rename(claimed, target)
    _release(claimed)
    return target


def outbox_base(original_name: str) -> str:
    """``F`` of the result names ``F.result.json``/``F.result.csv``, safe as a file name here."""
    return safe_name(original_name, max_bytes=NAME_MAX - RESULT_SUFFIX_MAX, normalize=False)


def write_outbox(
    folder: Layout | str | os.PathLike[str],
    names: tuple[str, str],
    *,
    report_json: bytes,
    result_csv: bytes,
) -> tuple[Path, Path]:
    """Write the report and the issue list under ``names`` (the caller's rule, made from
    ``outbox_base``) atomically; a newer result replaces an older.

    The CSV gets a UTF-8 BOM when it has none, so Excel opens it (spec §3.1).
    """
    layout = _layout(folder)
    layout.outbox.mkdir(parents=True, exist_ok=True)
    json_name, csv_name = names
    if not result_csv.startswith(BOM):
        result_csv = BOM + result_csv
    return (
        _atomic_write(layout.outbox / json_name, report_json),
        _atomic_write(layout.outbox / csv_name, result_csv),
    )


def _atomic_write(target: Path, data: bytes) -> Path:
    # A leading dot and ".tmp": the municipality's tools (and our own scan) skip it meanwhile.
    temp = target.parent / f".{_token()}.tmp"
    try:
        with open(temp, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    return target


def move_to_error(claimed: str | os.PathLike[str], reason_ja: str) -> Path:
    """Move a claimed file to ``error/F`` and write ``error/F.reason.txt`` (UTF-8 with BOM)."""
    claimed = Path(claimed)
    layout = _claimed_layout(claimed)
    layout.error.mkdir(parents=True, exist_ok=True)
    budget = NAME_MAX - len(REASON_SUFFIX) - len(" (9999)")
    target = _free_name(layout.error, safe_name(claimed.name, max_bytes=budget, normalize=False))
    text = reason_ja.strip().replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n"
    _atomic_write(target.parent / (target.name + REASON_SUFFIX), BOM + text.encode("utf-8"))
    os.rename(claimed, target)
    _release(claimed)
    return target


# --- retention ------------------------------------------------------------------------------


@dataclass
class Purged:
    """What a retention pass removed from one subfolder."""

    files: int = 0
    bytes: int = 0
    names: list[str] = field(default_factory=list)  # relative to the subfolder, first 100


def _when_placed(entry: os.DirEntry) -> float:
    """When the console put the file there: a rename keeps the sender's mtime, the ctime moves."""
    st = entry.stat(follow_symlinks=False)
    return max(st.st_mtime, st.st_ctime)


def _remove(entry: os.DirEntry, done: Purged, shown: str) -> None:
    size = entry.stat(follow_symlinks=False).st_size
    os.unlink(entry.path)  # a link is removed itself, never followed
    done.files += 1
    done.bytes += size
    if len(done.names) < 100:
        done.names.append(shown)


def purge_copies(layout: Layout, *, before: float, before_day: str) -> dict[str, Purged]:
    """Remove what the console made or moved in ``archive/``, ``error/`` and ``outbox/`` before
    ``before`` (a timestamp): the copies of received files outlive no retention (issue 17.9).

    ``archive/YYYYMMDD/`` goes by the day it names (the day the file was received, in the
    console's time zone), once that day is earlier than ``before_day`` (``YYYYMMDD``, the
    day of ``before`` in that zone); everything
    else by when the console placed it. ``inbox/`` and ``processing/`` are the vendor's and the
    running intake's. Links are removed, never followed; subfolders other than archive days
    are left alone."""
    done = {ARCHIVE: Purged(), ERROR: Purged(), OUTBOX: Purged()}
    archive_root = layout.archive
    if archive_root.is_dir() and not archive_root.is_symlink():
        with os.scandir(archive_root) as days:
            for day in days:
                if day.is_dir(follow_symlinks=False):
                    named = len(day.name) == 8 and day.name.isascii() and day.name.isdigit()
                    # A day folder goes once the whole day is past retention.
                    if not named or day.name >= before_day:
                        continue
                    with os.scandir(day.path) as files:
                        for entry in files:
                            if not entry.is_dir(follow_symlinks=False):
                                _remove(entry, done[ARCHIVE], f"{day.name}/{entry.name}")
                    with contextlib.suppress(OSError):
                        os.rmdir(day.path)
                elif _when_placed(day) < before:
                    _remove(day, done[ARCHIVE], day.name)
    for sub in (ERROR, OUTBOX):
        folder = layout.path / sub
        if not folder.is_dir() or folder.is_symlink():
            continue
        with os.scandir(folder) as entries:
            for entry in entries:
                if not entry.is_dir(follow_symlinks=False) and _when_placed(entry) < before:
                    _remove(entry, done[sub], entry.name)
    return done
