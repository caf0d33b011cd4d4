"""People and the registry in the console (issue 18.10): invite, reset and deactivate users of
every role; add one municipality; import the code list as the ministry publishes it."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from console.models import AuditRecord
from onboarding.access import integrations_for
from onboarding.models import Municipality, User

pytestmark = pytest.mark.django_db


def _link(mail) -> str:
    line = next(line for line in mail.body.splitlines() if "/password/set/" in line)
    return line.split("testserver")[1]


def test_operators_invite_vendor_and_helpdesk_users_with_japanese_role_names(
    cast, client_for, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for(cast.operator)
    page = client.get(reverse("onboarding:user_invite")).content.decode()
    assert "ヘルプデスク" in page and "ベンダー担当者" in page and "自治体の利用者" in page
    data = {"role": "vendor", "username": "carol", "email": "carol@vendor-a.example"}
    refused = client.post(reverse("onboarding:user_invite"), data)
    assert "ベンダーを選んでください" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("onboarding:user_invite"), data | {"vendor": cast.vendor_a.pk})
    assert done.status_code == 302
    carol = User.objects.get(username="carol")
    assert carol.vendor == cast.vendor_a and not carol.has_usable_password()
    assert set(integrations_for(carol)) == {cast.integration_a}
    assert "ベンダー担当者" in mailoutbox[0].body and "ベンダーA" in mailoutbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("onboarding:user_invite"),
            {"role": "helpdesk", "username": "dan", "email": "dan@pmh.example"},
        )
    dan = User.objects.get(username="dan")
    assert dan.groups.get().name == "helpdesk" and dan.vendor is None
    assert AuditRecord.objects.filter(action="user_invite").count() == 2
    listing = client.get(reverse("onboarding:user_list") + "?role=vendor").content.decode()
    assert "<td>carol</td>" in listing and "<td>alice</td>" in listing
    assert "<td>dan</td>" not in listing
    assert "パスワード未設定" in listing


def test_only_operators_manage_people(cast, client_for):
    for user in (cast.helpdesk, cast.alice, cast.chiyo):
        client = client_for(user)
        assert client.get(reverse("onboarding:user_list")).status_code == 403
        assert client.post(reverse("onboarding:user_active", args=[cast.bob.pk])).status_code == 403
    cast.bob.refresh_from_db()
    assert cast.bob.is_active


def test_invite_rejects_an_unknown_municipality_code_in_japanese(cast, client_for):
    data = {"role": "municipality", "username": "x1", "email": "x@e.jp", "municipality_code": "999"}
    page = client_for(cast.operator).post(reverse("onboarding:user_invite"), data)
    assert "団体コード「999」の自治体はありません" in page.content.decode()
    assert not User.objects.filter(username="x1").exists()


def test_reset_mails_a_new_link_and_deactivate_signs_the_user_out(
    cast, client, mailoutbox, django_capture_on_commit_callbacks
):
    cast.bob.email = "bob@vendor-b.example"
    cast.bob.save()
    client.force_login(cast.operator)
    with django_capture_on_commit_callbacks(execute=True):
        reset = client.post(reverse("onboarding:user_reset", args=[cast.bob.pk]))
    assert reset.status_code == 302 and mailoutbox[0].to == ["bob@vendor-b.example"]
    assert "/password/set/" in mailoutbox[0].body
    bob_client = client.__class__()
    bob_client.force_login(cast.bob)
    assert bob_client.get(reverse("onboarding:board")).status_code == 200
    client.post(reverse("onboarding:user_active", args=[cast.bob.pk]), {"active": "0"})
    cast.bob.refresh_from_db()
    assert not cast.bob.is_active
    assert bob_client.get(reverse("onboarding:board")).status_code == 302  # to sign-in
    link = bob_client.get(_link(mailoutbox[0]), follow=True)
    assert link.context["validlink"] is False  # a deactivated user sets no password
    actions = list(AuditRecord.objects.values_list("action", flat=True))
    assert "user_reset" in actions and "user_deactivate" in actions
    client.post(reverse("onboarding:user_active", args=[cast.bob.pk]), {"active": "1"})
    cast.bob.refresh_from_db()
    assert cast.bob.is_active
    own = client.post(reverse("onboarding:user_active", args=[cast.operator.pk]), {"active": "0"})
    cast.operator.refresh_from_db()
    assert own.status_code == 302 and cast.operator.is_active


def test_add_one_municipality_checks_the_code_and_its_check_digit(cast, client_for):
    client = client_for(cast.operator)
    url = reverse("onboarding:municipality_create")
    bad = client.post(url, {"code": "141306", "prefecture": "神奈川県", "city": "川崎市"})
    assert bad.status_code == 200
    assert "検査数字" in bad.content.decode()
    short = client.post(url, {"code": "14130", "prefecture": "神奈川県", "city": "川崎市"})
    assert "6桁" in short.content.decode()
    good = client.post(
        url, {"code": "141305", "prefecture": "神奈川県", "city": "川崎市", "city_kana": "ｶﾜｻｷｼ"}
    )
    assert good.status_code == 302
    kawasaki = Municipality.objects.get(code="141305")
    assert kawasaki.city_kana == "カワサキシ" and not Municipality.objects.filter(code="141306")
    assert AuditRecord.objects.get(action="municipality_add").object_id == str(kawasaki.pk)


def _ministry_xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "R6.1.1現在の団体"
    sheet.append(
        ["団体コード", "都道府県名\n（漢字）", "市区町村名\n（漢字）", "都道府県名\n（カナ）",
         "市区町村名\n（カナ）"]
    )  # fmt: skip
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_the_ministry_xlsx_with_a_preview_and_japanese_row_errors(cast, client_for):
    data = _ministry_xlsx(
        [
            ["141305", "神奈川県", "川崎市", "ｶﾅｶﾞﾜｹﾝ", "ｶﾜｻｷｼ"],
            [11002, "北海道", "札幌市", "ﾎｯｶｲﾄﾞｳ", "ｻｯﾎﾟﾛｼ"],  # a number: the leading 0 lost
            ["141306", "神奈川県", "誤り市", "ｶﾅｶﾞﾜｹﾝ", "ｱﾔﾏﾘｼ"],
            ["14130X", "神奈川県", "記号市", "", ""],
        ]
    )
    client = client_for(cast.operator)
    url = reverse("onboarding:municipality_import")
    upload = SimpleUploadedFile("000925835.xlsx", data)
    preview = client.post(url, {"file": upload})
    text = preview.content.decode()
    assert preview.status_code == 200 and "プレビュー" in text
    assert "4行目" in text and "141306" in text and "検査数字" in text
    assert "5行目" in text and "14130X" in text
    assert not Municipality.objects.filter(code="141305").exists()  # nothing written yet
    assert preview.context["preview"].created == 1 and preview.context["preview"].updated == 1
    done = client.post(url, {"confirm": "1"})
    assert done.status_code == 200
    kawasaki = Municipality.objects.get(code="141305")
    assert kawasaki.city == "川崎市" and kawasaki.city_kana == "カワサキシ"
    assert Municipality.objects.get(code="011002").prefecture_kana == "ホッカイドウ"
    assert AuditRecord.objects.get(action="municipality_import").detail["created"] == 1
    # Confirming again (back button, double click) writes nothing more.
    again = client.post(url, {"confirm": "1"}, follow=True)
    assert "プレビューがありません" in again.content.decode()


def test_import_takes_csv_with_japanese_column_names(cast, client_for):
    csv = "団体コード,都道府県名（漢字）,市区町村名（漢字）,都道府県名（カナ）,市区町村名（カナ）\n"
    csv += "141305,神奈川県,川崎市,ｶﾅｶﾞﾜｹﾝ,ｶﾜｻｷｼ\n"
    client = client_for(cast.operator)
    url = reverse("onboarding:municipality_import")
    client.post(url, {"file": SimpleUploadedFile("codes.csv", csv.encode("cp932"))})
    client.post(url, {"confirm": "1"})
    assert Municipality.objects.get(code="141305").prefecture == "神奈川県"


def test_import_of_a_damaged_workbook_is_a_japanese_error(cast, client_for):
    client = client_for(cast.operator)
    broken = SimpleUploadedFile("codes.xlsx", b"PK\x03\x04garbage")
    page = client.post(reverse("onboarding:municipality_import"), {"file": broken})
    assert page.status_code == 200 and "XLSX" in page.content.decode()
    assert "ファイル" in page.content.decode()
