"""The mailbox behind ``PMH_MAIL_URL``: IMAP(S) or a local Maildir, one small interface.

``open_mailbox(url)`` → ``Mailbox`` with ``list_new()``, ``move(uid, folder)`` and ``close()``.
Nothing is ever deleted: ``move`` puts the message into the target folder first.

- IMAP: stdlib ``imaplib``. Capabilities are asked again after login (servers announce MOVE
  only then; imaplib keeps the greeting's list). ``UID MOVE`` when offered; otherwise ``UID
  COPY``, then ``\\Deleted`` on that UID and ``UID EXPUNGE`` of that UID alone (UIDPLUS); without
  UIDPLUS the original stays flagged ``\\Deleted`` and ``list_new`` skips it — a plain EXPUNGE
  or CLOSE would also erase messages a person flagged. ``close()`` therefore only logs out.
  Messages are fetched with ``BODY.PEEK[]`` (no ``\\Seen``); every undeleted message in the
  folder is "new", since everything handled leaves it.
- ``imap://`` (no TLS) is accepted for loopback hosts only: the password would cross the
  network in clear otherwise.
- Maildir: stdlib ``mailbox.Maildir``; folders are Maildir++ (``.processed``, ``.quarantine``),
  the layout dovecot shows as IMAP folders ``processed`` and ``quarantine``.
- The password appears in no message, repr or log line: use ``MailboxURL.redacted()``.
"""

from __future__ import annotations

import contextlib
import imaplib
import ipaddress
import mailbox
import os
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

PROCESSED = "processed"
QUARANTINE = "quarantine"
DEFAULT_PORTS = {"imap": 143, "imaps": 993}


class MailboxError(Exception):
    pass


class MailboxURLError(MailboxError, ValueError):
    pass


@dataclass(frozen=True)
class MailboxURL:
    scheme: str  # imap, imaps, maildir
    host: str = ""
    port: int = 0
    user: str = ""
    password: str = field(default="", repr=False)
    folder: str = "INBOX"
    path: str = ""  # maildir only

    def redacted(self) -> str:
        if self.scheme == "maildir":
            return f"maildir://{self.path}"
        return f"{self.scheme}://{self.user}:***@{self.host}:{self.port}/{self.folder}"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_mailbox_url(url: str) -> MailboxURL:
    """Parse ``imaps://user:password@host:port/INBOX``, ``imap://…`` or ``maildir:///path``."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise MailboxURLError(f"not a mailbox URL ({_shape(url)}): {exc}") from None
    scheme = parts.scheme.lower()
    if scheme == "maildir":
        path = unquote(parts.path)
        if parts.netloc not in ("", "localhost") or not path.startswith("/"):
            raise MailboxURLError("a Maildir URL is maildir:///absolute/path")
        return MailboxURL("maildir", path=path)
    if scheme not in DEFAULT_PORTS:
        raise MailboxURLError(f"unknown mailbox scheme {scheme!r}: use imaps, imap or maildir")
    host = parts.hostname or ""
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    if not host or not user or not password:
        raise MailboxURLError(f"{scheme}:// needs user, password and host ({_shape(url)})")
    if scheme == "imap" and not _is_loopback(host):
        raise MailboxURLError(f"imap:// (no TLS) only on loopback; use imaps:// for {host}")
    folder = unquote(parts.path.lstrip("/")) or "INBOX"
    return MailboxURL(scheme, host, port or DEFAULT_PORTS[scheme], user, password, folder)


def _shape(url: str) -> str:
    # The URL with anything between "://" and "@" hidden: it may hold the password.
    head, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rpartition("@")[2]
    return head + sep + rest


class Mailbox:
    """A folder of incoming messages; use as a context manager."""

    def list_new(self, limit: int | None = None) -> Iterator[tuple[str, bytes]]:
        """(uid, raw message) for each message waiting, oldest first."""
        raise NotImplementedError

    def move(self, uid: str, folder: str) -> None:
        """Move a message to ``folder`` (created if missing); it exists there before it leaves."""
        raise NotImplementedError

    def purge_older(self, folder: str, before: datetime) -> int:
        """Delete the messages of ``folder`` received before ``before`` (retention of the
        processed and quarantined mail); returns how many went."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_mailbox(
    url: str | MailboxURL, *, ssl_context: ssl.SSLContext | None = None, timeout: float = 30.0
) -> Mailbox:
    """Connect to the mailbox of ``url``; ``ssl_context`` defaults to the system trust store."""
    parsed = url if isinstance(url, MailboxURL) else parse_mailbox_url(url)
    if parsed.scheme == "maildir":
        return MaildirMailbox(parsed.path)
    return ImapMailbox(parsed, ssl_context=ssl_context, timeout=timeout)


class ImapMailbox(Mailbox):
    def __init__(
        self, url: MailboxURL, *, ssl_context: ssl.SSLContext | None = None, timeout: float = 30.0
    ):
        self.url = url
        if url.scheme == "imaps":
            context = ssl_context or ssl.create_default_context()
            self._imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                url.host, url.port, ssl_context=context, timeout=timeout
            )
        else:
            self._imap = imaplib.IMAP4(url.host, url.port, timeout=timeout)
        try:
            self._imap.login(url.user, url.password)
        except imaplib.IMAP4.error as exc:
            self._imap.shutdown()
            raise MailboxError(f"IMAP login refused for {url.redacted()}: {exc}") from None
        self.capabilities = self._capabilities()
        self._folders: set[str] = set()
        typ, data = self._imap.select(_quote(url.folder))
        if typ != "OK":
            self.close()
            raise MailboxError(f"cannot select {url.folder!r} on {url.redacted()}: {data!r}")
        self.uidvalidity = self._uidvalidity()

    def __repr__(self) -> str:
        return f"<ImapMailbox {self.url.redacted()}>"

    def _capabilities(self) -> frozenset[str]:
        typ, data = self._imap.capability()
        if typ != "OK" or not data or not data[-1]:
            return frozenset()
        return frozenset(data[-1].decode("ascii", "replace").upper().split())

    def _uidvalidity(self) -> str | None:
        values = self._imap.untagged_responses.get("UIDVALIDITY") or [None]
        value = values[-1]
        return value.decode() if isinstance(value, bytes) else value

    def _ok(self, typ: str, data: object, what: str) -> None:
        if typ != "OK":
            raise MailboxError(f"IMAP {what} failed on {self.url.redacted()}: {data!r}")

    def list_new(self, limit: int | None = None) -> Iterator[tuple[str, bytes]]:
        typ, data = self._imap.uid("SEARCH", "UNDELETED")
        self._ok(typ, data, "SEARCH")
        uids = [u.decode() for u in (data[0] or b"").split()]
        for uid in uids[:limit] if limit is not None else uids:
            raw = self._fetch(uid)
            if raw is not None:
                yield uid, raw

    def _fetch(self, uid: str) -> bytes | None:
        typ, data = self._imap.uid("FETCH", uid, "(BODY.PEEK[])")
        self._ok(typ, data, "FETCH")
        for item in data:
            if isinstance(item, tuple) and len(item) == 2:
                return item[1]
        return None  # gone meanwhile (another client moved it)

    def move(self, uid: str, folder: str) -> None:
        self._ensure_folder(folder)
        if "MOVE" in self.capabilities:
            typ, data = self._imap.uid("MOVE", uid, _quote(folder))
            self._ok(typ, data, "MOVE")
            return
        typ, data = self._imap.uid("COPY", uid, _quote(folder))
        self._ok(typ, data, "COPY")
        typ, data = self._imap.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
        self._ok(typ, data, "STORE")
        if "UIDPLUS" in self.capabilities:
            typ, data = self._imap.uid("EXPUNGE", uid)
            self._ok(typ, data, "UID EXPUNGE")

    def purge_older(self, folder: str, before: datetime) -> int:
        # SEARCH BEFORE compares the INTERNALDATE (kept by MOVE and COPY: when the server got
        # the message) with a date: a message goes on the first day wholly past ``before``.
        typ, data = self._imap.list('""', _quote(folder))
        if typ != "OK" or not data or data[0] is None:
            return 0
        typ, data = self._imap.select(_quote(folder))
        self._ok(typ, data, f"SELECT {folder}")
        try:
            day = before.strftime("%d-") + _MONTHS[before.month - 1] + before.strftime("-%Y")
            typ, data = self._imap.uid("SEARCH", "BEFORE", day)
            self._ok(typ, data, "SEARCH")
            uids = [u.decode() for u in (data[0] or b"").split()]
            for start in range(0, len(uids), 500):
                chunk = ",".join(uids[start : start + 500])
                typ, data = self._imap.uid("STORE", chunk, "+FLAGS.SILENT", r"(\Deleted)")
                self._ok(typ, data, "STORE")
                if "UIDPLUS" in self.capabilities:
                    typ, data = self._imap.uid("EXPUNGE", chunk)
                else:  # only the console writes these folders: expunging them all is ours
                    typ, data = self._imap.expunge()
                self._ok(typ, data, "EXPUNGE")
            return len(uids)
        finally:
            typ, data = self._imap.select(_quote(self.url.folder))
            self._ok(typ, data, f"SELECT {self.url.folder}")

    def _ensure_folder(self, folder: str) -> None:
        if folder in self._folders:
            return
        typ, data = self._imap.list('""', _quote(folder))
        if typ != "OK" or not data or data[0] is None:
            typ, data = self._imap.create(_quote(folder))
            if typ != "OK" and b"ALREADYEXISTS" not in b" ".join(d or b"" for d in data):
                raise MailboxError(f"cannot create folder {folder!r}: {data!r}")
            self._imap.subscribe(_quote(folder))
        self._folders.add(folder)

    def close(self) -> None:
        # LOGOUT, never CLOSE: CLOSE expunges every \Deleted message of the folder.
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            self._imap.logout()


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _quote(name: str) -> str:
    if not name.isascii() or any(ch in name for ch in "\r\n\x00"):
        raise MailboxError(f"folder names must be plain ASCII: {name!r}")
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class MaildirMailbox(Mailbox):
    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        try:
            self._md = mailbox.Maildir(self.path, factory=None, create=False)
        except mailbox.NoSuchMailboxError:
            raise MailboxError(f"no Maildir at {self.path}") from None

    def __repr__(self) -> str:
        return f"<MaildirMailbox {self.path}>"

    def list_new(self, limit: int | None = None) -> Iterator[tuple[str, bytes]]:
        keys = sorted(self._md.keys(), key=self._delivered)
        for key in keys[:limit] if limit is not None else keys:
            try:
                yield key, self._md.get_bytes(key)
            except KeyError:
                continue  # taken by another reader meanwhile

    def _delivered(self, key: str) -> tuple[float, str]:
        # Maildir names start with the delivery time: "1712345678.M1P2.host".
        head = key.split(".", 1)[0]
        return (float(head) if head.isdigit() else 0.0), key

    def move(self, uid: str, folder: str) -> None:
        try:
            target = self._md.get_folder(folder)
        except mailbox.NoSuchMailboxError:
            target = self._md.add_folder(folder)
        target.add(self._md.get_bytes(uid))  # written to tmp/, renamed into new/: complete
        self._md.remove(uid)

    def purge_older(self, folder: str, before: datetime) -> int:
        try:
            box = self._md.get_folder(folder)
        except mailbox.NoSuchMailboxError:
            return 0
        cutoff = before.timestamp()
        gone = 0
        for key in list(box.keys()):
            # ``move`` adds the message anew: the name's time is when it was taken.
            if self._delivered(key)[0] < cutoff:
                box.remove(key)
                gone += 1
        return gone

    def close(self) -> None:
        self._md.close()
