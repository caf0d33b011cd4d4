"""Issue 22 in the browser: the filtered national board, the stuck integrations of one
prefecture and vendor moved at once, and the vendor scorecards (screenshots under var/e2e/)."""

import re

from playwright.sync_api import expect

from dashboard.demo_national import seed_national
from onboarding.models import Integration, Stage


def test_operator_finds_and_moves_the_stuck_ones_and_reads_the_scorecards(
    login, browser_events, shoot, live_server
):
    seed_national()
    page = login("operator")
    page.goto(live_server.url + "/board/")
    page.get_by_label("都道府県").select_option("北海道")
    page.get_by_label("ベンダー").select_option("vendor-b")
    page.get_by_label("停滞のみ").check()
    page.get_by_role("button", name="絞り込む").click()
    expect(page.locator(".board-card.stuck").first).to_be_visible()
    assert page.locator(".board-card").count() == page.locator(".board-card.stuck").count()
    shoot("national-board-filtered")

    registered = page.locator('section[aria-label="登録済"] a.board-more')
    registered.click()
    expect(page.locator("h1")).to_contain_text("連携")
    wanted = Integration.objects.filter(
        municipality__prefecture="北海道", vendor__slug="vendor-b", stage=Stage.REGISTERED
    )
    stuck_ids = {i.pk for i in wanted if i.stage_changed_at < _days_ago(14)}
    page.get_by_label(re.compile("条件に合う .* 件すべて")).check()
    page.get_by_label("操作").select_option("move")
    page.get_by_label("移動先").select_option("decided")
    page.get_by_role("button", name="実行").click()
    expect(page.locator("h1")).to_contain_text("一括変更の結果")
    shoot("national-bulk-move-result")
    moved = set(
        Integration.objects.filter(pk__in=stuck_ids, stage=Stage.DECIDED).values_list(
            "pk", flat=True
        )
    )
    refused = page.locator("tr.refused").count()
    assert len(moved) + refused == len(stuck_ids) and moved

    page.goto(live_server.url + "/scorecards/")
    expect(page.locator("table.scorecards tbody tr")).to_have_count(12)
    shoot("national-scorecards")
    page.get_by_role("link", name="ビー自治体ソリューションズ株式会社").click()
    expect(page.locator("h1")).to_contain_text("スコアカード")
    shoot("national-scorecard-vendor")
    assert not {k: v for k, v in browser_events.items() if v}


def _days_ago(days):
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now() - timedelta(days=days)
