import csv
import io

import pytest
from django.urls import reverse

from onboarding.models import Integration, Municipality, Stage

pytestmark = pytest.mark.django_db


def _pages(cast):
    a, b = cast.integration_a, cast.integration_b
    return {
        "list": reverse("onboarding:municipality_list"),
        "export": reverse("onboarding:municipality_export"),
        "board": reverse("onboarding:board"),
        "prefectures": reverse("onboarding:prefectures"),
        "own_municipality": reverse("dashboard:municipality_detail", args=[a.municipality.code]),
        "other_municipality": reverse("dashboard:municipality_detail", args=[b.municipality.code]),
        "own_integration": reverse("onboarding:integration_detail", args=[a.pk]),
        "other_integration": reverse("onboarding:integration_detail", args=[b.pk]),
        "own_contacts": reverse("onboarding:integration_contacts", args=[a.pk]),
        "other_contacts": reverse("onboarding:integration_contacts", args=[b.pk]),
        "other_edit": reverse("onboarding:integration_edit", args=[b.pk]),
        "own_vendor": reverse("onboarding:vendor_detail", args=["vendor-a"]),
        "other_vendor": reverse("onboarding:vendor_detail", args=["vendor-b"]),
    }


def test_operator_and_helpdesk_see_every_page(cast, client_for):
    for user in (cast.operator, cast.helpdesk):
        client = client_for(user)
        for name, url in _pages(cast).items():
            if name in ("other_edit", "own_contacts", "other_contacts") and user == cast.helpdesk:
                continue
            assert client.get(url).status_code == 200, (user, name)


def test_vendor_sees_own_and_gets_404_for_the_other_vendors_objects(cast, client_for):
    client = client_for(cast.alice)
    pages = _pages(cast)
    for name, url in pages.items():
        status = client.get(url).status_code
        if name.startswith("other_"):
            assert status == 404, name
        elif name == "prefectures":  # the national chart is not shown to vendors (18.11)
            assert status == 403, name
        else:
            assert status == 200, name
    # The same answer for an object that does not exist at all: no existence oracle.
    assert client.get(reverse("onboarding:integration_detail", args=[99999])).status_code == 404


def test_vendor_lists_show_only_own_integrations(cast, client_for):
    client = client_for(cast.alice)
    body = client.get(reverse("onboarding:municipality_list")).content.decode()
    assert "千代田区" in body and "札幌市" not in body
    board = client.get(reverse("onboarding:board")).content.decode()
    assert "千代田区" in board and "札幌市" not in board
    rows = list(
        csv.reader(io.StringIO(client.get(_pages(cast)["export"]).getvalue().decode("utf-8-sig")))
    )
    assert [r[0] for r in rows[1:]] == ["131016"]


def test_vendor_cannot_edit_choices_or_move_stages(cast, client_for):
    client = client_for(cast.alice)
    a = cast.integration_a
    assert client.get(reverse("onboarding:integration_edit", args=[a.pk])).status_code == 403
    response = client.post(reverse("onboarding:integration_move", args=[a.pk]), {"to": "decided"})
    assert response.status_code == 403
    assert client.get(reverse("onboarding:vendor_list")).status_code == 403


def test_helpdesk_reads_but_changes_nothing(cast, client_for):
    client = client_for(cast.helpdesk)
    a = cast.integration_a
    assert client.get(reverse("onboarding:integration_edit", args=[a.pk])).status_code == 403
    assert client.get(reverse("onboarding:integration_contacts", args=[a.pk])).status_code == 403
    assert (
        client.post(
            reverse("onboarding:integration_move", args=[a.pk]), {"to": "decided"}
        ).status_code
        == 403
    )
    assert client.get(reverse("onboarding:integration_create")).status_code == 403


def test_vendor_edits_contacts_and_ranges_of_its_own_integration(cast, client_for):
    client = client_for(cast.alice)
    url = reverse("onboarding:integration_contacts", args=[cast.integration_a.pk])
    response = client.post(
        url, {"contacts": "Kanri@Example.jp\n", "source_ranges": "10.1.2.0/24\n192.0.2.7"}
    )
    assert response.status_code == 302
    a = Integration.objects.get(pk=cast.integration_a.pk)
    assert list(a.contacts.values_list("email", flat=True)) == ["kanri@example.jp"]
    assert a.source_ranges == ["10.1.2.0/24", "192.0.2.7/32"]
    bad = client.post(url, {"contacts": "not-mail", "source_ranges": "10.1.2.300/24"})
    body = bad.content.decode()
    assert bad.status_code == 200 and "メールアドレスではありません" in body and "1行目" in body


def test_operator_is_told_why_an_inconsistent_choice_is_refused(cast, client_for):
    client = client_for(cast.operator)
    response = client.post(
        reverse("onboarding:integration_create"),
        {
            "municipality_code": "131016",
            "business_system": "子ども医療",
            "vendor": cast.vendor_a.pk,
            "rework_method": "api",
            "route": "usb",
            "data_mode": "full",
            "test_access": "offline",
            "data_format": "json",
            "review_policy": "auto",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "route" in form.errors or "rework_method" in form.errors
    body = response.content.decode()
    assert "USBメモリ等の媒体では手動アップロードしかできません" in body
    assert Integration.objects.count() == 2


def test_operator_registers_an_integration_with_defaults(cast, client_for):
    client = client_for(cast.operator)
    response = client.post(
        reverse("onboarding:integration_create"),
        {
            "municipality_code": "011002",
            "business_system": "ひとり親医療",
            "vendor": cast.vendor_b.pk,
            "rework_method": "manual",
            "route": "usb",
            "data_mode": "full",
            "test_access": "offline",
            "data_format": "csv",
            "review_policy": "auto",
            "programs": "88136015",
            "contacts": "a@example.jp",
        },
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    created = Integration.objects.get(dropbox_name="011002-2")
    assert created.programs == ["88136015"]
    assert created.needs_review


def test_bad_program_number_is_refused_with_reason(cast, client_for):
    client = client_for(cast.operator)
    response = client.post(
        reverse("onboarding:integration_create"),
        {
            "municipality_code": "131016",
            "business_system": "x",
            "review_policy": "auto",
            "programs": "88136013",
        },
    )
    assert "検証番号が正しくありません" in response.content.decode()


def test_operator_moves_stage_and_sees_refusal_reason(cast, client_for):
    client = client_for(cast.operator)
    url = reverse("onboarding:integration_move", args=[cast.integration_a.pk])
    response = client.post(url, {"to": "decided"}, follow=True)
    assert "移動はできません" in response.content.decode()
    Integration.objects.filter(pk=cast.integration_a.pk).update(
        rework_method="manual",
        route="usb",
        data_mode="full",
        test_access="offline",
        data_format="csv",
    )
    response = client.post(url, {"to": "decided"}, follow=True)
    assert "に移動しました" in response.content.decode()
    assert Integration.objects.get(pk=cast.integration_a.pk).stage == Stage.DECIDED


def test_export_is_safe_against_formula_injection(cast, client_for):
    Integration.objects.filter(pk=cast.integration_a.pk).update(business_system='=HYPERLINK("x")')
    content = client_for(cast.operator).get(reverse("onboarding:municipality_export")).getvalue()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert any(cell == '\'=HYPERLINK("x")' for row in rows for cell in row)


def test_stored_script_is_escaped(cast, client_for):
    Integration.objects.filter(pk=cast.integration_a.pk).update(
        business_system="<script>alert(1)</script>"
    )
    body = client_for(cast.operator).get(reverse("onboarding:municipality_list")).content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;" in body


def test_list_filters(cast, client_for):
    client = client_for(cast.operator)
    url = reverse("onboarding:municipality_list")
    assert "札幌市" not in client.get(url, {"prefecture": "東京都"}).content.decode()
    body = client.get(url, {"vendor": "vendor-b"}).content.decode()
    assert "札幌市" in body and "千代田区" not in body
    assert "千代田区" in client.get(url, {"q": "チヨダ"}).content.decode()


def test_list_pages_run_a_bounded_number_of_queries(
    cast, client_for, django_assert_max_num_queries
):
    for n in range(40):
        code = f"{10000 + n:05d}"
        from coderules.checkdigits import municipality_check_digit

        code += str(municipality_check_digit(code))
        m = Municipality.objects.create(code=code, prefecture="東京都", city=f"市{n}")
        Integration.objects.create(
            municipality=m, vendor=cast.vendor_a, business_system="x", dropbox_name=code
        )
    client = client_for(cast.operator)
    for name in ("onboarding:municipality_list", "onboarding:board", "onboarding:prefectures"):
        with django_assert_max_num_queries(12):
            assert client.get(reverse(name)).status_code == 200


def test_prefecture_overview_draws_every_prefecture(cast, client_for):
    body = client_for(cast.operator).get(reverse("onboarding:prefectures")).content.decode()
    assert body.count('class="pref-label"') == 47
    assert "<svg" in body and "st-fill-registered" in body


def test_batch_uploader_page_and_downloads(cast, client_for):
    Integration.objects.filter(pk=cast.integration_a.pk).update(
        rework_method="batch", route="lgwan"
    )
    client = client_for(cast.alice)
    page = client.get(reverse("onboarding:integration_uploader", args=[cast.integration_a.pk]))
    body = page.content.decode()
    assert (
        page.status_code == 200 and "タスク スケジューラ" in body and "integration = 131016" in body
    )
    ini = client.get(
        reverse(
            "onboarding:integration_uploader_file", args=[cast.integration_a.pk, "pmh_uploader.ini"]
        )
    )
    text = ini.content.decode("utf-8-sig")
    assert (
        "integration = 131016" in text
        and "\r\n" in text
        and "pmh_" not in text.replace("pmh_uploader", "")
    )
    script = client.get(
        reverse(
            "onboarding:integration_uploader_file", args=[cast.integration_a.pk, "pmh_uploader.py"]
        )
    )
    assert b"def main" in b"".join(script.streaming_content)
    other = reverse(
        "onboarding:integration_uploader_file", args=[cast.integration_b.pk, "pmh_uploader.py"]
    )
    assert client.get(other).status_code == 404
    helpdesk = client_for(cast.helpdesk)
    url = reverse(
        "onboarding:integration_uploader_file", args=[cast.integration_a.pk, "pmh_uploader.ini"]
    )
    assert helpdesk.get(url).status_code == 403


def test_a_prefecture_itself_is_listed_by_its_name(cast, client_for):
    Municipality.objects.create(code="130001", prefecture="東京都", city="")
    body = client_for(cast.operator).get(reverse("onboarding:municipality_list")).content.decode()
    row = body.split("130001")[2].split("</tr>")[0]
    assert "東京都" in row and "—" not in row
