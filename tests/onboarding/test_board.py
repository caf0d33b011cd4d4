import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboard.demo_national import seed_national
from onboarding.models import Integration, Municipality, Stage

pytestmark = pytest.mark.django_db
BOARD = reverse("onboarding:board")
LIST = reverse("onboarding:integration_list")


def _cards(body: str) -> int:
    return body.count('class="board-card')


def _make(cast, n, *, stage=Stage.TESTING, days=3, vendor=None, municipality=None, **extra):
    made = []
    for k in range(n):
        made.append(
            Integration.objects.create(
                municipality=municipality or cast.chiyoda,
                vendor=vendor or cast.vendor_a,
                business_system=f"system {stage} {days} {k}",
                dropbox_name=f"x{stage}{days}-{k}",
                stage=stage,
                stage_changed_at=timezone.now() - timedelta(days=days, hours=k),
                **extra,
            )
        )
    return made


def test_each_column_shows_the_longest_waiting_cards_its_count_and_a_link(
    cast, client_for, settings
):
    settings.PMH_BOARD_CARDS = 3
    made = _make(cast, 7, stage=Stage.TESTING, days=2)
    body = client_for(cast.operator).get(BOARD).content.decode()
    testing = body.split('aria-label="テスト中"')[1].split("</section>")[0]
    assert _cards(testing) == 3
    assert '<span class="count">7</span>' in testing
    # Longest waiting first: the three oldest of the seven.
    oldest = sorted(made, key=lambda i: i.stage_changed_at)[:3]
    assert [f"/integrations/{i.pk}/" in testing for i in oldest] == [True] * 3
    link = re.search(r'class="board-more" href="([^"]+)"', testing).group(1)
    assert "stage=testing" in link
    listing = client_for(cast.operator).get(link.replace("&amp;", "&")).content.decode()
    assert "7 件" in listing or "7件" in listing


def test_filters_narrow_the_board_and_carry_into_the_list_link(cast, client_for):
    _make(cast, 2, vendor=cast.vendor_a, municipality=cast.chiyoda)
    _make(cast, 2, vendor=cast.vendor_b, municipality=cast.sapporo, days=4)
    client = client_for(cast.operator)
    body = client.get(BOARD, {"prefecture": "北海道", "vendor": "vendor-b"}).content.decode()
    assert "札幌市" in body and "千代田区" not in body
    link = re.search(r'class="board-more" href="([^"]+)"', body).group(1).replace("&amp;", "&")
    assert "prefecture=" in link and "vendor=vendor-b" in link
    listing = client.get(link).content.decode()
    assert "札幌市" in listing and "千代田区" not in listing


def test_live_cards_show_their_go_live_date_not_a_waiting_time(cast, client_for):
    _make(cast, 1, stage=Stage.LIVE, days=90, go_live_date=date(2026, 4, 1))
    body = client_for(cast.operator).get(BOARD).content.decode()
    live = body.split('aria-label="本番稼働"')[1].split("</section>")[0]
    assert "2026-04-01" in live
    assert 'class="wait"' not in live


def test_stuck_cards_are_marked_by_the_stage_threshold_setting(cast, client_for, settings):
    settings.PMH_STUCK_DAYS = {**settings.PMH_STUCK_DAYS, "testing": 10}
    _make(cast, 1, stage=Stage.TESTING, days=12)
    _make(cast, 1, stage=Stage.TESTING, days=5)
    client = client_for(cast.operator)
    body = client.get(BOARD).content.decode()
    assert body.count('class="board-card stuck"') == 1
    stuck_only = client.get(LIST, {"stuck": "on"}).content.decode()
    assert len(re.findall(r'<tr class="stuck', stuck_only)) == 1
    settings.PMH_STUCK_DAYS = {**settings.PMH_STUCK_DAYS, "testing": 20}
    assert 'class="board-card stuck"' not in client.get(BOARD).content.decode()


def test_list_filters_by_waiting_days_program_and_rejects_bad_input(cast, client_for):
    _make(cast, 1, days=40, programs=["88136015"])
    _make(cast, 1, days=1, programs=["83010017"])
    client = client_for(cast.operator)
    assert "1 件" in client.get(LIST, {"waiting": "30"}).content.decode()
    assert "1 件" in client.get(LIST, {"program": "88136015"}).content.decode()
    assert "1 件" in client.get(LIST, {"program": "83"}).content.decode()
    bad = client.get(LIST, {"waiting": "-3"})
    assert bad.status_code == 200 and "0 件" in bad.content.decode()
    assert client.get(LIST, {"program": "abc"}).status_code == 200


def test_vendor_sees_only_its_own_integrations_on_board_and_list(cast, client_for):
    _make(cast, 2, vendor=cast.vendor_b, municipality=cast.sapporo)
    client = client_for(cast.alice)
    for url in (BOARD, LIST):
        body = client.get(url).content.decode()
        assert "札幌市" not in body and "千代田区" in body
    # The vendor filter offers only its own vendor.
    assert "ベンダーB" not in client.get(BOARD).content.decode()


def test_board_queries_do_not_grow_with_the_number_of_integrations(cast, client_for):
    for stage in Stage.values:
        _make(cast, 1, stage=stage, go_live_date=date(2026, 4, 1))
    client = client_for(cast.operator)
    client.get(BOARD)
    with CaptureQueriesContext(connection) as small:
        client.get(BOARD, {"vendor": "vendor-a"})
    seed_national(prefectures={13, 47})
    assert Municipality.objects.count() > 60
    with CaptureQueriesContext(connection) as large:
        body = client.get(BOARD, {"vendor": "vendor-a"}).content.decode()
    assert len(large) <= len(small)
    assert _cards(body) <= 7 * 20
