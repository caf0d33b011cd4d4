"""Loopback servers for probe tests and benchmarks: 127.0.0.1 only, port 0, threads, no sleeps.

Each server is a context manager; `start()` returns once the socket listens, `stop()` wakes the
serving thread through a socket pair (no polling interval) and closes every open connection.
"""

import dataclasses
import datetime
import selectors
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler

import dns.exception
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import trustme

LOOPBACK = "127.0.0.1"
# Bounds a handler blocked on a client that went away, so stop() never hangs.
_HANDLER_TIMEOUT = 10.0


def free_port() -> int:
    """A loopback port with nothing listening on it (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


class _ThreadedServer:
    sock_type = socket.SOCK_STREAM

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, self.sock_type)
        self.sock.bind((LOOPBACK, 0))
        self.port: int = self.sock.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._handlers: list[threading.Thread] = []
        self._thread = threading.Thread(target=self._serve, name=type(self).__name__, daemon=True)

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def start(self):
        if self.sock_type == socket.SOCK_STREAM:
            self.sock.listen(128)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._wake_w.send(b"x")
        self._thread.join()
        with self._lock:
            for conn in self._conns:
                _hang_up(conn)
            handlers = list(self._handlers)
        for handler in handlers:
            handler.join()
        for sock in (self.sock, self._wake_r, self._wake_w):
            sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _serve(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self.sock, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self.sock and not self._stopping.is_set():
                        self._ready()

    def _ready(self) -> None:
        conn, _ = self.sock.accept()
        with self._lock:
            self._conns.add(conn)
            thread = threading.Thread(target=self._handle_safely, args=(conn,), daemon=True)
            self._handlers = [t for t in self._handlers if t.is_alive()]
            self._handlers.append(thread)
        thread.start()

    def _handle_safely(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(_HANDLER_TIMEOUT)
            self.handle(conn)
        except (OSError, ValueError):
            pass  # the client hung up or rejected our certificate: that is the test
        finally:
            with self._lock:
                self._conns.discard(conn)
            conn.close()

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError


class SilentTCPServer(_ThreadedServer):
    """Accepts connections and never sends a byte: the peer runs into its timeout."""

    def handle(self, conn: socket.socket) -> None:
        self._stopping.wait()


@dataclasses.dataclass
class Reply:
    status: int = 200
    body: bytes = b"<html><body>PMH OK</body></html>"
    content_type: str = "text/html; charset=utf-8"
    chunked: bool = False


class LoopbackHTTPServer(_ThreadedServer):
    """HTTP/1.1 server answering every request with `reply`; TLS when given a server context."""

    def __init__(self, reply: Reply | None = None, tls: ssl.SSLContext | None = None) -> None:
        super().__init__()
        self.reply = reply or Reply()
        self.tls = tls
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{self.address}/"

    def handle(self, conn: socket.socket) -> None:
        if self.tls:
            conn = self.tls.wrap_socket(conn, server_side=True)
        _ReplyHandler(conn, conn.getpeername(), self)


class _ReplyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        reply: Reply = self.server.reply
        self.server.requests.append(self.requestline)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Connection", "close")
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(reply.body), 1000):
                piece = reply.body[start : start + 1000]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        self.close_connection = True

    def log_message(self, format, *args) -> None:
        pass


class LoopbackDNSServer(_ThreadedServer):
    """UDP DNS server: A records from `records`, no answer for `silent`, NXDOMAIN otherwise."""

    sock_type = socket.SOCK_DGRAM

    def __init__(self, records: dict[str, str], silent: frozenset[str] = frozenset()) -> None:
        super().__init__()
        self.records = {_dns_key(name): ip for name, ip in records.items()}
        self.silent = {_dns_key(name) for name in silent}

    def _ready(self) -> None:
        data, peer = self.sock.recvfrom(4096)
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return
        question = query.question[0]
        name = _dns_key(question.name.to_text())
        if name in self.silent:
            return
        response = dns.message.make_response(query)
        if name not in self.records:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.A:
            rrset = dns.rrset.from_text(question.name, 60, "IN", "A", self.records[name])
            response.answer.append(rrset)
        self.sock.sendto(response.to_wire(), peer)


def _dns_key(name: str) -> str:
    return name.rstrip(".").lower()


def _hang_up(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


@dataclasses.dataclass
class TestPKI:
    """A test CA, an unrelated CA, and the leaf certificates the TLS cases need."""

    ca: trustme.CA
    valid: trustme.LeafCert
    expired: trustme.LeafCert
    wrong_host: trustme.LeafCert
    untrusted: trustme.LeafCert

    __test__ = False  # not a pytest test class despite the name

    @property
    def ca_pem(self) -> str:
        return self.ca.cert_pem.bytes().decode("ascii")


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "ok.test")


def make_pki() -> TestPKI:
    ca = trustme.CA(organization_name="PMH test CA")
    now = datetime.datetime.now(datetime.UTC)
    return TestPKI(
        ca=ca,
        valid=ca.issue_cert(*LOOPBACK_NAMES, common_name="localhost"),
        expired=ca.issue_cert(
            *LOOPBACK_NAMES,
            common_name="expired.localhost",
            not_before=now - datetime.timedelta(days=40),
            not_after=now - datetime.timedelta(days=10),
        ),
        wrong_host=ca.issue_cert("wrong.example"),
        untrusted=trustme.CA(organization_name="Unknown CA").issue_cert(*LOOPBACK_NAMES),
    )


def server_context(cert: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    return context
