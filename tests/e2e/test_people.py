"""Browser tests of issue 18.12 and 18.13: the target form shows the fields of the chosen kind
and tests before saving; the error queue's select-all and bulk state change."""

import pytest
from playwright.sync_api import expect

from connectivity.models import Probe
from helpdesk.models import ErrorItem, State
from tests.connectivity.servers import LoopbackHTTPServer, Reply


def _clean(events):
    return {k: v for k, v in events.items() if v}


@pytest.fixture
def pmh_like_server():
    server = LoopbackHTTPServer(Reply(status=200, body=b"PMH OK")).start()
    yield server
    server.stop()


def test_target_form_shows_the_fields_of_the_kind_and_tests_before_saving(
    login, browser_events, shoot, live_server, pmh_like_server
):
    page = login("operator")
    page.goto(live_server.url + "/reachability/targets/new/")
    keyword, status, ca = (
        page.locator("#id_expect_keyword"),
        page.locator("#id_expect_status"),
        page.locator("#id_ca_pem"),
    )
    page.locator("select[name=kind]").select_option("tcp")
    expect(keyword).to_be_hidden()
    expect(status).to_be_hidden()
    expect(ca).to_be_hidden()
    page.locator("select[name=kind]").select_option("tls")
    expect(ca).to_be_visible()
    expect(keyword).to_be_hidden()
    page.locator("select[name=kind]").select_option("http")
    expect(keyword).to_be_visible()
    expect(status).to_be_visible()
    shoot("reachability-target-form-http")
    before = Probe.objects.count()
    page.locator("#id_name").fill("試験用 API")
    page.locator("#id_url").fill(pmh_like_server.url)
    keyword.fill("PMH OK")
    page.locator("#id_interval_seconds").fill("300")
    page.get_by_role("button", name="保存せずに試験").click()
    expect(page.locator("#probe-test")).to_contain_text("この値で確認に成功しました")
    # The entered values stay in the form, nothing was saved.
    expect(page.locator("#id_url")).to_have_value(pmh_like_server.url)
    assert Probe.objects.count() == before
    shoot("reachability-target-test-before-save")
    page.locator("select[name=kind]").select_option("tcp")
    expect(keyword).to_be_disabled()  # a hidden field's value is not sent
    assert not _clean(browser_events)


def test_error_queue_select_all_and_change_the_state_in_bulk(
    login, browser_events, shoot, live_server
):
    page = login("helpdesk")
    page.goto(live_server.url + "/errors/")
    bulk = page.locator("#bulk-assign")
    boxes = page.locator("input[data-bulk-item]")
    count = boxes.count()
    assert count >= 2
    page.locator("#select-all").check()
    for i in range(count):
        expect(boxes.nth(i)).to_be_checked()
    expect(page.locator("[data-selected-count]")).to_contain_text(str(count))
    boxes.nth(0).uncheck()
    expect(page.locator("#select-all")).not_to_be_checked()
    page.locator("#select-all").check()
    bulk.locator("select[name=action]").select_option("state")
    expect(bulk.locator("select[name=state]")).to_be_visible()
    expect(bulk.locator("select[name=assignee]")).to_be_hidden()
    bulk.locator("select[name=action]").select_option("snooze")
    expect(bulk.locator("input[name=until]")).to_be_visible()
    expect(bulk.locator("select[name=state]")).to_be_hidden()
    bulk.locator("select[name=action]").select_option("state")
    bulk.locator("select[name=state]").select_option(State.INVESTIGATING)
    shoot("error-queue-bulk-select")
    ids = [int(boxes.nth(i).get_attribute("value")) for i in range(count)]
    page.get_by_role("button", name="実行").click()
    expect(page.locator(".messages, [role=status], .alert").first).to_contain_text(
        "件を変更しました"
    )
    shoot("error-queue-bulk-done")
    states = set(ErrorItem.objects.filter(pk__in=ids).values_list("state", flat=True))
    assert states == {State.INVESTIGATING}
    assert not _clean(browser_events)
