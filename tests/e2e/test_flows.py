"""What the people of the console do, in a real browser (issue #10)."""

from pathlib import Path

from playwright.sync_api import expect

from helpdesk.models import ErrorItem, State
from onboarding.models import Integration, User
from uploads.models import Submission

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "uploads"
DROP = """([bytes, name]) => {
  const data = new DataTransfer();
  data.items.add(new File([new Uint8Array(bytes)], name, {type: "text/csv"}));
  const zone = document.querySelector("[data-dropzone]");
  const init = {dataTransfer: data, bubbles: true, cancelable: true};
  zone.dispatchEvent(new DragEvent("dragover", init));
  zone.dispatchEvent(new DragEvent("drop", init));
}"""


def _clean(events):
    return {k: v for k, v in events.items() if v}


def _cp932_with_a_bad_mynumber() -> bytes:
    text = (FIXTURES / "V_CHECK_DIGIT.csv").read_text(encoding="utf-8")
    return text.encode("cp932")


def test_vendor_drops_a_cp932_csv_and_reads_the_masked_report(
    login, browser_events, shoot, live_server
):
    page = login("vendor_a")
    chiyoda = Integration.objects.get(dropbox_name="131016")
    page.goto(live_server.url + chiyoda.get_absolute_url())
    data = _cp932_with_a_bad_mynumber()
    page.evaluate(DROP, [list(data), "千代田区_全件.csv"])
    entry = page.locator("[data-upload-list] li").last
    expect(entry.locator("progress")).to_have_attribute("value", "100", timeout=15000)
    expect(entry).to_contain_text("不受理")
    submission = Submission.objects.get(integration=chiyoda, original_name="千代田区_全件.csv")
    assert submission.report["encoding"] == "cp932"
    entry.get_by_role("link", name="千代田区_全件.csv").click()
    expect(page.locator("h1")).to_contain_text("千代田区_全件.csv")
    expect(page.locator("td", has_text="V_CHECK_DIGIT").first).to_be_visible()
    expect(page.get_by_text("********9012").first).to_be_visible()
    assert "123456789012" not in page.content()
    shoot("submission")
    assert not _clean(browser_events)


def test_helpdesk_assigns_comments_and_resolves_an_error_item(
    login, browser_events, shoot, live_server
):
    from helpdesk.services import error_item_record

    chiyoda = Integration.objects.get(dropbox_name="131016")
    item = error_item_record(
        kind="rejected", code="V_KANA", title="氏名カナに半角カナ", integration=chiyoda
    )
    page = login("helpdesk")
    page.goto(live_server.url + "/errors/")
    expect(page.get_by_text("氏名カナに半角カナ")).to_be_visible()
    shoot("error-queue")
    page.goto(live_server.url + f"/errors/{item.pk}/")
    helpdesk = User.objects.get(username="helpdesk")
    # One triage form: assignee, comment and state are saved together (issue 18.12).
    form = page.locator("#item-update")
    form.get_by_label("担当者").select_option(str(helpdesk.pk))
    form.get_by_role("textbox", name="コメント").fill("ベンダーに全角カナでの再送を依頼しました。")
    form.get_by_label("状態").select_option(State.RESOLVED)
    form.get_by_role("button").click()
    expect(page.get_by_text("ベンダーに全角カナでの再送を依頼しました。")).to_be_visible()
    shoot("error-item")
    item.refresh_from_db()
    assert (item.state, item.assignee, item.comments.count() >= 1) == (
        State.RESOLVED,
        helpdesk,
        True,
    )
    page.goto(live_server.url + "/submissions/")
    expect(page.locator("h1")).to_be_visible()
    shoot("submission-history")
    assert not _clean(browser_events)
    assert ErrorItem.objects.get(pk=item.pk).resolved_at is not None
