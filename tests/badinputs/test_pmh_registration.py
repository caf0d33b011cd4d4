"""Every item of the bad-input catalogue sent as the body of the PMH-compatible registration API
(issue #20): never a 500; either 202 with a recorded submission, its bytes and a report, or a
JSON error with a Japanese message and nothing stored at all.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from uploads import services
from uploads.models import Status, Submission

from .catalogue import ITEMS
from .channels import api_token

pytestmark = pytest.mark.django_db
FULL = "/api/v1/pmh/registration-tasks"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
ISSUE_CODE = re.compile(r"^[FRVK]_[A-Z_]+$")
TWELVE_DIGITS = re.compile(rb"(?<!\d)\d{12}(?!\d)")
# Items whose meaning is another channel's transport (a multipart form, a mail, a folder).
BODIES = [item for item in ITEMS if not item.driver]


@pytest.mark.parametrize("item", BODIES, ids=[item.id for item in BODIES])
def test_bad_input_as_a_registration_body(item, env, settings):
    for name, value in item.settings.items():
        setattr(settings, name, value)
    data = item.data()
    auth = {"Authorization": f"Bearer {api_token(env)}"}
    with env.jobs():
        response = env.client.generic(
            "POST",
            FULL,
            data,
            content_type="application/json",
            headers=auth,
            CONTENT_TYPE="application/json",
        )
    assert response.status_code < 500, response.content
    text = response.content.decode("utf-8")
    body = json.loads(text)
    if response.status_code == 202:
        text += _recorded(env, body, data, auth, item)
    else:
        assert set(body["error"]) == {"code", "message"} and JAPANESE.search(
            body["error"]["message"]
        )
        assert not Submission.objects.exists()
        incoming = Path(settings.PMH_STORAGE_ROOT) / "incoming"
        assert not incoming.exists() or not list(incoming.iterdir())
    for number in set(TWELVE_DIGITS.findall(data)):
        assert number.decode() not in text


def _recorded(env, body, data, auth, item) -> str:
    submission = Submission.objects.get(pk=int(body["taskId"]))
    first = submission.duplicate_of or submission
    assert first.status in (Status.RETURNED, Status.REVIEW) and first.verdict
    assert submission.sha256 == hashlib.sha256(data).hexdigest()
    assert services.stored_path(first).read_bytes() == data
    state = env.client.get(body["statusUrl"], headers=auth)
    report = state.json()["report"]
    assert report is not None and report["format"] == "json"
    assert all(JAPANESE.search(issue["message"]) for issue in report["issues"])
    wanted = {code for code in item.expected("api") if ISSUE_CODE.match(code)}
    assert wanted <= set(report["counts"]), (wanted, report["counts"])
    return state.content.decode("utf-8")
