import pytest

from .channels import Env


@pytest.fixture
def env(cast, client, settings, django_capture_on_commit_callbacks, tmp_path, mailoutbox):
    settings.PMH_JOBS_MODE = "sync"
    return Env(cast, client, settings, django_capture_on_commit_callbacks, tmp_path)


def pytest_terminal_summary(terminalreporter):
    from .test_bad_inputs import summary

    ran = [r for r in terminalreporter.stats.get("passed", []) if "test_bad_input[" in r.nodeid]
    if ran:
        terminalreporter.write_line(summary())
