import re

import pytest
from playwright.sync_api import expect

from onboarding.models import Integration

MAIN_PAGES = [
    ("dashboard", "/"),
    ("municipalities", "/municipalities/"),
    ("onboarding-board", "/board/"),
    ("prefecture-overview", "/prefectures/"),
    ("reachability", "/reachability/"),
]


def _clean(events):
    return {k: v for k, v in events.items() if v}


@pytest.mark.parametrize("username", ["operator", "helpdesk", "vendor_a", "vendor_b"])
def test_each_role_logs_in_and_sees_its_navigation(login, browser_events, username):
    page = login(username)
    nav = page.get_by_role("navigation", name="メイン")
    expect(nav.get_by_role("link", name="ダッシュボード")).to_be_visible()
    expect(nav.get_by_role("link", name="自治体")).to_be_visible()
    vendors_link = nav.get_by_role("link", name="ベンダー")
    if username.startswith("vendor"):
        expect(vendors_link).to_have_count(0)
        expect(page.get_by_role("link", name="管理画面")).to_have_count(0)
    else:
        expect(vendors_link).to_be_visible()
    assert not _clean(browser_events)


def test_main_pages_render_cleanly_with_screenshots(login, browser_events, shoot, live_server):
    page = login("operator")
    for name, path in MAIN_PAGES:
        page.goto(live_server.url + path)
        expect(page.locator("h1")).to_be_visible()
        shoot(name)
    chiyoda = Integration.objects.get(dropbox_name="131016")
    page.goto(live_server.url + f"/integrations/{chiyoda.pk}/")
    expect(page.locator("h1")).to_contain_text("子ども医療費助成システム")
    shoot("integration")
    page.goto(live_server.url + f"/reachability/integrations/{chiyoda.pk}/")
    expect(page.locator("h1")).to_contain_text("疎通確認")
    shoot("reachability-matrix")
    probe = chiyoda.probes.get()
    page.goto(live_server.url + f"/reachability/targets/{probe.pk}/")
    expect(page.locator("svg").first).to_be_visible()
    shoot("reachability-target-charts")
    assert not _clean(browser_events)


def test_operator_is_told_why_an_inconsistent_choice_is_refused(login, browser_events, live_server):
    page = login("operator")
    page.goto(live_server.url + "/integrations/new/")
    page.get_by_label("全国地方公共団体コード").fill("131041")
    page.get_by_label("業務システム").fill("ひとり親医療費助成")
    page.get_by_label("Web API（自動連携）").check()
    page.get_by_label("USBメモリ等の媒体").check()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.locator("#field-route")).to_contain_text("手動アップロードしかできません")
    page.get_by_label("システム出力CSVを手動アップロード").check()
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".message.success")).to_contain_text("連携を登録しました")
    assert Integration.objects.filter(dropbox_name="131041-2", route="usb").exists()
    assert not _clean(browser_events)


def test_vendor_cannot_reach_another_vendors_pages(login, page, live_server):
    login("vendor_a")
    sapporo = Integration.objects.get(dropbox_name="011002")
    response = page.goto(live_server.url + f"/integrations/{sapporo.pk}/")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("ページが見つかりません")
    response = page.goto(live_server.url + "/vendors/vendor-b/")
    assert response.status == 404
    body = page.goto(live_server.url + "/municipalities/").text()
    assert "札幌市" not in body and re.search("千代田区", body)
