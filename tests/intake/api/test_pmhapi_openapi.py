"""PMH's registration endpoints driven as a vendor would: a live server and a client that knows
only the OpenAPI document (pmh_openapi_client.py beside this file), embedded and on PostgreSQL
+ Redis.
"""

import json
import socket
import urllib.parse

import pytest

from onboarding.tokens import api_token_issue
from tests.faults.workers import require_services
from tests.intake.api.pmh_openapi_client import ApiError, RegistrationClient
from uploads.models import Channel, Submission
from uploads.services import stored_path

pytestmark = pytest.mark.django_db(transaction=True)
FULL, DIFF = "postRegistrationTasks", "postDifferentialHistoryRegistrationTasks"


@pytest.fixture(params=["embedded", "services"])
def between_polls(request, settings):
    """What happens between two polls of a task: nothing (embedded: the work is done at
    commit), or a real RQ worker that drains the queues once (PostgreSQL + Redis)."""
    if request.param == "embedded":
        return lambda: None
    require_services()
    import django_rq
    from rq import SimpleWorker

    settings.PMH_JOBS_MODE = "rq"
    for name in ("validation", "intake"):
        django_rq.get_queue(name).empty()

    def work():
        django_rq.get_worker("validation", "intake", worker_class=SimpleWorker).work(burst=True)

    return work


@pytest.fixture
def vendor_client(live_server, cast):
    return RegistrationClient(live_server.url, api_token_issue(vendor=cast.vendor_a, name="c")[1])


def test_a_client_from_the_openapi_document_registers_and_gets_reports(
    vendor_client, between_polls
):
    client = vendor_client
    assert {FULL, DIFF, "getRegistrationTask"} <= set(client.operations)
    full = client.example(FULL)
    accepted = client.register(FULL, full, integration="131016", idempotency_key="day-1")
    assert accepted["status"] in ("queued", "returned")
    done = client.wait(accepted["statusUrl"], between=between_polls)
    assert done["status"] == "returned" and done["verdict"] == "accepted"
    report = done["report"]
    assert report["format"] == "json" and report["mode"] == "full" and report["accepted"]
    assert report["diff"] == {"added": 1, "changed": 0, "unchanged": 0, "removed": 0}
    submission = Submission.objects.get(pk=int(accepted["taskId"]))
    assert submission.channel == Channel.API
    body = json.dumps(full, ensure_ascii=False).encode()
    assert stored_path(submission).read_bytes() == body
    again = client.register(FULL, full, integration="131016", idempotency_key="day-1")
    assert again["taskId"] == accepted["taskId"]

    diff = client.example(DIFF)
    diff[0]["basicFiveInfo"]["address"] += "の2"
    queued = client.register(DIFF, diff, compress=True)  # the vendor's only integration
    state = client.wait(queued["statusUrl"], between=between_polls)
    assert state["mode"] == "diff" and state["report"]["accepted"]
    assert state["report"]["diff"] == {"inserted": 0, "updated": 1, "deleted": 0}
    assert client.task_by_id(queued["taskId"])["taskId"] == queued["taskId"]


def test_bad_requests_get_the_documented_error_body(vendor_client, live_server, settings):
    client = vendor_client
    keys = client.error_keys()
    json_type = {"Content-Type": "application/json"}
    for body, status in ((b'{"a": 1}', 400), (b"[]", 400), (b"[1,", 400)):
        with pytest.raises(ApiError) as refused:
            client.send_raw(FULL, body, json_type)
        assert refused.value.status == status and set(refused.value.body["error"]) == keys
    with pytest.raises(ApiError) as refused:
        client.send_raw(FULL, b"a,b\n1,2\n", {"Content-Type": "text/csv"})
    assert refused.value.status == 415
    rejected = client.register(FULL, ["not a record"])
    assert client.wait(rejected["statusUrl"], between=lambda: None)["verdict"] == "rejected"
    assert Submission.objects.count() == 1
    settings.PMH_MAX_UPLOAD_MB = 1
    assert _status_of_unsent_body(live_server.url, client, 5 * 1024 * 1024) == 413


def _status_of_unsent_body(base_url: str, client: RegistrationClient, length: int) -> int:
    """Send only the headers of a large body: the answer comes before any of it is read."""
    url = urllib.parse.urlsplit(base_url + client.operations[FULL][1])
    with socket.create_connection((url.hostname, url.port), timeout=30) as conn:
        conn.sendall(
            f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: Bearer {client.token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {length}\r\nConnection: close\r\n\r\n".encode()
        )
        status_line = conn.makefile("rb").readline().decode()
    return int(status_line.split()[1])
