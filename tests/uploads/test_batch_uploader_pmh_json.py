"""The batch uploader's --pmh-json: files in PMH's registration shape sent as the request body."""

import json
import subprocess
import sys

import pytest

from onboarding.tokens import api_token_issue
from tests.uploads.test_batch_uploader import FIXTURES, UPLOADER, _config, _drop
from uploads.models import Submission
from uploads.services import stored_path

pytestmark = pytest.mark.django_db(transaction=True)
VALID = (FIXTURES / "valid.json").read_bytes()


@pytest.fixture
def token(cast):
    return api_token_issue(vendor=cast.vendor_a, name="batch")[1]


def _run_pmh_json(config):
    command = [sys.executable, str(UPLOADER), "--config", str(config), "--once", "--pmh-json"]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def _result(folder, name):
    return json.loads((folder / f"{name}.result.json").read_text(encoding="utf-8"))


def test_json_files_go_to_the_registration_api_unchanged(live_server, tmp_path, token):
    config, watch = _config(tmp_path, live_server.url, token)
    records = json.loads(VALID)
    for record in records:
        record["isDeleted"] = False
    diff = json.dumps(records, ensure_ascii=False, indent=1).encode()
    _drop(watch, "a.json", VALID, age=120)
    _drop(watch, "b.diff.json", diff, age=60)
    _drop(watch, "c.csv", (FIXTURES / "valid.utf8.csv").read_bytes(), age=30)

    result = _run_pmh_json(config)
    assert result.returncode == 1, result.stderr  # the CSV is not PMH's shape

    full = _result(watch / "sent", "a.json")
    assert full["accepted"] is True and full["format"] == "json" and full["mode"] == "full"
    assert _result(watch / "sent", "b.diff.json")["mode"] == "diff"
    refused = _result(watch / "failed", "c.csv")
    assert refused["status"] == 400 and "JSON" in refused["response"]["error"]["message"]
    sent = {s.original_name: s for s in Submission.objects.all()}
    assert set(sent) == {
        "postRegistrationTasks.json",
        "postDifferentialHistoryRegistrationTasks.json",
    }
    assert stored_path(sent["postRegistrationTasks.json"]).read_bytes() == VALID
    assert all(s.channel == "api" for s in sent.values())
