"""Personal data never leaves the console unmasked (record-layout §5, issue #11).

A file with known 個人番号 and a non-disclosed person goes in through the web and the API;
then every page, export, result file, API answer, queued job payload and log line is read,
and none may carry a full 個人番号 or any of the non-disclosed person's values.
"""

import io
import logging
import random
import subprocess

import pytest
from django.urls import reverse

from console import jobs
from console.models import AuditRecord
from onboarding.tokens import api_token_issue
from uploads.lib.validation import samples
from uploads.models import Submission

pytestmark = pytest.mark.django_db(transaction=True)

SECRET_NAME = "秘匿\u3000花子"
SECRET_KANA = "ヒトク\u3000ハナコ"
SECRET_ADDRESS = "東京都秘密町9-8-7"
SECRET_BIRTH = "1977-07-07"
SECRET_DETAIL = "秘匿の券面値"


def _file() -> tuple[bytes, list[str]]:
    rng = random.Random(7)  # noqa: S311
    records = [samples.valid_record(i, rng) for i in range(6)]
    for r in records:
        r["isNotDisclosed"] = False
    hidden = records[1]
    hidden["isNotDisclosed"] = True
    hidden["basicFiveInfo"].update(
        name=SECRET_NAME, nameKana=SECRET_KANA, address=SECRET_ADDRESS, dateOfBirth=SECRET_BIRTH
    )
    hidden["certificationDetail"] = [{"label": "病名", "value": SECRET_DETAIL}]
    hidden["basicFiveInfo"]["sex"] = "9"  # an error on the hidden person: its row is reported
    bad = records[2]
    bad["myNumber"] = bad["myNumber"][:-1] + str((int(bad["myNumber"][-1]) + 1) % 10)
    numbers = [r["myNumber"] for r in records]
    return samples.csv_bytes(records), numbers


def _secrets(numbers):
    return [*numbers, SECRET_NAME, SECRET_KANA, SECRET_ADDRESS, SECRET_BIRTH, SECRET_DETAIL,
            SECRET_ADDRESS.replace("東京都", "")]  # fmt: skip


def _assert_clean(where: str, text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text, f"{secret!r} appears in {where}"


def test_no_full_mynumber_or_non_disclosed_value_anywhere(cast, client_for, caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    payloads = []
    real_dispatch = jobs._dispatch

    def recording(queue, func, args, kwargs, job_id):
        payloads.append(repr((func, args, kwargs)))
        return real_dispatch(queue, func, args, kwargs, job_id)

    monkeypatch.setattr(jobs, "_dispatch", recording)
    data, numbers = _file()
    secrets = _secrets(numbers)
    operator = client_for(cast.operator)
    web = io.BytesIO(data)
    web.name = "personal.csv"
    operator.post(reverse("intake:upload", args=[cast.integration_a.pk]), {"files": [web]})
    _, token = api_token_issue(vendor=cast.vendor_a, name="sweep")
    api_file = io.BytesIO(data + b"\n")
    api_file.name = "personal-api.csv"
    api = operator.post(
        "/api/v1/submissions",
        {"integration": "131016", "file": api_file},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 202
    submissions = list(Submission.objects.order_by("pk"))
    assert len(submissions) == 2 and all(s.verdict == "rejected" for s in submissions)
    assert all(s.issues.filter(code="V_CHECK_DIGIT").exists() for s in submissions)
    # The hidden person's row has an issue, so its (masked) values are on the pages read.
    assert all(s.issues.filter(row=2, value="(不開示)").exists() for s in submissions)
    assert SECRET_NAME.encode() in data and numbers[0].encode() in data

    bodies = {}
    for user in (cast.operator, cast.helpdesk, cast.alice, cast.chiyo):
        client = client_for(user)
        for url in _urls(cast, submissions):
            response = client.get(url)
            content = (
                b"".join(response.streaming_content) if response.streaming else response.content
            )
            bodies[f"{user.username} {url}"] = content.decode("utf-8", "replace")
    for s in submissions:
        headers = {"Authorization": f"Bearer {token}"}
        for path in (f"/api/v1/submissions/{s.pk}", f"/api/v1/submissions/{s.pk}/report"):
            bodies[f"api {path}"] = operator.get(path, headers=headers).content.decode()
    pdf = client_for(cast.operator).get(
        reverse("dashboard:integration_report_pdf", args=[cast.integration_a.pk])
    )
    bodies["evidence report PDF"] = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True
    ).stdout.decode()
    assert "連携テスト結果報告書" in bodies["evidence report PDF"]
    assert any("********" in body for body in bodies.values())  # masked values are shown
    for where, body in bodies.items():
        _assert_clean(where, body, secrets)
    _assert_clean("log records", "\n".join(r.getMessage() for r in caplog.records), secrets)
    _assert_clean("job payloads", "\n".join(payloads), secrets)
    _assert_clean("audit records", repr(list(AuditRecord.objects.values())), secrets)
    for s in submissions:
        _assert_clean(f"stored report {s.pk}", repr(s.report), secrets)
        for issue in s.issues.all():
            _assert_clean(f"issue {issue.pk}", f"{issue.value} {issue.message}", secrets)


def _urls(cast, submissions):
    urls = [
        "/",
        reverse("helpdesk:history"),
        reverse("helpdesk:history_export"),
        reverse("helpdesk:queue"),
        reverse("onboarding:integration_detail", args=[cast.integration_a.pk]),
        reverse("helpdesk:integration_timeline", args=[cast.integration_a.pk]),
        reverse("dashboard:audit"),
        reverse("dashboard:audit_export"),
        reverse("dashboard:integration_report", args=[cast.integration_a.pk]),
        reverse("dashboard:integrations_report"),
    ]
    for s in submissions:
        for name in ("submission_detail", "submission_status", "result_json", "result_csv"):
            urls.append(reverse(f"uploads:{name}", args=[s.pk]))
    from helpdesk.models import ErrorItem

    urls += [reverse("helpdesk:item", args=[item.pk]) for item in ErrorItem.objects.all()]
    return urls
