"""Probe I/O for the reachability checks (NW疎通試験), free of Django.

`run_probe()` never raises: every failure becomes a `ProbeRun` with an error class, the phase it
failed in and an English technical message. One deadline (`ProbeSpec.timeout`) bounds the whole
probe, so a target can never hold a worker longer than its timeout.
"""

import dataclasses
import datetime
import functools
import http.client
import io
import ipaddress
import json
import math
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from urllib.parse import quote, urlsplit

import dns.exception
import dns.resolver
from cryptography import x509

KINDS = ("dns", "tcp", "tls", "http")
ERROR_CLASSES = (
    "dns",
    "refused",
    "timeout",
    "tls_handshake",
    "cert_expired",
    "cert_hostname",
    "cert_untrusted",
    "http_status",
    "keyword",
    "other",
)
PHASES = ("dns", "connect", "tls", "http", "body")
BODY_LIMIT = 64 * 1024
USER_AGENT = "pmh-console-probe/1"
DEFAULT_PORTS = {"http": 80, "https": 443}

# OpenSSL X509_V_ERR_* codes, as found in SSLCertVerificationError.verify_code.
_VERIFY_EXPIRED = {10}
_VERIFY_HOSTNAME = {62, 64}  # host name mismatch, IP address mismatch
_VERIFY_UNTRUSTED = {2, 18, 19, 20, 21, 27, 28}
# Japanese sites still serve Shift_JIS/EUC-JP pages without a charset header.
_KEYWORD_ENCODINGS = ("utf-8", "cp932", "euc_jp")


@dataclasses.dataclass(frozen=True)
class ProbeSpec:
    url: str  # http(s):// URL, or host:port (a bare host name for kind dns)
    kind: str = "http"
    timeout: float = 10.0
    expect_status: int | None = None
    expect_keyword: str | None = None
    ca_pem: str | None = None
    resolver: str | None = None  # "host[:port]" of the DNS server to ask
    method: str = "GET"


@dataclasses.dataclass
class ProbeRun:
    url: str
    kind: str
    ok: bool = False
    error_class: str | None = None
    failed_phase: str | None = None
    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    first_byte_ms: float | None = None
    total_ms: float | None = None
    address: str | None = None
    tls_version: str | None = None
    cert_subject: str | None = None
    cert_days_left: int | None = None
    http_status: int | None = None
    message: str = ""

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False)


@dataclasses.dataclass(frozen=True)
class Target:
    scheme: str | None  # "http", "https", or None for host:port
    host: str  # IDNA-encoded, IPv6 without brackets
    port: int | None
    path: str  # request target with query, "/" at least


class ProbeFailure(Exception):
    """A failure the probe itself decided on (status or keyword mismatch)."""

    def __init__(self, error_class: str, message: str) -> None:
        super().__init__(message)
        self.error_class = error_class


def default_kind(url: str) -> str:
    return "http" if "://" in url else "tcp"


def parse_target(url: str, kind: str) -> Target:
    """Split a URL or host:port for `kind`; ValueError says what is wrong with it."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}, expected one of {', '.join(KINDS)}")
    url = url.strip()
    if "://" in url:
        target = _parse_url(url)
        if kind == "tls" and target.scheme != "https":
            raise ValueError("kind tls needs an https:// URL or host:port")
        return target
    if kind == "http":
        raise ValueError("kind http needs an http:// or https:// URL")
    host, port = _split_hostport(url, port_required=kind != "dns")
    return Target(scheme=None, host=_idna(host), port=port, path="/")


def parse_resolver(resolver: str) -> tuple[str, int]:
    """Split "ip[:port]" (IPv6 as "[ip]:port"); the resolver must be an IP literal."""
    host, port = _split_hostport(resolver, port_required=False)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"resolver must be an IP address, got {host!r}") from None
    return host, port or 53


@functools.lru_cache(maxsize=64)
def ssl_context(ca_pem: str | None = None) -> ssl.SSLContext:
    """The verifying client context: default trust store plus `ca_pem`. ValueError on bad PEM."""
    context = ssl.create_default_context()
    if ca_pem:
        try:
            context.load_verify_locations(cadata=ca_pem)
        except ssl.SSLError as exc:
            raise ValueError(f"no usable CA certificate in the PEM text: {exc}") from None
    return context


def run_probe(spec: ProbeSpec) -> ProbeRun:
    run = ProbeRun(url=spec.url, kind=spec.kind)
    probe = _Probe(spec, run)
    try:
        probe.execute()
    except Exception as exc:  # noqa: BLE001 - the contract is to never raise
        run.error_class, run.message = _classify(exc, probe.phase, spec.timeout)
        run.failed_phase = probe.phase
    else:
        run.ok = True
    finally:
        probe.close()
        run.total_ms = _ms(time.monotonic() - probe.started)
    return run


def run_probes(
    specs: Iterable[ProbeSpec], *, concurrency: int = 50
) -> Iterator[tuple[ProbeSpec, ProbeRun]]:
    """Run `specs` on a thread pool and yield (spec, run) pairs as they finish."""
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="probe") as pool:
        futures = {pool.submit(run_probe, spec): spec for spec in specs}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            # A consumer that stops early must not wait for the whole backlog.
            for future in futures:
                future.cancel()


class _Probe:
    def __init__(self, spec: ProbeSpec, run: ProbeRun) -> None:
        self.spec = spec
        self.run = run
        self.phase: str | None = None
        self.started = time.monotonic()
        self.deadline = self.started + spec.timeout
        self.sock: socket.socket | None = None

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no answer within {self.spec.timeout:g} s")
        return left

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()

    def execute(self) -> None:
        spec = self.spec
        target = parse_target(spec.url, spec.kind)
        tls = spec.kind in ("tls", "http") and target.scheme != "http"
        context = ssl_context(spec.ca_pem) if tls else None  # a bad PEM fails before any I/O
        addresses = self._resolve(target)
        if spec.kind == "dns":
            self.run.message = "resolved to " + ", ".join(ip for _, ip in addresses)
            return
        self._connect(addresses, target.port)
        if spec.kind == "tcp":
            self.run.message = f"connected to {self.run.address} port {target.port}"
            return
        if tls:
            self._handshake(context, target)
        if spec.kind == "tls":
            self.run.message = f"{self.run.tls_version} handshake with {target.host} verified"
            return
        self._request(target)

    def _resolve(self, target: Target) -> list[tuple[int, str]]:
        try:
            ip = ipaddress.ip_address(target.host)
        except ValueError:
            pass
        else:
            family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            self.run.address = str(ip)
            return [(family, str(ip))]
        self.phase = "dns"
        begin = time.monotonic()
        if self.spec.resolver:
            addresses = self._resolve_with(target.host, *parse_resolver(self.spec.resolver))
        else:
            addresses = self._resolve_system(target.host)
        self.run.dns_ms = _ms(time.monotonic() - begin)
        self.run.address = addresses[0][1]
        return addresses

    def _resolve_with(self, host: str, server: str, port: int) -> list[tuple[int, str]]:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [server]
        resolver.port = port
        try:
            answer = resolver.resolve(host, "A", lifetime=self.remaining(), search=False)
            family = socket.AF_INET
        except dns.resolver.NoAnswer:
            answer = resolver.resolve(host, "AAAA", lifetime=self.remaining(), search=False)
            family = socket.AF_INET6
        return [(family, rdata.address) for rdata in answer]

    def _resolve_system(self, host: str) -> list[tuple[int, str]]:
        infos = _getaddrinfo(host, self.remaining())
        seen: dict[str, int] = {}
        for family, _, _, _, sockaddr in infos:
            seen.setdefault(sockaddr[0], family)
        return [(family, ip) for ip, family in seen.items()]

    def _connect(self, addresses: list[tuple[int, str]], port: int | None) -> None:
        self.phase = "connect"
        begin = time.monotonic()
        error: OSError | None = None
        for family, ip in addresses:
            self.run.address = ip
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(self.remaining())
                sock.connect((ip, port))
            except OSError as exc:
                sock.close()
                error = exc
                continue
            self.sock = sock
            self.run.connect_ms = _ms(time.monotonic() - begin)
            return
        assert error is not None
        raise error

    def _handshake(self, context: ssl.SSLContext | None, target: Target) -> None:
        self.phase = "tls"
        begin = time.monotonic()
        self.sock.settimeout(self.remaining())
        try:
            self.sock = context.wrap_socket(self.sock, server_hostname=target.host)
        except ssl.SSLCertVerificationError:
            self._describe_unverified(target)
            raise
        self.run.tls_ms = _ms(time.monotonic() - begin)
        self.run.tls_version = self.sock.version()
        self._describe_cert(self.sock.getpeercert(binary_form=True))

    def _describe_unverified(self, target: Target) -> None:
        # The failed handshake gives no certificate back, yet "expired 3 days ago" is what the
        # operator needs: fetch it again without verification, best effort within the deadline.
        try:
            raw = socket.create_connection((self.run.address, target.port), self.remaining())
            with _insecure_context().wrap_socket(raw, server_hostname=target.host) as tls:
                self._describe_cert(tls.getpeercert(binary_form=True))
        except (OSError, ValueError):
            pass

    def _describe_cert(self, der: bytes | None) -> None:
        if not der:
            return
        cert = x509.load_der_x509_certificate(der)
        self.run.cert_subject = cert.subject.rfc4514_string()
        left = cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC)
        self.run.cert_days_left = math.floor(left.total_seconds() / 86400)

    def _request(self, target: Target) -> None:
        self.phase = "http"
        self.sock.settimeout(self.remaining())
        self.sock.sendall(self._request_bytes(target))
        sent = time.monotonic()

        def first_byte() -> None:
            self.run.first_byte_ms = _ms(time.monotonic() - sent)

        response = http.client.HTTPResponse(
            _SocketShim(self.sock, self.remaining, first_byte), method=self.spec.method
        )
        response.begin()
        self.run.http_status = response.status
        self._check_status(response.status)
        message = f"HTTP {response.status} {response.reason}".strip()
        if self.spec.expect_keyword:
            self.phase = "body"
            self._check_keyword(response)
            message += f", keyword {self.spec.expect_keyword!r} found"
        self.run.message = message

    def _request_bytes(self, target: Target) -> bytes:
        host = f"[{target.host}]" if ":" in target.host else target.host
        if target.port != DEFAULT_PORTS[target.scheme]:
            host = f"{host}:{target.port}"
        path = quote(target.path, safe="/:@!$&'()*+,;=%?~-._")
        lines = [
            f"{self.spec.method} {path} HTTP/1.1",
            f"Host: {host}",
            f"User-Agent: {USER_AGENT}",
            "Accept: */*",
            "Connection: close",
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")

    def _check_status(self, status: int) -> None:
        expected = self.spec.expect_status
        if expected is not None and status != expected:
            raise ProbeFailure("http_status", f"HTTP status {status}, expected {expected}")
        if expected is None and status >= 400:
            raise ProbeFailure("http_status", f"HTTP status {status}, expected below 400")

    def _check_keyword(self, response: http.client.HTTPResponse) -> None:
        body = b""
        while len(body) < BODY_LIMIT:
            chunk = response.read(BODY_LIMIT - len(body))
            if not chunk:
                break
            body += chunk
        keyword = self.spec.expect_keyword
        charset = response.headers.get_content_charset()
        for encoding in dict.fromkeys((charset, *_KEYWORD_ENCODINGS)):
            try:
                if encoding and keyword.encode(encoding) in body:
                    return
            except (LookupError, UnicodeEncodeError):
                continue
        raise ProbeFailure(
            "keyword", f"keyword {keyword!r} not in the first {len(body)} bytes of the body"
        )


class _SocketReader(io.RawIOBase):
    """Raw reader that re-arms the socket timeout from the deadline and notes the first byte."""

    def __init__(
        self, sock: socket.socket, remaining: Callable[[], float], first_byte: Callable[[], None]
    ) -> None:
        self._sock = sock
        self._remaining = remaining
        self._first_byte: Callable[[], None] | None = first_byte

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self._sock.settimeout(self._remaining())
        count = self._sock.recv_into(buffer)
        if count and self._first_byte is not None:
            self._first_byte()
            self._first_byte = None
        return count


class _SocketShim:
    """What http.client.HTTPResponse needs of a socket: makefile() only."""

    def __init__(self, sock, remaining, first_byte) -> None:
        self._reader = _SocketReader(sock, remaining, first_byte)

    def makefile(self, *args, **kwargs) -> io.BufferedReader:
        return io.BufferedReader(self._reader)


def _classify(exc: Exception, phase: str | None, timeout: float) -> tuple[str, str]:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, ProbeFailure):
        return exc.error_class, text
    if phase == "dns":
        return "dns", f"name resolution failed: {_dns_text(exc)}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = f"certificate verify failed: {exc.verify_message} (code {exc.verify_code})"
        if exc.verify_code in _VERIFY_EXPIRED:
            return "cert_expired", detail
        if exc.verify_code in _VERIFY_HOSTNAME:
            return "cert_hostname", detail
        if exc.verify_code in _VERIFY_UNTRUSTED:
            return "cert_untrusted", detail
        return "tls_handshake", detail
    if isinstance(exc, TimeoutError):
        return "timeout", f"no answer within {timeout:g} s ({phase})"
    if isinstance(exc, ConnectionRefusedError):
        return "refused", "connection refused (nothing listens there, or a firewall rejects)"
    if phase == "tls" and isinstance(exc, ssl.SSLError | ConnectionError):
        return "tls_handshake", f"TLS handshake failed: {text}"
    return "other", f"{type(exc).__name__}: {text}"


def _dns_text(exc: Exception) -> str:
    if isinstance(exc, socket.gaierror):
        return exc.strerror or str(exc)
    if isinstance(exc, dns.exception.Timeout | TimeoutError):
        return "the DNS server did not answer in time"
    return str(exc) or type(exc).__name__


def _getaddrinfo(host: str, timeout: float) -> list:
    # getaddrinfo() takes no timeout; a daemon thread lets the probe give up on a hung lookup.
    outcome: dict[str, object] = {}
    done = threading.Event()

    def lookup() -> None:
        try:
            outcome["value"] = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError as exc:
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=lookup, name="probe-getaddrinfo", daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError("the system resolver did not answer in time")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@functools.cache
def _insecure_context() -> ssl.SSLContext:
    # Only used to read the certificate of a server that already failed verification.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _parse_url(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError(f"unsupported scheme {parts.scheme!r}, expected http or https")
    if not parts.hostname:
        raise ValueError(f"no host in {url!r}")
    port = parts.port or DEFAULT_PORTS[parts.scheme]  # .port raises ValueError when bad
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=parts.scheme, host=_idna(parts.hostname), port=port, path=path)


def _split_hostport(text: str, *, port_required: bool) -> tuple[str, int | None]:
    text = text.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else rest
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not host or any(c.isspace() or c in "/?#@" for c in host):
        raise ValueError(f"not a host or host:port: {text!r}")
    if not port_text:
        if port_required:
            raise ValueError(f"no port in {text!r}, expected host:port")
        return host, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"bad port in {text!r}")
    return host, int(port_text)


def _idna(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError(f"bad host name {host!r}") from None


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)
