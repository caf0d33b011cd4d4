"""What a vendor needs to start (issue 15.6): samples that validate clean under each demo
integration's rules, the record layout as CSV and XLSX, the API docs linked."""

import csv
import io
import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from openpyxl import load_workbook

from console.roles import ensure_groups
from dashboard import demo
from onboarding.models import Integration, User
from uploads import starter
from uploads.lib.validation import load_layout, validate_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_rows():
    ensure_groups()
    demo.seed(password="demo-Pass-123", groups={g.name: g for g in Group.objects.all()})
    return Integration.objects.select_related("municipality")


def _validate(integration, data: bytes):
    return validate_file(
        io.BytesIO(data),
        mode=integration.data_mode or "full",
        municipality_code=integration.municipality.code,
        programs=tuple(integration.programs or ()),
    )


def _client(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def test_every_demo_integrations_samples_validate_clean(demo_rows):
    for integration in demo_rows:
        data = starter.sample_csv(integration)
        text = data.decode("cp932")
        header = next(csv.reader(io.StringIO(text)))
        assert {"個人番号", "氏名", "氏名カナ", "公費負担者番号", "券面項目1名"} <= set(header)
        prefecture = integration.municipality.code[:2]
        numbers = [r["公費負担者番号"] for r in csv.DictReader(io.StringIO(text))]
        assert numbers and all(n[2:4] == prefecture for n in numbers)
        for sample in (data, starter.sample_json(integration)):
            report = _validate(integration, sample)
            assert report.accepted, (integration.dropbox_name, report.counts)
            assert report.counts == {}, (integration.dropbox_name, report.counts)
        assert len(json.loads(starter.sample_json(integration))) == starter.SAMPLE_RECORDS


def test_sample_downloads_are_the_vendors_own(demo_rows, client):
    own = Integration.objects.get(dropbox_name="131041")  # vendor A, diff mode, JSON
    other = Integration.objects.get(dropbox_name="011002")  # vendor B
    _client(client, "vendor_a")
    response = client.get(reverse("uploads:integration_sample", args=[own.pk, "sample.csv"]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "131041-diff-sample.csv" in response["Content-Disposition"]
    report = _validate(own, response.content)
    assert report.accepted and report.counts == {}
    response = client.get(reverse("uploads:integration_sample", args=[own.pk, "sample.json"]))
    assert json.loads(response.content)[0]["isDeleted"] is False
    for name in ("sample.csv", "sample.json"):
        url = reverse("uploads:integration_sample", args=[other.pk, name])
        assert client.get(url).status_code == 404
    url = reverse("uploads:integration_sample", args=[own.pk, "secrets.txt"])
    assert client.get(url).status_code == 404


def test_record_layout_as_csv_and_xlsx(demo_rows, client):
    layout = load_layout()
    expected = len(layout.fields) + len(layout.list.items) + 1
    _client(client, "vendor_b")
    response = client.get(reverse("uploads:record_layout_csv"))
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == expected
    assert rows[0] == ["項目（JSON パス）", "日本語名（CSV 見出し）", "必須", "ルール"]
    by_field = {r[0]: r for r in rows[1:]}
    assert by_field["myNumber"][1:3] == ["個人番号", "必須"]
    assert "検証番号" in by_field["myNumber"][3] and "12 桁" in by_field["myNumber"][3]
    assert by_field["medicalSubsidyInsurerNumber"][2] == "任意"
    assert by_field["historyKey"][2] == "差分ファイルでは必須"
    assert "半角カナはエラー" in by_field["basicFiveInfo.nameKana"][3]
    response = client.get(reverse("uploads:record_layout_xlsx"))
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [[c.value or "" for c in row] for row in sheet.iter_rows()] == rows
    response = client.get(reverse("uploads:general_sample_csv"))
    chiyoda = Integration.objects.get(dropbox_name="131016")
    assert _validate(chiyoda, response.content).counts == {}
    client.logout()
    response = client.get(reverse("uploads:record_layout_csv"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_vendor_pages_link_the_starter_files_and_the_api_docs(demo_rows, client):
    integration = Integration.objects.get(dropbox_name="131016")
    _client(client, "vendor_a")
    page = client.get(integration.get_absolute_url()).content.decode()
    assert reverse("uploads:integration_sample", args=[integration.pk, "sample.csv"]) in page
    assert reverse("uploads:record_layout_xlsx") in page
    assert 'href="/api/v1/docs"' in page
    assert "サンプルファイル（CSV・Shift_JIS・日本語見出し）" in page
    page = client.get(reverse("onboarding:vendor_detail", args=["vendor-a"])).content.decode()
    assert 'href="/api/v1/docs"' in page
    docs = client.get("/api/v1/openapi.json").json()
    assert "/record-layout/sample.csv" in docs["info"]["description"]
