import pytest

from tests.connectivity.servers import (
    LoopbackDNSServer,
    LoopbackHTTPServer,
    Reply,
    SilentTCPServer,
    TestPKI,
    free_port,
    make_pki,
    server_context,
)

DNS_RECORDS = {"ok.test": "127.0.0.1", "localhost.test": "127.0.0.1"}
DNS_SILENT = frozenset({"slow.test"})


@pytest.fixture(scope="session")
def pki() -> TestPKI:
    return make_pki()


@pytest.fixture(scope="session")
def dns_server():
    with LoopbackDNSServer(DNS_RECORDS, silent=DNS_SILENT) as server:
        yield server


@pytest.fixture(scope="session")
def silent_server():
    with SilentTCPServer() as server:
        yield server


@pytest.fixture
def closed_port() -> int:
    return free_port()


@pytest.fixture
def http_server():
    """Factory: `http_server(Reply(...), tls=context)` starts a server stopped after the test."""
    started = []

    def start(reply: Reply | None = None, tls=None) -> LoopbackHTTPServer:
        server = LoopbackHTTPServer(reply, tls=tls).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def tls_servers(pki):
    """One HTTPS server per certificate case, keyed like the TestPKI fields."""
    servers = {
        name: LoopbackHTTPServer(tls=server_context(getattr(pki, name))).start()
        for name in ("valid", "expired", "wrong_host", "untrusted")
    }
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(autouse=True)
def _no_retry_delay(settings):
    settings.PMH_PROBE_RETRY_DELAY = 0
    settings.PMH_PROBE_CONCURRENCY = 8


@pytest.fixture
def make_target(cast):
    """make_target(url, **fields) → a stored target of integration A (route lgwan, http)."""
    from connectivity import services

    def make(url: str, **fields):
        values = {
            "integration": cast.integration_a,
            "name": fields.pop("name", f"target {url}"),
            "url": url,
            "kind": "http",
            "route": "lgwan",
            "timeout_seconds": 2.0,
            "retries": 0,
        }
        values.update(fields)
        return services.target_create(**values)

    return make
