"""The kernel's own helpers: the caller's address and the worker's horse-killed registry."""

from types import SimpleNamespace

import pytest
from django.test import RequestFactory

from console import workers
from console.requests import caller_of


def test_forwarded_address_is_believed_only_from_a_trusted_proxy(settings):
    factory = RequestFactory()
    forwarded = {"REMOTE_ADDR": "10.0.0.5", "HTTP_X_FORWARDED_FOR": "198.51.100.7, 10.0.0.5"}
    settings.PMH_TRUSTED_PROXIES = []
    assert caller_of(factory.get("/", **forwarded)).source_address == "10.0.0.5"
    settings.PMH_TRUSTED_PROXIES = ["10.0.0.0/8"]
    caller = caller_of(factory.get("/", **forwarded))
    assert (caller.source_address, caller.peer_address, caller.via_proxy) == (
        "198.51.100.7",
        "10.0.0.5",
        True,
    )


def test_a_killed_horse_is_handed_to_the_handler_of_its_job(monkeypatch):
    seen = []
    monkeypatch.setitem(workers._HORSE_KILLED, "app.jobs.work", seen.append)
    job = SimpleNamespace(func_name="app.jobs.work", args=(7,), id="j-1")
    workers.work_horse_killed(job, 1, 9, None)
    workers.work_horse_killed(SimpleNamespace(func_name="other.job", id="j-2"), 1, 9, None)
    assert seen == [job]


@pytest.mark.django_db
def test_uploads_gives_the_submission_back_when_its_validator_dies(monkeypatch):
    from uploads import lifecycle

    given_back = []
    monkeypatch.setattr(lifecycle, "submission_horse_killed", lambda **kw: given_back.append(kw))
    job = SimpleNamespace(func_name="uploads.jobs.process_submission", args=(42,), id="j-3")
    workers.work_horse_killed(job, 1, 9, None)
    assert given_back == [{"submission_id": 42, "job_id": "j-3"}]
