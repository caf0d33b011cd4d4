"""Issue 18 points 7, 8 and 14: the raw values it names, one sort arrow, the latency axis,
the shared pager, counts in the navigation, the Japanese job queue page."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from connectivity import selectors
from connectivity.models import ProbeResult
from connectivity.services import target_create
from console.audit import Action, record
from console.tables import PAGE_SIZES
from helpdesk.services import error_item_record
from tests.daily.test_no_english import offences, visible_text

pytestmark = pytest.mark.django_db


USERS = {"operator", "helpdesk", "alice", "bob", "chiyo", "sato", "mallory"}


def _english(html: str) -> list:
    return offences(visible_text(html)[0], USERS)


def _words(html: str) -> str:
    parts, _links = visible_text(html)
    return " ".join(" ".join(p.split()) for p in parts)


# -- point 7 -------------------------------------------------------------------------------


def test_audit_details_read_as_japanese_labels(cast, client_for):
    record(None, Action.EXPORT, user=cast.operator, list="audit", filters={}, rows=69)
    record(None, Action.SIGN_OUT, user=cast.operator, reason="idle")
    record(None, Action.SIGN_IN_FAILED, username="mallory", locked_out=True)
    text = _words(client_for(cast.operator).get(reverse("dashboard:audit")).content.decode())
    assert "一覧：監査記録" in text and "絞り込み条件：なし" in text or "：なし" in text
    assert "69 行" in text
    assert "一定時間操作がなかったため" in text
    assert "はい（失敗が続いたためロック）" in text
    for raw in ("list=", "filters=", "rows=", "reason=idle", "locked_out=True"):
        assert raw not in text, raw


def test_error_item_page_shows_no_reason_code_channel_value_or_server_path(cast, client_for):
    path = "/srv/pmh/dropbox/131016/error/20261204-report.xlsx"
    item = error_item_record(
        kind="rejected",
        code="folder_not_text",
        title="テキストファイルではありません。",
        integration=cast.integration_a,
        channel="folder",
        source=path,
    )
    mail_item = error_item_record(
        kind="quarantine",
        code="unknown_sender",
        title="登録されていない送信者からのメールです。",
        channel="mail",
        source="quarantine <abc@example.invalid>",
        detail="From: someone@example.invalid\nSubject: 送付",
    )
    failed = error_item_record(
        kind="failure", code="failed", title="千代田区 x.csv: 処理できません", channel="web"
    )
    client = client_for(cast.helpdesk)
    page = _words(client.get(reverse("helpdesk:item", args=[item.pk])).content.decode())
    assert "共有フォルダ：テキストファイルではない" in page
    assert "エラーフォルダ内：20261204-report.xlsx" in page
    assert "/srv/pmh" not in page and "folder_not_text" not in page
    assert not re.search(r"\bfolder\b", page)
    page = _words(client.get(reverse("helpdesk:item", args=[mail_item.pk])).content.decode())
    assert "登録されていない送信者" in page and "隔離したメール" in page
    assert "差出人： someone@example.invalid" in page and "件名： 送付" in page
    assert "unknown_sender" not in page and "From:" not in page
    page = _words(client.get(reverse("helpdesk:item", args=[failed.pk])).content.decode())
    assert "処理の失敗" in page and not re.search(r"\bfailed\b|\bweb\b", page)
    queue = _words(client.get(reverse("helpdesk:queue")).content.decode())
    assert "unknown_sender" not in queue and "folder_not_text" not in queue
    assert not _english(client.get(reverse("helpdesk:queue")).content.decode())


def test_the_mine_filter_defaults_to_everyone_not_unknown(cast, client_for):
    html = client_for(cast.helpdesk).get(reverse("helpdesk:queue")).content.decode()
    select = re.search(r'<select name="mine"[^>]*>(.*?)</select>', html, re.S).group(1)
    assert "不明" not in select and "全員の担当" in select and "自分の担当のみ" in select


def test_target_page_failure_class_and_tabs_are_labels(cast, client_for):
    probe = target_create(
        integration=cast.integration_a,
        name="t",
        url="http://127.0.0.1:9/",
        kind="http",
        route="lgwan",
    )
    ProbeResult.objects.create(
        probe=probe, started_at=timezone.now(), ok=False, error_class="refused",
        failed_phase="connect", connect_ms=2.0,
    )  # fmt: skip
    html = client_for(cast.operator).get(reverse("connectivity:target", args=[probe.pk]))
    text = _words(html.content.decode())
    assert "接続拒否" in text and "refused" not in text
    assert "24時間" in text.replace(" ", "") and "24h" not in text and "7d" not in text
    assert not _english(html.content.decode())


def test_stage_and_status_words_are_consistent(cast, client_for):
    from django.utils.translation import gettext, override

    with override("ja"):
        assert gettext("Network OK") == "疎通確認済み"
        assert gettext("Down") != "停止" and gettext("Paused") == "一時停止"


# -- point 8 -------------------------------------------------------------------------------


def test_latency_axis_has_real_values_and_a_unit(cast):
    probe = target_create(
        integration=None, name="t", url="http://127.0.0.1:9/", kind="http", route="lgwan"
    )
    empty = selectors.latency_chart(probe.pk)
    labels = [t["label"] for t in empty.ticks]
    assert len(set(labels)) == len(labels) and all(label.endswith(" ms") for label in labels)
    ProbeResult.objects.create(
        probe=probe, started_at=timezone.now(), ok=True, dns_ms=1.0, connect_ms=3.0,
        tls_ms=None, first_byte_ms=30.0,
    )  # fmt: skip
    chart = selectors.latency_chart(probe.pk)
    assert [t["label"] for t in chart.ticks] == ["0 ms", "12.5 ms", "25 ms", "37.5 ms", "50 ms"]
    titles = [s["label"] for b in chart.bars for s in b.segments]
    assert "最初の応答" in [str(t) for t in titles]


def test_a_sorted_column_shows_one_arrow(cast, client_for):
    html = client_for(cast.operator).get(reverse("helpdesk:history"), {"sort": "-received_at"})
    head = re.search(r"<thead>.*?</thead>", html.content.decode(), re.S).group(0)
    assert "▼" not in head and "▲" not in head  # the stylesheet draws the one arrow
    assert 'aria-sort="descending"' in head


def test_run_now_says_the_result_when_it_is_already_shown(cast, client_for, monkeypatch):
    from connectivity import services

    probe = target_create(
        integration=None, name="t", url="http://127.0.0.1:9/", kind="http", route="lgwan"
    )

    def run_at_once(*, probe):
        ProbeResult.objects.create(
            probe=probe, started_at=timezone.now(), ok=False, error_class="refused"
        )

    monkeypatch.setattr(services, "probe_run_request", run_at_once)
    url = reverse("connectivity:target_run", args=[probe.pk])
    page = client_for(cast.operator).post(url, follow=True).content.decode()
    assert "確認を実行しました。失敗です（接続拒否）。" in page and "再読み込み" not in page


# -- point 14 ------------------------------------------------------------------------------


def _many_items(cast, n):
    for i in range(n):
        error_item_record(
            kind="rejected", code=f"V_X{i}", title=f"t{i}", integration=cast.integration_a
        )


def test_pager_has_numbers_first_last_and_page_sizes(cast, client_for):
    _many_items(cast, 120)
    client = client_for(cast.helpdesk)
    html = client.get(reverse("helpdesk:queue"), {"page": 2}).content.decode()
    pager = re.search(r'<nav class="pagination-bar".*?</nav>', html, re.S).group(0)
    assert 'title="最初のページ"' in pager and 'title="最後のページ"' in pager
    assert re.search(r'aria-current="page">2<', pager)
    assert "page=3" in pager and "1ページの行数" in pager
    for size in PAGE_SIZES:
        assert f"per_page={size}" in pager or f'aria-current="true">{size}<' in pager
    hundred = client.get(reverse("helpdesk:queue"), {"per_page": 100}).content.decode()
    assert hundred.count('name="items"') == 100
    for crafted in ("0", "-5", "100000", "x"):
        response = client.get(reverse("helpdesk:queue"), {"per_page": crafted})
        assert response.status_code == 200
        assert response.content.decode().count('name="items"') == 50, crafted


def test_tables2_lists_use_the_shared_pager(cast, client_for):
    from onboarding.models import Municipality

    Municipality.objects.bulk_create(
        Municipality(code=f"{100000 + i:06d}", prefecture="東京都", city=f"市{i}")
        for i in range(60)
    )
    html = client_for(cast.operator).get(reverse("onboarding:municipality_list")).content.decode()
    assert 'class="pagination-bar"' in html and "Table navigation" not in html


def test_navigation_counts_what_waits(cast, client_for):
    _many_items(cast, 3)
    html = client_for(cast.helpdesk).get("/").content.decode()
    entry = re.search(r'<a href="/errors/"[^>]*>(.*?)</a>', html, re.S).group(1)
    assert re.search(r'class="nav-count"[^>]*>3<', entry)
    vendor = client_for(cast.alice).get("/").content.decode()
    assert "nav-count" not in vendor


# -- the job queue page (point 7) ----------------------------------------------------------


def test_job_queue_page_is_japanese_and_for_operators_only(cast, client_for, settings):
    settings.PMH_JOBS_INLINE = True
    html = client_for(cast.operator).get(reverse("django_rq:home"))
    assert html.status_code == 200
    assert "表示するキューはありません" in html.content.decode()
    assert not _english(html.content.decode())
    assert client_for(cast.helpdesk).get(reverse("django_rq:home")).status_code == 403


def test_job_queue_page_lists_queues_and_failed_jobs(cast, client_for, settings, monkeypatch):
    from console import queues

    class Registry:
        def __init__(self, count, ids=()):
            self.count, self.ids = count, list(ids)

        def get_job_ids(self, *args):
            return self.ids

    class Job:
        id, func_name, ended_at = "0f1e2d3c4b5a", "uploads.jobs.validate", timezone.now()
        exc_info = "Traceback...\nValueError: boom"

    class Queue:
        name, count, connection = "validation", 4, None
        started_job_registry = scheduled_job_registry = deferred_job_registry = Registry(0)
        finished_job_registry = Registry(7)
        failed_job_registry = Registry(1, [Job.id])

        class job_class:  # noqa: N801
            @staticmethod
            def fetch_many(ids, connection):
                return [Job()]

    settings.PMH_JOBS_INLINE = False
    monkeypatch.setattr(queues, "_queues", lambda: [Queue()])
    monkeypatch.setattr("rq.Worker.count", lambda queue: 2)
    html = client_for(cast.operator).get(reverse("django_rq:home")).content.decode()
    text = _words(html)
    assert "検証" in text and "失敗したジョブ：検証" in text and "再投入" in text
    assert reverse("django_rq:requeue_job", args=[0, Job.id]) in html
    assert not _english(html)


def test_usb_handover_button_only_where_the_route_is_usb(cast, client_for):
    client = client_for(cast.operator)
    media = reverse("intake:media_list", args=[cast.integration_a.pk])
    cast.integration_a.route = "lgwan"
    cast.integration_a.save()
    detail = reverse("onboarding:integration_detail", args=[cast.integration_a.pk])
    assert media not in client.get(detail).content.decode()
    cast.integration_a.route = "usb"
    cast.integration_a.save()
    assert media in client.get(detail).content.decode()


def test_prefecture_chart_links_to_the_filtered_list_and_shows_the_share(cast, client_for):
    from onboarding.models import Municipality

    Municipality.objects.create(code="132012", prefecture="東京都", city="八王子市")
    html = client_for(cast.operator).get(reverse("onboarding:prefectures")).content.decode()
    link = reverse("onboarding:municipality_list") + "?prefecture=%E6%9D%B1%E4%BA%AC%E9%83%BD"
    assert f'<a href="{link}">' in html
    assert "2 (50%)" in html  # 千代田区 has an integration, 八王子市 not yet
    listed = client_for(cast.operator).get(link).content.decode()
    assert "八王子市" in listed and "札幌市" not in listed
