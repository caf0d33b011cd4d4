"""Every page of each role shows the living demo (issue 15.5), with a screenshot of each."""

import pytest
from playwright.sync_api import expect

from onboarding.access import integrations_for
from onboarding.models import User
from uploads.access import submissions_for

ROLES = ["operator", "helpdesk", "vendor_a", "vendor_b"]


def _clean(events):
    return {k: v for k, v in events.items() if v}


def _name(path: str) -> str:
    parts = ["detail" if p.isdigit() else p for p in path.strip("/").split("/")]
    return "-".join(parts) or "dashboard"


@pytest.mark.parametrize("username", ROLES)
def test_every_page_of_each_role_shows_the_living_demo(
    login, browser_events, shoot, live_server, username
):
    page = login(username)
    nav = page.get_by_role("navigation", name="メイン")
    paths = nav.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    user = User.objects.get(username=username)
    own = integrations_for(user).order_by("municipality__code")
    integration = (
        own.filter(probes__incidents__isnull=False).first()
        or own.filter(probes__isnull=False).first()
        or own.first()
    )
    submission = submissions_for(user).order_by("-received_at").first()
    probe = integration.probes.first()
    paths += [integration.get_absolute_url(), f"/submissions/{submission.pk}/"]
    if probe is not None:
        paths.append(f"/reachability/targets/{probe.pk}/")
    for path in dict.fromkeys(paths):
        page.goto(live_server.url + path)
        expect(page.locator("h1")).to_be_visible()
        text = page.locator("main").inner_text()
        assert "0分 経過" not in text, path
        shoot(f"{username}-{_name(path)}")
    page.goto(live_server.url + "/")
    main = page.locator("main")
    expect(main.locator("svg").first).to_be_visible()
    assert "V_PREFECTURE" not in main.inner_text()
    page.goto(live_server.url + integration.get_absolute_url())
    expect(
        page.get_by_role("link", name="サンプルファイル（CSV・Shift_JIS・日本語見出し）")
    ).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="レコードレイアウト（Excel）").click()
    assert download.value.suggested_filename == "record-layout.xlsx"
    assert not _clean(browser_events)
