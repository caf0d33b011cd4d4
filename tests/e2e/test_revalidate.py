"""Re-validation in a real browser (issue 18.4): the same file after a setting changed gets a
new verdict; a duplicate says so with the first's verdict; 再検証 validates the stored bytes."""

from pathlib import Path

from playwright.sync_api import expect

from console.models import AuditRecord
from onboarding.models import Integration
from uploads.models import Submission, Verdict

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


def _drop(page, data: bytes, name: str):
    page.evaluate(DROP, [list(data), name])
    entry = page.locator("[data-upload-list] li").last
    expect(entry.locator("progress")).to_have_attribute("value", "100", timeout=15000)
    return entry


def test_a_changed_setting_gives_a_new_verdict_and_revalidate_validates_again(
    login, browser_events, shoot, live_server, page
):
    data = (FIXTURES / "V_CHECK_DIGIT.csv").read_text(encoding="utf-8").encode("cp932")
    chiyoda = Integration.objects.get(dropbox_name="131016")
    login("vendor_a")
    page.goto(live_server.url + chiyoda.get_absolute_url())
    expect(_drop(page, data, "再送テスト.csv")).to_contain_text("不受理")
    first = Submission.objects.get(original_name="再送テスト.csv")
    # The same file again, nothing changed: a duplicate, with the first's verdict, own id.
    entry = _drop(page, data, "再送テスト2.csv")
    expect(entry).to_contain_text(f"重複（#{first.pk} と同じ）")
    expect(entry).to_contain_text("不受理")
    duplicate = Submission.objects.get(original_name="再送テスト2.csv")
    assert duplicate.duplicate_of == first and duplicate.pk != first.pk
    shoot("revalidate-duplicate")

    # An operator lowers 個人番号 check digit failures to warnings.
    page.context.clear_cookies()
    login("operator")
    page.goto(live_server.url + f"/integrations/{chiyoda.pk}/edit/")
    page.get_by_label("個人番号の検査用数字の誤りを警告として扱う").check()
    page.get_by_role("button", name="保存").click()
    expect(page.locator("h1")).to_contain_text(chiyoda.business_system)
    chiyoda.refresh_from_db()
    assert chiyoda.mynumber_check_warning

    # The same bytes now get a verdict of their own.
    page.context.clear_cookies()
    login("vendor_a")
    page.goto(live_server.url + chiyoda.get_absolute_url())
    entry = _drop(page, data, "再送テスト3.csv")
    expect(entry).to_contain_text("受理")
    expect(entry).not_to_contain_text("不受理")
    expect(entry).not_to_contain_text("重複")
    third = Submission.objects.get(original_name="再送テスト3.csv")
    assert third.duplicate_of is None and third.verdict == Verdict.ACCEPTED
    shoot("revalidate-new-verdict")

    # 再検証 on the first, rejected submission: a new submission, validated now.
    page.goto(live_server.url + first.get_absolute_url())
    page.get_by_role("button", name="再検証").click()
    expect(page.locator(".revalidation-note")).to_contain_text(f"提出 #{first.pk}")
    again = Submission.objects.get(revalidation_of=first)
    assert page.url == live_server.url + again.get_absolute_url()
    expect(page.locator(".revalidation-note")).to_contain_text("個人番号の検査用数字")
    expect(page.locator(".badge.ok", has_text="受理").first).to_be_visible(timeout=15000)
    again.refresh_from_db()
    assert again.verdict == Verdict.ACCEPTED and again.revalidation_of == first
    first.refresh_from_db()
    assert first.verdict == Verdict.REJECTED
    assert AuditRecord.objects.filter(
        action=AuditRecord.Action.REVALIDATE, object_id=str(again.pk)
    ).exists()
    shoot("revalidate-done")
    assert not _clean(browser_events)
