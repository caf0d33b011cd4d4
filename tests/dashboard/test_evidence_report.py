"""The evidence report (連携テスト結果報告書, issue 23): the print page and the PDF carry the
figures of the database, read back from the PDF with pdftotext; personal data masked; every
generation audited; scoped like every page."""

import datetime
import re
import shutil
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from connectivity import selectors
from connectivity.models import InboundCheck, ProbeResult
from connectivity.services import target_create
from console.models import AuditRecord
from helpdesk.models import ErrorComment, State
from helpdesk.services import error_item_record
from onboarding.models import IntegrationEvent, Stage
from uploads.models import Submission

pytestmark = pytest.mark.django_db
NUMBER = "123456789018"  # a 12-digit run typed into a comment: only its last 4 may show
NOW = timezone.now()


def _submission(integration, name, *, verdict="accepted", mode="full", rows=3, digest="a"):
    return Submission.objects.create(
        integration=integration, channel="web", original_name=name, size=10,
        sha256=digest * 64, mode=mode, stage_at_receipt="testing", status="returned",
        verdict=verdict, received_at=NOW - datetime.timedelta(hours=2), rows=rows,
        errors=0 if verdict == "accepted" else 1, warnings=0, valid_rows=rows, storage_name="x",
    )  # fmt: skip


@pytest.fixture
def evidence(cast):
    i = cast.integration_a
    i.rework_method, i.route, i.data_mode, i.test_access, i.data_format = (
        "api", "lgwan", "full", "internet", "csv"
    )  # fmt: skip
    i.stage = Stage.TESTING
    i.save()
    IntegrationEvent.objects.create(
        integration=i, kind="choice", field="route", new_value="lgwan", by=cast.operator,
        at=NOW - datetime.timedelta(days=9),
    )  # fmt: skip
    IntegrationEvent.objects.create(
        integration=i, kind="stage", old_value="registered", new_value="decided",
        by=cast.operator, reason="区と合意済み", at=NOW - datetime.timedelta(days=8),
    )  # fmt: skip
    probe = target_create(
        integration=i, name="PMH受付", url="https://127.0.0.1:9/", kind="http", route="lgwan"
    )
    for minutes, ok in ((10, True), (20, True), (30, False)):
        ProbeResult.objects.create(
            probe=probe, started_at=NOW - datetime.timedelta(minutes=minutes), ok=ok,
            tls_version="TLSv1.3" if ok else "",
        )  # fmt: skip
    InboundCheck.objects.create(
        integration=i, token_hash="h" * 64, issued_at=NOW - datetime.timedelta(days=3),
        expires_at=NOW + datetime.timedelta(days=4), used_at=NOW - datetime.timedelta(days=2),
        source_address="10.20.30.40", tls_version="TLSv1.2", passed=True,
    )  # fmt: skip
    full = _submission(i, "full.csv", rows=1234, digest="c")
    diff = _submission(i, "diff.csv", mode="diff", rows=17, digest="d")
    rejected = _submission(i, "bad.csv", verdict="rejected", digest="e")
    full.review_comment = f"番号 {NUMBER} の行を確認"
    full.released_by, full.released_at = cast.helpdesk, NOW
    full.save()
    item = error_item_record(kind="rejected", code="V_KANA", title="カナ不備", integration=i)
    ErrorComment.objects.create(item=item, by=cast.helpdesk, text="ベンダーに連絡済み")
    done = error_item_record(kind="rejected", code="V_DATE", title="解決済みの不備", integration=i)
    done.state = State.RESOLVED
    done.save()
    return {"probe": probe, "accepted": [full, diff], "rejected": rejected}


def _pdf_text(data: bytes, tmp_path) -> str:
    assert shutil.which("pdftotext"), "pdftotext is missing: install poppler-utils (see make)"
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_pdf_reads_back_with_the_figures_of_the_database(cast, client_for, evidence, tmp_path):
    response = client_for(cast.operator).get(
        reverse("dashboard:integration_report_pdf", args=[cast.integration_a.pk])
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content, tmp_path)
    flat = re.sub(r"\s+", "", text)
    assert "連携テスト結果報告書" in text and "千代田区" in text and "子ども医療費助成" in text
    for submission in Submission.objects.filter(verdict="accepted"):
        assert submission.sha256 in flat
        assert f"{submission.rows:,}" in text or str(submission.rows) in text
    assert evidence["rejected"].sha256 not in flat
    uptime = selectors.uptime_figures([evidence["probe"].pk])[evidence["probe"].pk]
    assert uptime["24h"] == 66.67 and "66.67%" in text
    assert "10.20.30.40" in text and "TLSv1.2" in text and "TLSv1.3" in text
    assert "区と合意済み" in flat and "operator" in text  # who and why of the stage move
    assert "カナ不備" in flat and "解決済みの不備" not in flat  # open items only
    assert "ベンダーに連絡済み" in flat and "********9018" in flat and NUMBER not in flat
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "report.pdf")], capture_output=True, text=True, check=True
    ).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk)  # Japanese font embedded


def test_the_print_page_and_every_generation_are_audited(cast, client_for, evidence):
    client = client_for(cast.helpdesk)
    page = client.get(reverse("dashboard:integration_report", args=[cast.integration_a.pk]))
    body = page.content.decode()
    assert page.status_code == 200 and "連携テスト結果報告書" in body
    assert "c" * 64 in body and "1234" in body and NUMBER not in body
    client.get(reverse("dashboard:integration_report_pdf", args=[cast.integration_a.pk]))
    records = AuditRecord.objects.filter(action="report").order_by("pk")
    assert [(r.username, r.object_id, r.detail["format"]) for r in records] == [
        ("helpdesk", str(cast.integration_a.pk), "page"),
        ("helpdesk", str(cast.integration_a.pk), "pdf"),
    ]


def test_many_reports_from_the_filtered_list(cast, client_for, evidence, tmp_path):
    client = client_for(cast.operator)
    both = client.get(reverse("dashboard:integrations_report_pdf"))
    text = _pdf_text(both.content, tmp_path)
    assert "千代田区" in text and "札幌市" in text and text.count("連携テスト結果報告書") == 2
    only = client.get(reverse("dashboard:integrations_report") + "?stage=testing")
    body = only.content.decode()
    assert "千代田区" in body and "札幌市" not in body
    last = AuditRecord.objects.filter(action="report").latest("pk")
    assert last.detail["integrations"] == [cast.integration_a.pk]
    assert last.detail["filters"] == {"stage": "testing"}
    none = client.get(reverse("dashboard:integrations_report_pdf") + "?stage=live")
    assert none.status_code == 302


def test_the_report_is_for_staff_and_scoped_like_every_page(cast, client_for, evidence):
    url = reverse("dashboard:integration_report_pdf", args=[cast.integration_a.pk])
    assert client_for(cast.bob).get(url).status_code == 404
    assert client_for(cast.sato).get(url).status_code == 404
    assert client_for(cast.alice).get(url).status_code == 403
    assert client_for(cast.chiyo).get(url).status_code == 403
    assert client_for(cast.chiyo).get(reverse("dashboard:integrations_report")).status_code == 403
    assert not AuditRecord.objects.filter(action="report").exists()
