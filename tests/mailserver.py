"""Loopback mail servers for tests: a throwaway dovecot (IMAP and IMAPS) and an SMTP sink.

Bring the fixtures into a test module by name (``dovecot = mailserver.dovecot``), or list the
module in ``pytest_plugins`` of the root conftest. Follows shared/notes/mail-recipe.md:

- dovecot from Debian's ``dovecot-imapd`` (CI installs it, see ``.ci/run``), one per test
  session, with its config, TLS key (issued by a ``trustme`` CA) and mail under a private
  directory in /tmp (pytest's own tmp is 0700 under /tmp/pytest-of-root: the ``dovecot`` user
  could not traverse it). Any user name logs in with ``PASSWORD`` and gets an empty Maildir,
  so each test takes a fresh account instead of cleaning up.
- Missing dovecot fails the test under ``CI`` and skips it elsewhere.
- Everything listens on 127.0.0.1 only; readiness is a bounded poll for the ``* OK`` greeting.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

DOVECOT = "/usr/sbin/dovecot"
PASSWORD = "pmh-secret"


def _ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


def require_dovecot() -> None:
    if os.path.exists(DOVECOT):
        return
    message = f"{DOVECOT} missing: apt-get install -y --no-install-recommends dovecot-imapd"
    if _ci():
        pytest.fail(message)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, *, attempts: int = 200, interval: float = 0.025) -> bool:
    """Poll ``check()`` until true, at most ``attempts`` times."""
    for _ in range(attempts):
        if check():
            return True
        time.sleep(interval)
    return False


def _greets(port: int, context: ssl.SSLContext | None = None) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            if context is None:
                return sock.recv(4) == b"* OK"
            with context.wrap_socket(sock, server_hostname="localhost") as tls:
                return tls.recv(4) == b"* OK"
    except (OSError, ssl.SSLError):
        return False


@dataclass
class Dovecot:
    root: Path
    port: int
    ssl_port: int
    ca_file: Path
    pid: int = 0
    _ca: object = field(default=None, repr=False)

    @property
    def conf(self) -> Path:
        return self.root / "dovecot.conf"

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        return context

    def url(self, user: str, *, tls: bool = False, folder: str = "INBOX") -> str:
        if tls:
            return f"imaps://{user}:{PASSWORD}@localhost:{self.ssl_port}/{folder}"
        return f"imap://{user}:{PASSWORD}@127.0.0.1:{self.port}/{folder}"

    def client(self, user: str) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        imap.login(user, PASSWORD)
        return imap

    def deliver(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        imap = self.client(user)
        try:
            typ, data = imap.append(folder, "", None, raw)
            assert typ == "OK", data
        finally:
            imap.logout()

    def uids(self, user: str, folder: str = "INBOX", criteria: str = "ALL") -> list[str]:
        imap = self.client(user)
        try:
            typ, data = imap.select(f'"{folder}"', readonly=True)
            if typ != "OK":
                return []
            typ, data = imap.uid("SEARCH", criteria)
            return [u.decode() for u in data[0].split()]
        finally:
            imap.logout()

    def maildir(self, user: str) -> Path:
        return self.root / "mail" / user / "Maildir"

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start(self) -> None:
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("localhost", "127.0.0.1")
        cert.private_key_pem.write_to_path(str(self.root / "key.pem"))
        cert.cert_chain_pems[0].write_to_path(str(self.root / "cert.pem"))
        ca.cert_pem.write_to_path(str(self.ca_file))
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir()
        shutil.chown(self.root / "mail", "dovecot", "dovecot")
        self.conf.write_text(_CONFIG.format(root=self.root, port=self.port, sport=self.ssl_port))
        with open(self.root / "stderr.log", "wb") as err:
            # Files, never pipes: the master keeps the caller's stderr open (mail-recipe).
            subprocess.run(
                [DOVECOT, "-c", str(self.conf)],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                check=True,
            )
        pidfile = self.root / "run" / "master.pid"
        wait_for(pidfile.exists)
        self.pid = int(pidfile.read_text().split()[0])
        if not (
            wait_for(lambda: _greets(self.port))
            and wait_for(lambda: _greets(self.ssl_port, self.ssl_context()))
        ):
            self.stop()
            raise RuntimeError(f"dovecot did not greet:\n{self.log()}")

    def stop(self) -> None:
        if not self.pid:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        wait_for(lambda: not Path(f"/proc/{self.pid}").exists(), attempts=400)
        self.pid = 0


_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
first_valid_uid = 1
mail_location = maildir:~/Maildir
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
shutdown_clients = yes
# No slowdown after the wrong-password test: no failure delay, no per-address auth penalty.
auth_failure_delay = 0
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {sport}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
""".replace("{password}", PASSWORD)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    require_dovecot()
    root = Path(tempfile.mkdtemp(prefix="pmh-dovecot-"))
    root.chmod(0o755)  # the dovecot user must traverse it
    server = Dovecot(root, free_port(), free_port(), root / "ca.pem")
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_account(dovecot) -> str:
    """A fresh IMAP user (empty INBOX) on the session's dovecot."""
    return f"t{uuid.uuid4().hex[:12]}"


# --- SMTP sink ------------------------------------------------------------------------------


class SmtpSink:
    """aiosmtpd on 127.0.0.1 keeping every message it receives (parsed, policy.default)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.host = "127.0.0.1"
        self.port = free_port()  # Controller(port=0) does not report the port it got
        self._controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()  # returns once the server answers

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def django_smtp_sink(smtp_sink, settings) -> SmtpSink:
    """The sink behind Django's SMTP backend (pytest-django would use locmem otherwise)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_sink.host, smtp_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    return smtp_sink
