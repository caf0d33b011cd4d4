"""What an error class means and what usually fixes it, for the pages and the mails."""

import dataclasses

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclasses.dataclass(frozen=True)
class Explanation:
    title: Promise
    cause: Promise
    remedy: Promise


_GENERIC = Explanation(
    _("Unexpected error"),
    _("The check failed for a reason outside the known error classes."),
    _("Read the technical message and run the check again; tell the PMH operators if it stays."),
)

EXPLANATIONS: dict[str, Explanation] = {
    "dns": Explanation(
        _("Name resolution (DNS) failed"),
        _("The host name could not be resolved to an address."),
        _(
            "Check the DNS setting: LGWAN hosts resolve only through the LGWAN DNS server, so "
            "set it as the target's DNS server, and check the spelling of the host name."
        ),
    ),
    "refused": Explanation(
        _("Connection refused"),
        _("The address answered, but nothing accepts connections on that port."),
        _(
            "Check that the service is running and listens on this port, and that no firewall "
            "rejects the connection."
        ),
    ),
    "timeout": Explanation(
        _("No answer in time"),
        _("Packets got no reply: they are dropped on the way or the server is overloaded."),
        _(
            "Check the firewall rules and the route (LGWAN or VPN settings, static routes) "
            "between the municipality and PMH; both sides must allow this address and port."
        ),
    ),
    "tls_handshake": Explanation(
        _("TLS handshake failed"),
        _("Client and server could not agree on a secure connection."),
        _(
            "Check the server's TLS versions (1.2 or later) and cipher settings, and that a "
            "proxy in between does not intercept TLS."
        ),
    ),
    "cert_expired": Explanation(
        _("Certificate expired"),
        _("The server certificate is past its expiry date."),
        _("Renew the server certificate and install it together with its intermediate CA."),
    ),
    "cert_hostname": Explanation(
        _("Certificate does not match the host name"),
        _("The server certificate was issued for a different host name."),
        _(
            "Use the host name the certificate names in the target's URL, or have the "
            "certificate reissued with this host name."
        ),
    ),
    "cert_untrusted": Explanation(
        _("Certificate not trusted"),
        _("The server certificate does not chain up to a trusted CA."),
        _(
            "Most often the intermediate CA certificate is missing on the server: install the "
            "full chain. For government PKI (LGWAN) certificates, add the CA certificates "
            "to the target."
        ),
    ),
    "keyword": Explanation(
        _("Expected keyword missing"),
        _("The page answered, but its content is not the expected one."),
        _(
            "Check that the URL points at the right page and not at an error or maintenance "
            "page of a proxy."
        ),
    ),
    "other": _GENERIC,
}

_HTTP_STATUS: dict[int, Explanation] = {
    403: Explanation(
        _("Access denied (HTTP 403)"),
        _("The server refused this request."),
        _(
            "The source address is probably not allowed: register the console's address "
            "(or the municipality's) in the server's or load balancer's allow list."
        ),
    ),
    404: Explanation(
        _("Not found (HTTP 404)"),
        _("The server has no page at this path."),
        _("Check the path in the target's URL."),
    ),
    401: Explanation(
        _("Authentication required (HTTP 401)"),
        _("The server asks for credentials."),
        _("Use a URL that answers without sign-in, such as a health check path."),
    ),
}
_HTTP_5XX = Explanation(
    _("Server error (HTTP 5xx)"),
    _("The server or a load balancer in front of it reported an error."),
    _("Check the server's and the load balancer's logs and whether the service is running."),
)
_HTTP_OTHER = Explanation(
    _("Unexpected HTTP status"),
    _("The server answered with a status other than the expected one."),
    _("Check the expected status of the target and the server's redirects."),
)


def explain(error_class: str, http_status: int | None = None) -> Explanation | None:
    if not error_class:
        return None
    if error_class == "http_status":
        if http_status in _HTTP_STATUS:
            return _HTTP_STATUS[http_status]
        if http_status is not None and http_status >= 500:
            return _HTTP_5XX
        return _HTTP_OTHER
    return EXPLANATIONS.get(error_class, _GENERIC)


ERROR_LABELS = {
    "dns": _("DNS"),
    "refused": _("Refused"),
    "timeout": _("Timeout"),
    "tls_handshake": _("TLS handshake"),
    "cert_expired": _("Certificate expired"),
    "cert_hostname": _("Certificate host name"),
    "cert_untrusted": _("Certificate untrusted"),
    "http_status": _("HTTP status"),
    "keyword": _("Keyword"),
    "other": _("Other"),
}
PHASE_LABELS = {
    "dns": _("Name resolution"),
    "connect": _("TCP connect"),
    "tls": _("TLS handshake"),
    "http": _("HTTP response"),
    "body": _("Response body"),
}
