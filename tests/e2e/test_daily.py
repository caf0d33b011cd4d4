"""Daily use without surprises (issue 18): double clicks, an ended session, upload refusals."""

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from console.middleware import SEEN_AT
from helpdesk.models import ErrorComment, ReplyTemplate
from helpdesk.services import error_item_record
from onboarding.models import Integration, IntegrationContact
from uploads.models import Submission

DROP_MANY = """([count]) => {
  const data = new DataTransfer();
  for (let i = 0; i < count; i++) {
    data.items.add(new File(["a,b\\n"], `f${i}.csv`, {type: "text/csv"}));
  }
  const zone = document.querySelector("[data-dropzone]");
  const init = {dataTransfer: data, bubbles: true, cancelable: true};
  zone.dispatchEvent(new DragEvent("drop", init));
}"""


def test_a_double_clicked_reply_is_sent_once_and_the_form_empties(
    login, browser_events, shoot, live_server
):
    chiyoda = Integration.objects.get(dropbox_name="131016")
    IntegrationContact.objects.get_or_create(integration=chiyoda, email="tanto@example.jp")
    ReplyTemplate.objects.get_or_create(
        name="再送依頼", subject="再送のお願い", body="再送してください"
    )
    item = error_item_record(kind="rejected", code="V_KANA", title="氏名カナ", integration=chiyoda)
    page = login("helpdesk")
    page.goto(live_server.url + f"/errors/{item.pk}/")
    page.get_by_role("textbox", name="本文").fill("一度だけ届くはずの返信です。")
    reply = "form[action$='/reply/']"
    spent = page.locator(f"{reply} input[name=_once]").get_attribute("value")
    page.get_by_role("button", name="返信を送信").dblclick()
    expect(page.get_by_text("返信を送信し、コメントとして記録しました。")).to_be_visible()
    assert ErrorComment.objects.filter(item=item, text__contains="一度だけ届く").count() == 1
    expect(page.get_by_role("textbox", name="本文")).to_have_value("")
    # The back button (a page kept by the browser, its spent token in it), then send again:
    # the server refuses the spent token.
    page.go_back()
    page.locator(f"{reply} input[name=_once]").evaluate("(el, v) => { el.value = v; }", spent)
    page.get_by_role("textbox", name="本文").fill("一度だけ届くはずの返信です。")
    page.get_by_role("button", name="返信を送信").click()
    expect(page.get_by_text("二重送信").first).to_be_visible()
    assert ErrorComment.objects.filter(item=item, text__contains="一度だけ届く").count() == 1
    shoot("reply-sent-once")


def test_an_upload_after_the_session_ended_says_sign_in_again(
    login, browser_events, shoot, live_server
):
    page = login("vendor_a")
    chiyoda = Integration.objects.get(dropbox_name="131016")
    page.goto(live_server.url + chiyoda.get_absolute_url())
    for session in Session.objects.all():
        store = SessionStore(session_key=session.session_key)
        store[SEEN_AT] = 0  # idle since 1970
        store.save()
    page.evaluate(DROP_MANY, [1])
    entry = page.locator("[data-upload-list] li.rejected").last
    expect(entry).to_contain_text("サインアウトされました")
    expect(entry.get_by_role("link", name="もう一度サインイン")).to_be_visible()
    assert "401" not in entry.inner_text() and "200" not in entry.inner_text()
    assert not Submission.objects.filter(original_name="f0.csv").exists()
    shoot("upload-signed-out")


def test_too_many_files_and_no_file_are_told_before_sending(login, browser_events, live_server):
    page = login("vendor_a")
    chiyoda = Integration.objects.get(dropbox_name="131016")
    page.goto(live_server.url + chiyoda.get_absolute_url())
    sent = []
    page.on("request", lambda r: r.method == "POST" and sent.append(r.url))
    page.evaluate(DROP_MANY, [51])
    expect(page.locator("[data-upload-list] li.rejected").last).to_contain_text(
        "50 件以下に分けて送信してください"
    )
    page.get_by_role("button", name="アップロードして検証").click()
    expect(page.locator("[data-upload-list] li.rejected").last).to_contain_text(
        "1つ以上選んでください"
    )
    assert not sent


def test_a_route_change_asks_before_sending_the_stage_back(
    login, browser_events, shoot, live_server
):
    from onboarding.models import Stage

    chiyoda = Integration.objects.get(dropbox_name="131016")
    Integration.objects.filter(pk=chiyoda.pk).update(
        rework_method="manual",
        route="lgwan",
        data_mode="full",
        test_access="lgwan",
        data_format="csv",
        stage=Stage.TESTING,
    )
    page = login("operator")
    page.goto(live_server.url + f"/integrations/{chiyoda.pk}/edit/")
    expect(page.locator(".stage-back-note")).to_contain_text("「方式決定」に戻り")
    page.locator("input[name=route][value=vpn]").check()
    page.locator("input[name=test_access][value=internet]").check()
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".stage-back-note")).to_contain_text("確認欄にチェック")
    chiyoda.refresh_from_db()
    assert (chiyoda.route, chiyoda.stage) == ("lgwan", Stage.TESTING)
    shoot("route-change-confirmation")
    page.get_by_label("「方式決定」に戻ることを確認しました").check()
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".stage-badge")).to_have_text("方式決定")
    chiyoda.refresh_from_db()
    assert (chiyoda.route, chiyoda.stage) == ("vpn", Stage.DECIDED)
