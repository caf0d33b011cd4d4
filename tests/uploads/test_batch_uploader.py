"""The batch uploader run as a subprocess against a live server of the console (issue #9)."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from onboarding.tokens import api_token_issue
from uploads.models import Submission

ROOT = Path(__file__).resolve().parents[2]
UPLOADER = ROOT / "uploads" / "client" / "pmh_uploader.py"
FIXTURES = ROOT / "tests" / "fixtures" / "uploads"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def token(cast):
    return api_token_issue(vendor=cast.vendor_a, name="batch")[1]


def _config(tmp_path, url, token, **extra):
    watch = tmp_path / "out"
    watch.mkdir(exist_ok=True)
    values = {
        "url": url,
        "token": token,
        "watch_dir": str(watch),
        "integration": "131016",
        "stable_seconds": "5",
        "retries": "3",
        "backoff_seconds": "0",
        "max_retry_wait": "0",
        "result_timeout": "20",
        "log_file": str(tmp_path / "uploader.log"),
        **extra,
    }
    path = tmp_path / "pmh_uploader.ini"
    path.write_text(
        "[pmh]\n" + "".join(f"{k} = {v}\n" for k, v in values.items()), encoding="utf-8"
    )
    return path, watch


def _drop(watch: Path, name: str, data: bytes, age: float = 60) -> Path:
    path = watch / name
    path.write_bytes(data)
    old = time.time() - age
    os.utime(path, (old, old))
    return path


def _python38() -> str | None:
    found = sorted(Path.home().glob(".pyenv/versions/3.8*/bin/python"))
    return str(found[-1]) if found else shutil.which("python3.8")


def _run(config: Path, python: str = sys.executable) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python, str(UPLOADER), "--config", str(config), "--once"],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_round_trip_moves_the_file_and_writes_the_report(live_server, tmp_path, token):
    config, watch = _config(tmp_path, live_server.url, token)
    _drop(watch, "daily.csv", (FIXTURES / "valid.cp932.csv").read_bytes())
    result = _run(config)
    assert result.returncode == 0, result.stderr
    assert not (watch / "daily.csv").exists()
    report = json.loads((watch / "sent" / "daily.csv.result.json").read_text(encoding="utf-8"))
    assert report["accepted"] is True and report["encoding"] == "cp932"
    submission = Submission.objects.get()
    assert (submission.channel, submission.original_name) == ("api", "daily.csv")
    assert "送信" in (tmp_path / "uploader.log").read_text(encoding="utf-8") or "sent" in (
        tmp_path / "uploader.log"
    ).read_text(encoding="utf-8")


def test_a_file_still_being_written_waits(live_server, tmp_path, token):
    config, watch = _config(tmp_path, live_server.url, token)
    _drop(watch, "fresh.csv", (FIXTURES / "valid.utf8.csv").read_bytes(), age=0)
    _drop(watch, "upload.part", b"partial", age=600)
    _drop(watch, ".hidden.csv", b"x", age=600)
    result = _run(config)
    assert result.returncode == 0
    assert (watch / "fresh.csv").exists() and (watch / "upload.part").exists()
    assert Submission.objects.count() == 0


def test_rejected_file_is_sent_with_its_report(live_server, tmp_path, token):
    config, watch = _config(tmp_path, live_server.url, token)
    _drop(watch, "bad.csv", (FIXTURES / "V_CHECK_DIGIT.csv").read_bytes())
    assert _run(config).returncode == 0
    report = json.loads((watch / "sent" / "bad.csv.result.json").read_text(encoding="utf-8"))
    assert report["accepted"] is False and report["counts"] == {"V_CHECK_DIGIT": 1}


def test_same_content_is_never_sent_twice(live_server, tmp_path, token):
    config, watch = _config(tmp_path, live_server.url, token)
    data = (FIXTURES / "valid.utf8.csv").read_bytes()
    _drop(watch, "a.csv", data)
    assert _run(config).returncode == 0
    _drop(watch, "b.csv", data)
    assert _run(config).returncode == 0
    assert Submission.objects.count() == 1
    note = json.loads((watch / "sent" / "b.csv.result.json").read_text(encoding="utf-8"))
    assert note["duplicate"] is True and note["id"] == Submission.objects.get().pk


def test_retries_after_503_then_succeeds(live_server, tmp_path, token, monkeypatch):
    from intake.api import views as api
    from uploads import lifecycle

    real = lifecycle.submission_receive
    calls = {"n": 0}

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk busy")
        return real(**kwargs)

    monkeypatch.setattr(api.lifecycle, "submission_receive", flaky)
    config, watch = _config(tmp_path, live_server.url, token)
    _drop(watch, "daily.csv", (FIXTURES / "valid.utf8.csv").read_bytes())
    result = _run(config)
    assert result.returncode == 0, result.stderr
    assert calls["n"] == 2
    assert Submission.objects.count() == 1
    assert "503" in (tmp_path / "uploader.log").read_text(encoding="utf-8")


def test_network_failure_moves_to_failed_and_exits_1(tmp_path, token):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config, watch = _config(tmp_path, f"http://127.0.0.1:{port}", token, retries="2")
    _drop(watch, "daily.csv", b"x")
    result = _run(config)
    assert result.returncode == 1
    failed = json.loads((watch / "failed" / "daily.csv.result.json").read_text(encoding="utf-8"))
    assert "network error" in failed["error"]


def test_wrong_token_is_refused_and_configuration_errors_exit_2(live_server, tmp_path):
    config, watch = _config(tmp_path, live_server.url, "pmh_not-a-token")
    _drop(watch, "daily.csv", b"x")
    assert _run(config).returncode == 1
    assert (watch / "failed" / "daily.csv").exists()
    bad = tmp_path / "bad.ini"
    bad.write_text("[pmh]\nurl = ftp://x\n", encoding="utf-8")
    result = _run(bad)
    assert result.returncode == 2 and "url" in result.stderr


def test_runs_on_python_38_as_on_a_municipal_server(live_server, tmp_path, token):
    python = _python38()
    if python is None:
        if os.environ.get("CI"):
            pytest.fail("CI machines have Python 3.8 (pyenv); the uploader must be checked on it")
        pytest.skip("no Python 3.8 on this machine")
    config, watch = _config(tmp_path, live_server.url, token)
    _drop(watch, "daily.csv", (FIXTURES / "valid.utf8.csv").read_bytes())
    result = _run(config, python)
    assert result.returncode == 0, result.stderr
    assert json.loads((watch / "sent" / "daily.csv.result.json").read_text())["accepted"] is True
