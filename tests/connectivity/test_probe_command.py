import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.connectivity.servers import Reply
from tests.connectivity.test_probe_lib import JSON_KEYS


def probe_cli(capsys, *args):
    """Run like `manage.py probe ARGS`; returns (exit status, stdout, stderr)."""
    from connectivity.management.commands.probe import Command

    out, err = io.StringIO(), io.StringIO()
    try:
        Command(stdout=out, stderr=err).run_from_argv(["manage.py", "probe", *args])
        status = 0
    except SystemExit as exc:
        status = exc.code
    # argparse writes its usage errors to sys.stderr, the command to its own stream.
    return status, out.getvalue(), err.getvalue() + capsys.readouterr().err


def test_passing_check_prints_the_contract_json_and_exits_0(capsys, http_server):
    status, out, _ = probe_cli(capsys, "--url", http_server().url, "--json", "--timeout", "2")
    assert status == 0
    run = json.loads(out)
    assert list(run) == JSON_KEYS
    assert (run["kind"], run["ok"], run["error_class"], run["http_status"]) == (
        "http",
        True,
        None,
        200,
    )


def test_failing_check_exits_1_with_the_error_class(capsys, closed_port):
    status, out, _ = probe_cli(capsys, "--url", f"127.0.0.1:{closed_port}", "--json")
    assert status == 1
    run = json.loads(out)
    assert (run["kind"], run["error_class"], run["failed_phase"]) == ("tcp", "refused", "connect")


def test_ca_file_makes_a_private_ca_trusted(capsys, tls_servers, pki, tmp_path):
    url = tls_servers["valid"].url
    status, out, _ = probe_cli(capsys, "--url", url, "--json", "--timeout", "2")
    assert (status, json.loads(out)["error_class"]) == (1, "cert_untrusted")
    ca_file = tmp_path / "lgwan-ca.pem"
    ca_file.write_text(pki.ca_pem)
    status, out, _ = probe_cli(capsys, "--url", url, "--ca-file", str(ca_file), "--json")
    assert status == 0, out
    assert json.loads(out)["tls_version"].startswith("TLSv1.")


def test_resolver_option_asks_the_named_dns_server(capsys, dns_server):
    args = ["--kind", "dns", "--resolver", dns_server.address, "--json", "--timeout", "2"]
    status, out, _ = probe_cli(capsys, "--url", "ok.test", *args)
    assert (status, json.loads(out)["address"]) == (0, "127.0.0.1")
    status, out, _ = probe_cli(capsys, "--url", "pmh-test.invalid", *args)
    assert (status, json.loads(out)["error_class"]) == (1, "dns")


def test_without_json_prints_a_japanese_summary(capsys, http_server, closed_port):
    status, out, _ = probe_cli(capsys, "--url", http_server(Reply(503)).url, "--timeout", "2")
    assert status == 1
    assert "疎通試験に失敗しました" in out and "HTTP ステータス 503" in out
    status, out, _ = probe_cli(capsys, "--url", http_server().url)
    assert status == 0 and "疎通試験に合格しました" in out


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--url", "http://127.0.0.1/", "--due"],
        ["--target", "1", "--due"],
        ["--url", "http://127.0.0.1/", "--kind", "icmp"],
        ["--url", "http://127.0.0.1/", "--timeout", "-1"],
        ["--url", "127.0.0.1:443", "--kind", "http"],
        ["--url", "127.0.0.1"],
        ["--url", "ftp://127.0.0.1/"],
        ["--url", "ok.test", "--kind", "dns", "--resolver", "dns.lg.test"],
        ["--url", "https://127.0.0.1/", "--ca-file", "/nonexistent/ca.pem"],
        ["--target", "x"],
    ],
)
def test_usage_errors_exit_2(capsys, args):
    status, out, err = probe_cli(capsys, *args, "--json")
    assert status == 2, (out, err)
    assert out == "" and "rror" in err


def test_ca_file_without_certificate_is_a_usage_error(capsys, tmp_path):
    ca_file = tmp_path / "empty.pem"
    ca_file.write_text("this is no certificate\n")
    status, _, err = probe_cli(capsys, "--url", "https://127.0.0.1/", "--ca-file", str(ca_file))
    assert status == 2 and "CA" in err


def test_usage_error_from_call_command_has_returncode_2():
    with pytest.raises(CommandError) as excinfo:
        call_command("probe", "--url", "http://127.0.0.1/", "--due")
    assert excinfo.value.returncode == 2
