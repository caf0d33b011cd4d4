"""Who sent a request: source address and TLS version (the audit record, the inbound check).

Forwarding headers are believed only when the direct peer is in `PMH_TRUSTED_PROXIES`
(addresses or CIDR ranges); anything the console cannot know is recorded as "unknown".
"""

import dataclasses
import ipaddress
import ssl

from django.conf import settings
from django.http import HttpRequest

UNKNOWN = "unknown"
NO_TLS = "none"
# nginx: proxy_set_header X-Forwarded-TLS-Version $ssl_protocol; other proxies name it so.
TLS_HEADERS = ("HTTP_X_FORWARDED_TLS_VERSION", "HTTP_X_SSL_PROTOCOL", "HTTP_X_TLS_VERSION")


@dataclasses.dataclass(frozen=True)
class Caller:
    source_address: str | None
    peer_address: str | None
    tls_version: str
    via_proxy: bool
    # Whether the request came over TLS (to the console or to its trusted proxy); None when
    # the proxy did not say.
    tls_used: bool | None = None


def _networks(entries) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            continue
    return networks


def _in(address: str | None, networks) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip.version == n.version and ip in n for n in networks)


def _clean(address: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((address or "").strip()))
    except ValueError:
        return None


def caller_of(request: HttpRequest) -> Caller:
    peer = _clean(request.META.get("REMOTE_ADDR"))
    proxies = _networks(settings.PMH_TRUSTED_PROXIES)
    if peer is None or not _in(peer, proxies):
        tls = _direct_tls(request)
        return Caller(peer, peer, tls, via_proxy=False, tls_used=tls != NO_TLS)
    # Walk X-Forwarded-For from the right: the first address not of our own proxies is the
    # caller; everything left of it was written by the client and proves nothing.
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    source = None
    for hop in reversed(hops):
        if not _in(hop, proxies):
            source = _clean(hop)
            break
    tls = _proxied_tls(request)
    proto = request.META.get("HTTP_X_FORWARDED_PROTO", "").strip().lower()
    used = False if tls == NO_TLS else True if tls != UNKNOWN or proto == "https" else None
    return Caller(source, peer, tls, via_proxy=True, tls_used=used)


def _direct_tls(request: HttpRequest) -> str:
    sock = request.META.get("gunicorn.socket")
    if isinstance(sock, ssl.SSLSocket):
        return sock.version() or UNKNOWN
    if request.META.get("SSL_PROTOCOL"):  # Apache mod_ssl / mod_wsgi
        return request.META["SSL_PROTOCOL"][:16]
    if request.META.get("wsgi.url_scheme") == "https":
        return UNKNOWN
    return NO_TLS


def _proxied_tls(request: HttpRequest) -> str:
    for header in TLS_HEADERS:
        value = request.META.get(header, "").strip()
        if value:
            return value[:16]
    proto = request.META.get("HTTP_X_FORWARDED_PROTO", "").strip().lower()
    if proto == "http":
        return NO_TLS
    return UNKNOWN
