"""Issue 18 point 8 in a real browser at 1024 px: every board column on screen, the language
picker on one line, the recent-submissions table drawn again after an upload, the Japanese job
queue page within the CSP."""

from playwright.sync_api import expect

from onboarding.models import Integration

DROP_ONE = """([name, text]) => {
  const data = new DataTransfer();
  data.items.add(new File([text], name, {type: "text/csv"}));
  const zone = document.querySelector("[data-dropzone]");
  zone.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
}"""


def test_board_shows_every_column_at_1024_px(login, browser_events, shoot, live_server):
    page = login("operator")
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(live_server.url + "/board/")
    columns = page.locator(".board-col")
    expect(columns).to_have_count(7)
    board = page.locator(".board").bounding_box()
    for i in range(7):
        box = columns.nth(i).bounding_box()
        assert (
            box["x"] >= board["x"] - 1
            and box["x"] + box["width"] <= board["x"] + board["width"] + 1
        ), i
        assert box["x"] + box["width"] <= 1024, i
    board_el = "document.querySelector('.board')"
    assert page.evaluate(f"{board_el}.scrollWidth <= {board_el}.clientWidth + 1")
    label = page.locator("label[for=lang-select]").bounding_box()
    assert label["height"] < 30  # 表示言語 on one line
    shoot("board-1024")
    assert not any(browser_events.values()), browser_events


def test_recent_submissions_update_without_a_reload(login, browser_events, shoot, live_server):
    page = login("vendor_a")
    page.set_viewport_size({"width": 1024, "height": 768})
    chiyoda = Integration.objects.get(dropbox_name="131016")
    page.goto(live_server.url + chiyoda.get_absolute_url())
    page.evaluate("window.__notReloaded = true")
    page.evaluate(DROP_ONE, ["polish-check.csv", "a,b\n1,2\n"])
    expect(page.locator("[data-recent]")).to_contain_text("polish-check.csv", timeout=15000)
    assert page.evaluate("window.__notReloaded === true")
    shoot("recent-submissions-updated")
    assert not any(browser_events.values()), browser_events


def test_job_queue_page_is_japanese_within_the_csp(login, browser_events, shoot, live_server):
    page = login("operator")
    page.goto(live_server.url + "/django-rq/")
    expect(page.get_by_role("heading", name="ジョブキュー")).to_be_visible()
    shoot("job-queues")
    assert not any(browser_events.values()), browser_events
