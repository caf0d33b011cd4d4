import csv
import io
import re
from datetime import date, timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from onboarding.models import Integration, IntegrationEvent, Municipality, Stage

pytestmark = pytest.mark.django_db
BULK = reverse("onboarding:integration_bulk")
RESULT = reverse("onboarding:integration_bulk_result")
REGISTER = reverse("onboarding:integration_register")
DECIDED = {"rework_method": "api", "route": "lgwan", "data_mode": "diff",
           "test_access": "lgwan", "data_format": "csv"}  # fmt: skip


def _make(cast, name, *, stage, municipality=None, vendor=None, days=40, **values):
    return Integration.objects.create(
        municipality=municipality or cast.chiyoda,
        vendor=vendor or cast.vendor_a,
        business_system=name,
        dropbox_name=name,
        stage=stage,
        stage_changed_at=timezone.now() - timedelta(days=days),
        **values,
    )


def test_move_all_matching_passes_each_gate_and_says_why_not(cast, client_for, settings):
    settings.PMH_STUCK_DAYS = {**settings.PMH_STUCK_DAYS, "registered": 14}
    ready = _make(cast, "ready1", stage=Stage.REGISTERED, **DECIDED)
    undecided = _make(cast, "open1", stage=Stage.REGISTERED)
    fresh = _make(cast, "fresh1", stage=Stage.REGISTERED, days=1, **DECIDED)
    other = _make(cast, "sap1", stage=Stage.REGISTERED, municipality=cast.sapporo, **DECIDED)
    client = client_for(cast.operator)
    query = "prefecture=東京都&vendor=vendor-a&stuck=on"
    response = client.post(
        BULK, {"action": "move", "to": "decided", "all_matching": "on", "query": query}
    )
    assert response.status_code == 302 and response["Location"] == RESULT
    for i in (ready, undecided, fresh, other):
        i.refresh_from_db()
    assert ready.stage == Stage.DECIDED
    assert undecided.stage == fresh.stage == other.stage == Stage.REGISTERED
    body = client.get(RESULT).content.decode()
    refused = re.findall(r'<tr class="refused">(.*?)</tr>', body, re.S)
    assert len(refused) == 1 and "open1" in refused[0] and "まだ記録されていません" in refused[0]
    assert "ready1" in body and "fresh1" not in body and "sap1" not in body
    assert ready.events.filter(kind="stage", new_value="decided", by=cast.operator).exists()


def test_ticked_rows_only_and_vendor_and_choice_changes_are_recorded(cast, client_for):
    a = _make(cast, "a1", stage=Stage.TESTING, **DECIDED)
    b = _make(cast, "b1", stage=Stage.REGISTERED)
    untouched = _make(cast, "c1", stage=Stage.REGISTERED)
    client = client_for(cast.operator)
    client.post(BULK, {"action": "vendor", "vendor": "vendor-b", "pk": [a.pk, b.pk]})
    assert set(Integration.objects.filter(vendor=cast.vendor_b).values_list("pk", flat=True)) >= {
        a.pk,
        b.pk,
    }
    untouched.refresh_from_db()
    assert untouched.vendor == cast.vendor_a
    # route usb breaks the rule for method api (a): refused; b has no method yet: set.
    client.post(BULK, {"action": "choice", "choice": "route:usb", "pk": [a.pk, b.pk]})
    a.refresh_from_db(), b.refresh_from_db()
    assert a.route == "lgwan" and b.route == "usb"
    body = client.get(RESULT).content.decode()
    assert "a1" in re.findall(r'<tr class="refused">(.*?)</tr>', body, re.S)[0]
    assert IntegrationEvent.objects.filter(integration=b, field="route", by=cast.operator).exists()


def test_bulk_is_for_operators_and_stays_in_scope(cast, client_for):
    a = cast.integration_a
    response = client_for(cast.alice).post(BULK, {"action": "vendor", "vendor": "vendor-b",
                                                   "pk": [a.pk]})  # fmt: skip
    assert response.status_code == 403
    a.refresh_from_db()
    assert a.vendor == cast.vendor_a
    listing = client_for(cast.alice).get(reverse("onboarding:integration_list")).content.decode()
    assert 'id="bulk-form"' not in listing and 'name="pk"' not in listing


def test_export_of_the_selection(cast, client_for):
    response = client_for(cast.operator).post(
        BULK, {"action": "export", "all_matching": "on", "query": "prefecture=北海道"}
    )
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][0] == "011002"


def test_bad_bulk_input_gets_japanese_errors_not_500(cast, client_for):
    client = client_for(cast.operator)
    bad = [
        {"action": "move"},
        {"action": "move", "to": "decided"},
        {"action": "nope", "pk": ["1"]},
        {"action": "move", "to": "x", "pk": ["abc"]},
    ]
    for data in bad:
        response = client.post(BULK, data, follow=True)
        assert response.status_code == 200
        assert "message error" in response.content.decode()


def _xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADER = ["自治体コード", "業務システム", "公費負担者番号", "ベンダー", "改修方法", "経路",
          "連携方式", "テスト環境", "形式", "連絡先"]  # fmt: skip


def test_bulk_registration_previews_then_registers_and_reimport_changes_nothing(cast, client_for):
    Municipality.objects.create(code="141003", prefecture="神奈川県", city="横浜市")
    rows = [
        HEADER,
        ["141003", "子ども医療費助成", "88136015", "vendor-a", "api", "lgwan", "diff", "lgwan",
         "csv", "a@yokohama.example"],
        ["131016", "ひとり親医療費助成", "", "vendor-b", "manual", "usb", "full", "offline",
         "csv", ""],
    ]  # fmt: skip
    data = _xlsx(rows)
    client = client_for(cast.operator)
    before = Integration.objects.count()
    page = client.post(REGISTER, {"file": SimpleUploadedFile("new.xlsx", data)}).content.decode()
    assert "2 件を登録" in page or page.count('class="plan-new"') == 2
    assert Integration.objects.count() == before  # nothing saved by the preview
    response = client.post(REGISTER, {"confirm": "1"})
    assert response.status_code == 302
    assert Integration.objects.count() == before + 2
    made = Integration.objects.get(municipality__code="141003")
    assert made.programs == ["88136015"] and made.route == "lgwan"
    assert list(made.contacts.values_list("email", flat=True)) == ["a@yokohama.example"]
    again = client.post(REGISTER, {"file": SimpleUploadedFile("new.xlsx", data)}).content.decode()
    assert again.count('class="plan-existing"') == 2 and 'name="confirm"' not in again
    assert Integration.objects.count() == before + 2


def test_bulk_registration_rows_with_errors_are_explained_in_japanese(cast, client_for):
    text = "\n".join([
        ",".join(HEADER),
        "131017,子ども医療費助成,,vendor-a,,,,,,",
        "999999,子ども,,vendor-a,,,,,,",
        "131016,障害者医療,12345678,nobody,api,usb,diff,lgwan,json,",
        "131016,子ども医療費助成,,vendor-a,fax,,,,,",
    ]).encode("cp932")  # fmt: skip
    client = client_for(cast.operator)
    before = Integration.objects.count()
    page = client.post(REGISTER, {"file": SimpleUploadedFile("x.csv", text)}).content.decode()
    assert page.count('class="plan-error"') == 4
    assert "検査数字" in page or "チェックディジット" in page
    assert "登録されていません" in page
    assert 'name="confirm"' not in page
    assert client.post(REGISTER, {"confirm": "1"}).status_code == 302
    assert Integration.objects.count() == before
    bad = client.post(REGISTER, {"file": SimpleUploadedFile("x.xlsx", b"not a zip")})
    assert bad.status_code == 200 and "XLSX" in bad.content.decode()
    headerless = client.post(REGISTER, {"file": SimpleUploadedFile("h.csv", b"a,b\n1,2\n")})
    assert "自治体コード" in headerless.content.decode()
    assert date.today()
