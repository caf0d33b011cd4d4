import pytest
from django.core.management import CommandError, call_command

from connectivity.models import ProbeResult, ProbeSweep


def test_probe_due_stores_the_runs(make_target, http_server, closed_port, capsys):
    good = make_target(http_server().url)
    bad = make_target(f"127.0.0.1:{closed_port}", kind="tcp")
    call_command("probe", "--due")
    assert ProbeResult.objects.get(probe=good).ok
    assert ProbeResult.objects.get(probe=bad).error_class == "refused"
    assert ProbeSweep.objects.get().targets == 2
    assert "2 件" in capsys.readouterr().out
    call_command("probe", "--due")  # nothing is due any more
    assert ProbeResult.objects.count() == 2


def test_probe_target_runs_one_target_now(make_target, http_server, capsys):
    probe = make_target(http_server().url)
    call_command("probe", "--target", str(probe.pk))
    assert ProbeResult.objects.get(probe=probe).ok
    assert "合格" in capsys.readouterr().out


def test_probe_target_failure_exits_1(make_target, closed_port):
    probe = make_target(f"127.0.0.1:{closed_port}", kind="tcp")
    with pytest.raises(SystemExit) as exc:
        call_command("probe", "--target", str(probe.pk))
    assert exc.value.code == 1


def test_unknown_target_is_a_usage_error(db):
    with pytest.raises(CommandError) as exc:
        call_command("probe", "--target", "999")
    assert exc.value.returncode == 2


def test_periodic_entries_are_registered():
    from console.schedule import periodic_jobs

    names = {p.name: p for p in periodic_jobs()}
    assert names["probe_due"].queue == "probes"
    assert names["probe_due"].func == "connectivity.jobs.probe_due_sweep"
    assert names["probe_retention"].func == "connectivity.jobs.results_maintain"
