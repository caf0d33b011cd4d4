"""Faults around intake (issue #11): the database, not Redis, is the record of what waits."""

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from helpdesk.models import ErrorItem
from onboarding.tokens import api_token_issue
from uploads import lifecycle, services
from uploads.lib import validation
from uploads.models import Status, Submission

pytestmark = pytest.mark.django_db(transaction=True)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "uploads"


def _api_upload(client, token, data: bytes, name: str):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(
        "/api/v1/submissions",
        {"integration": "131016", "file": upload},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_redis_down_when_a_file_arrives_keeps_it_and_processes_it_when_back(client, cast, settings):
    settings.PMH_JOBS_MODE = "rq"
    settings.RQ_QUEUES = {
        name: {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 5} for name in settings.RQ_QUEUES
    }
    _, token = api_token_issue(vendor=cast.vendor_a, name="t")
    response = _api_upload(client, token, (FIXTURES / "valid.cp932.csv").read_bytes(), "a.csv")
    assert response.status_code == 202
    submission = Submission.objects.get()
    assert submission.status == Status.QUEUED and services.stored_path(submission).exists()

    settings.PMH_JOBS_MODE = "sync"  # Redis is back (the jobs run here, as a worker would)
    done = lifecycle.submissions_reconcile(now=timezone.now() + timedelta(minutes=10))
    assert done.queued == [submission.pk]
    submission.refresh_from_db()
    assert (submission.status, submission.verdict, submission.rows) == ("returned", "accepted", 2)


def test_a_poison_file_fails_alone_and_the_others_keep_flowing(client, cast, monkeypatch, caplog):
    real = validation.validate_file

    def poisoned(source, **kwargs):
        with open(source, "rb") as fh:
            if b"POISON" in fh.read():
                raise MemoryError("the engine blew up")
        return real(source, **kwargs)

    monkeypatch.setattr("uploads.processing.validate_file", poisoned)
    _, token = api_token_issue(vendor=cast.vendor_a, name="t")
    good = (FIXTURES / "valid.utf8.csv").read_bytes()
    assert _api_upload(client, token, good + b"\n#POISON\n", "poison.csv").status_code == 202
    assert _api_upload(client, token, good, "good.csv").status_code == 202
    poison = Submission.objects.get(original_name="poison.csv")
    fine = Submission.objects.get(original_name="good.csv")
    assert poison.status == Status.FAILED
    assert poison.failure_reason == (  # Japanese for people; the exception is in the log
        f"内部エラーで検証が止まりました。詳しくはサーバーのログにあります"
        f"（提出 #{poison.pk}、1 回目の検証）。"
    )
    assert f"Submission {poison.pk}: validation crashed (attempt 1)" in caplog.text
    assert "MemoryError: the engine blew up" in caplog.text
    assert fine.status == Status.RETURNED and fine.verdict == "accepted"
    item = ErrorItem.objects.get(kind="failure")
    assert item.last_submission == poison and item.occurrences == 1
