import json
import socket
import threading

import pytest

from connectivity.lib import probe
from connectivity.lib.probe import ProbeSpec, run_probe, run_probes
from tests.connectivity.servers import Reply

JSON_KEYS = [
    "url",
    "kind",
    "ok",
    "error_class",
    "failed_phase",
    "dns_ms",
    "connect_ms",
    "tls_ms",
    "first_byte_ms",
    "total_ms",
    "address",
    "tls_version",
    "cert_subject",
    "cert_days_left",
    "http_status",
    "message",
]
SHORT = 0.3  # seconds; only the timeout cases wait this long


def assert_failed(run, error_class, phase):
    assert (run.ok, run.error_class, run.failed_phase) == (False, error_class, phase), run.message
    assert run.message
    assert run.total_ms >= 0


def test_closed_port_is_refused(closed_port):
    run = run_probe(ProbeSpec(f"127.0.0.1:{closed_port}", kind="tcp", timeout=2))
    assert_failed(run, "refused", "connect")
    assert run.address == "127.0.0.1"
    assert run.connect_ms is None


def test_tcp_connect_passes(silent_server):
    run = run_probe(ProbeSpec(silent_server.address, kind="tcp", timeout=2))
    assert run.ok, run.message
    assert run.error_class is None and run.failed_phase is None
    assert run.connect_ms >= 0 and run.dns_ms is None


def test_server_that_never_answers_times_out_waiting_for_first_byte(silent_server):
    run = run_probe(ProbeSpec(f"http://{silent_server.address}/", timeout=SHORT))
    assert_failed(run, "timeout", "http")
    assert run.connect_ms >= 0 and run.first_byte_ms is None
    assert SHORT * 1000 <= run.total_ms


def test_server_that_never_answers_times_out_in_tls_handshake(silent_server):
    run = run_probe(ProbeSpec(silent_server.address, kind="tls", timeout=SHORT))
    assert_failed(run, "timeout", "tls")


def test_http_200_passes_with_status_and_timings(http_server):
    server = http_server(Reply(200))
    run = run_probe(ProbeSpec(server.url, timeout=2, expect_status=200, expect_keyword="PMH OK"))
    assert run.ok, run.message
    assert run.http_status == 200 and run.address == "127.0.0.1"
    assert run.connect_ms >= 0 and run.first_byte_ms >= 0 and run.total_ms >= run.connect_ms
    assert run.tls_ms is None and run.tls_version is None
    assert server.requests == ["GET / HTTP/1.1"]


def test_https_via_loopback_resolver_records_every_timing_and_certificate(
    tls_servers, pki, dns_server
):
    url = f"https://ok.test:{tls_servers['valid'].port}/"
    run = run_probe(ProbeSpec(url, timeout=2, ca_pem=pki.ca_pem, resolver=dns_server.address))
    assert run.ok, run.message
    timings = [run.dns_ms, run.connect_ms, run.tls_ms, run.first_byte_ms, run.total_ms]
    assert all(t is not None and t >= 0 for t in timings), timings
    assert run.tls_version.startswith("TLSv1.")
    assert "CN=localhost" in run.cert_subject
    assert run.cert_days_left > 300  # trustme certificates run until the year 3000
    assert (run.address, run.http_status) == ("127.0.0.1", 200)


def test_http_500_fails_on_status(http_server):
    run = run_probe(ProbeSpec(http_server(Reply(500)).url, timeout=2))
    assert_failed(run, "http_status", "http")
    assert run.http_status == 500 and run.first_byte_ms >= 0


def test_unexpected_success_status_fails(http_server):
    run = run_probe(ProbeSpec(http_server(Reply(200)).url, timeout=2, expect_status=204))
    assert_failed(run, "http_status", "http")


def test_missing_keyword_fails_in_body(http_server):
    run = run_probe(ProbeSpec(http_server().url, timeout=2, expect_keyword="稼働中"))
    assert_failed(run, "keyword", "body")
    assert run.http_status == 200


def test_keyword_found_in_chunked_body_beyond_first_chunk(http_server):
    body = b"x" * 5000 + b"MARKER" + b"y" * 100
    run = run_probe(
        ProbeSpec(http_server(Reply(body=body, chunked=True)).url, expect_keyword="MARKER")
    )
    assert run.ok, run.message


def test_japanese_keyword_found_in_shift_jis_page_without_charset(http_server):
    reply = Reply(body="<p>資格確認システム 稼働中</p>".encode("cp932"), content_type="text/html")
    run = run_probe(ProbeSpec(http_server(reply).url, timeout=2, expect_keyword="稼働中"))
    assert run.ok, run.message


@pytest.mark.parametrize("case", ["expired", "wrong_host", "untrusted"])
def test_bad_certificates_are_classified(tls_servers, pki, case):
    expected = {
        "expired": "cert_expired",
        "wrong_host": "cert_hostname",
        "untrusted": "cert_untrusted",
    }[case]
    run = run_probe(ProbeSpec(tls_servers[case].url, timeout=2, ca_pem=pki.ca_pem))
    assert_failed(run, expected, "tls")
    assert run.cert_subject is not None and run.tls_ms is None


def test_expired_certificate_reports_negative_days_left(tls_servers, pki):
    run = run_probe(ProbeSpec(tls_servers["expired"].url, timeout=2, ca_pem=pki.ca_pem))
    assert run.cert_days_left < 0
    assert "CN=expired.localhost" in run.cert_subject


def test_host_name_mismatch_through_resolved_name(tls_servers, pki, dns_server):
    url = f"https://ok.test:{tls_servers['wrong_host'].port}/"
    run = run_probe(ProbeSpec(url, timeout=2, ca_pem=pki.ca_pem, resolver=dns_server.address))
    assert_failed(run, "cert_hostname", "tls")


def test_private_ca_is_untrusted_until_given_as_ca_pem(tls_servers, pki):
    server = tls_servers["valid"]
    without = run_probe(ProbeSpec(server.address, kind="tls", timeout=2))
    assert_failed(without, "cert_untrusted", "tls")
    with_ca = run_probe(ProbeSpec(server.address, kind="tls", timeout=2, ca_pem=pki.ca_pem))
    assert with_ca.ok, with_ca.message
    assert with_ca.tls_ms >= 0 and with_ca.http_status is None


def test_tls_against_plain_http_is_a_handshake_failure(http_server):
    server = http_server()
    run = run_probe(ProbeSpec(server.address, kind="tls", timeout=2))
    assert_failed(run, "tls_handshake", "tls")


def test_invalid_name_asked_of_loopback_resolver_fails_dns(dns_server):
    spec = ProbeSpec("https://pmh-test.invalid/", timeout=2, resolver=dns_server.address)
    run = run_probe(spec)
    assert_failed(run, "dns", "dns")
    assert run.connect_ms is None and run.address is None


def test_dns_kind_passes_through_loopback_resolver(dns_server):
    run = run_probe(ProbeSpec("ok.test", kind="dns", timeout=2, resolver=dns_server.address))
    assert run.ok, run.message
    assert run.address == "127.0.0.1" and run.dns_ms >= 0
    assert run.connect_ms is None


def test_resolver_that_does_not_answer_fails_dns(dns_server):
    spec = ProbeSpec("slow.test", kind="dns", timeout=SHORT, resolver=dns_server.address)
    assert_failed(run_probe(spec), "dns", "dns")


def test_system_resolver_is_used_without_named_resolver(monkeypatch, http_server):
    server = http_server()

    def fake_getaddrinfo(host, port, *args, **kwargs):
        if host != "portal.lg.test":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    run = run_probe(ProbeSpec(f"http://portal.lg.test:{server.port}/", timeout=2))
    assert run.ok, run.message
    assert run.dns_ms >= 0 and server.requests
    missing = run_probe(ProbeSpec("other.lg.test:443", kind="tcp", timeout=2))
    assert_failed(missing, "dns", "dns")
    assert "not known" in missing.message


def test_hung_system_resolver_is_abandoned_at_the_deadline(monkeypatch):
    release = threading.Event()

    def hung_getaddrinfo(*args, **kwargs):
        release.wait()
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure")

    monkeypatch.setattr(socket, "getaddrinfo", hung_getaddrinfo)
    try:
        run = run_probe(ProbeSpec("hung.lg.test:443", kind="tcp", timeout=SHORT))
    finally:
        release.set()
    assert_failed(run, "dns", "dns")


def test_ip_literal_skips_dns(closed_port):
    run = run_probe(ProbeSpec(f"[::1]:{closed_port}", kind="tcp", timeout=2))
    assert run.dns_ms is None and run.address == "::1"
    assert run.failed_phase == "connect"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("ftp://example.test/", "http"),
        ("example.test:443", "http"),
        ("http://example.test/", "tls"),
        ("example.test", "tcp"),
        ("example.test:99999", "tcp"),
        ("http://", "http"),
        ("example.test:443", "icmp"),
    ],
)
def test_unusable_input_is_reported_not_raised(url, kind):
    with pytest.raises(ValueError):
        probe.parse_target(url, kind)
    run = run_probe(ProbeSpec(url, kind=kind, timeout=1))
    assert_failed(run, "other", None)


def test_bad_ca_pem_fails_before_any_io(silent_server):
    run = run_probe(ProbeSpec(silent_server.address, kind="tls", ca_pem="not a certificate"))
    assert_failed(run, "other", None)
    assert run.connect_ms is None


def test_parse_resolver():
    assert probe.parse_resolver("10.1.2.3") == ("10.1.2.3", 53)
    assert probe.parse_resolver("[::1]:5353") == ("::1", 5353)
    with pytest.raises(ValueError):
        probe.parse_resolver("dns.lg.test")


def test_default_kind():
    assert probe.default_kind("https://portal.lg.test/") == "http"
    assert probe.default_kind("portal.lg.test:443") == "tcp"


def test_json_has_the_contract_keys_in_order(closed_port):
    run = run_probe(ProbeSpec(f"127.0.0.1:{closed_port}", kind="tcp", timeout=1))
    assert list(json.loads(run.to_json())) == JSON_KEYS
    assert list(run.as_dict()) == JSON_KEYS


def test_run_probes_yields_every_spec_once(http_server, closed_port, silent_server):
    ok_url = http_server().url
    specs = [ProbeSpec(ok_url, timeout=2) for _ in range(20)]
    specs += [ProbeSpec(f"127.0.0.1:{closed_port}", kind="tcp", timeout=2)] * 5
    specs += [ProbeSpec(f"http://{silent_server.address}/", timeout=SHORT)] * 5
    results = list(run_probes(specs, concurrency=10))
    assert len(results) == 30
    classes = sorted(str(run.error_class) for _, run in results)
    assert classes == ["None"] * 20 + ["refused"] * 5 + ["timeout"] * 5
    assert all(run.url == spec.url for spec, run in results)
