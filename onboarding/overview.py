"""Data behind the onboarding board and the prefecture overview."""

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from onboarding import stuck
from onboarding.models import STAGE_ORDER, Integration, Municipality, Stage
from onboarding.rows import board_cards

PREFECTURES = [
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
]  # fmt: skip
NOT_STARTED = "none"
# What a board card shows (onboarding/rows.py `_card`): nothing else is read for 140 cards.
CARD_FIELDS = (
    "stage", "stage_changed_at", "go_live_date", "business_system",
    "municipality__code", "municipality__prefecture", "municipality__city", "vendor__name",
)  # fmt: skip


def board_columns(integrations: QuerySet[Integration], *, limit: int, now=None) -> list[dict]:
    """One column per stage: its count, how many are stuck, and the `limit` cards waiting
    longest (live: the latest go-lives). Queries: one for the counts, one per stage."""
    now = now or timezone.now()
    counts = {
        row["stage"]: row
        for row in integrations.order_by()
        .values("stage")
        .annotate(n=Count("pk"), stuck=Count("pk", filter=stuck.stuck_q(now)))
    }
    cards = _longest_waiting(integrations, limit)
    columns = []
    for value, label in Stage.choices:
        row = counts.get(value, {"n": 0, "stuck": 0})
        items = cards.get(value, [])
        columns.append(
            {
                "value": value,
                "label": label,
                "items": items,
                "cards": board_cards(value, items, now),
                "count": row["n"],
                "stuck": row["stuck"],
            }
        )
    return columns


def _longest_waiting(integrations, limit: int) -> dict[str, list[Integration]]:
    """The first `limit` of each stage in three queries: a row number per stage over the keys
    alone (the waiting stages by time in stage, the live column by latest go-live), then those
    cards with their municipality and vendor. Ranking narrow rows keeps the sort of a
    national board (several thousand integrations) cheap (issue 22.6)."""
    ranks: dict[int, tuple[str, int]] = {}
    for live, order in (
        (False, [F("stage_changed_at").asc(), F("pk").asc()]),
        (True, [F("go_live_date").desc(nulls_last=True), F("pk").desc()]),
    ):
        scope = (
            integrations.filter(stage=Stage.LIVE)
            if live
            else integrations.exclude(stage=Stage.LIVE)
        )
        ranked = (
            scope.order_by()
            .annotate(rank=Window(RowNumber(), partition_by=[F("stage")], order_by=order))
            .filter(rank__lte=limit)
            .values_list("pk", "stage", "rank")
        )
        ranks.update((pk, (stage, rank)) for pk, stage, rank in ranked)
    by_stage: dict[str, list[Integration]] = defaultdict(list)
    cards = integrations.order_by().filter(pk__in=list(ranks)).only(*CARD_FIELDS) if ranks else []
    for integration in sorted(cards, key=lambda i: ranks[i.pk]):
        by_stage[integration.stage].append(integration)
    return by_stage


@dataclass
class PrefectureRow:
    code: str
    name: str
    total: int
    segments: list[dict]


def prefecture_rows(
    municipalities: QuerySet[Municipality], integrations: QuerySet[Integration]
) -> list[PrefectureRow]:
    """Per prefecture, how many municipalities are at each stage (their most advanced
    integration counts), plus those with no integration yet."""
    best: dict[str, int] = {}
    for code, stage in integrations.values_list("municipality__code", "stage"):
        best[code] = max(best.get(code, -1), STAGE_ORDER.index(stage))
    counts: dict[str, Counter] = defaultdict(Counter)
    for code, prefecture in municipalities.values_list("code", "prefecture"):
        stage = STAGE_ORDER[best[code]] if code in best else NOT_STARTED
        counts[prefecture][stage] += 1
    rows = []
    for index, name in enumerate(PREFECTURES, start=1):
        counter = counts.get(name, Counter())
        total = sum(counter.values())
        segments = [
            {"stage": stage, "count": counter[stage]}
            for stage in [NOT_STARTED, *STAGE_ORDER]
            if counter[stage]
        ]
        rows.append(PrefectureRow(f"{index:02d}", name, total, segments))
    return rows


def layout_bars(rows: list[PrefectureRow], width: int = 560) -> tuple[list[dict], int]:
    """x positions and widths of each stacked bar (scaled to the largest prefecture)."""
    largest = max((r.total for r in rows), default=0) or 1
    bars = []
    for i, row in enumerate(rows):
        x = 0.0
        parts = []
        for seg in row.segments:
            w = seg["count"] / largest * width
            parts.append({**seg, "x": round(x, 1), "w": round(max(w, 1.5), 1)})
            x += w
        started = row.total - sum(s["count"] for s in row.segments if s["stage"] == NOT_STARTED)
        share = round(started * 100 / row.total) if row.total else None
        bars.append({"row": row, "y": i * 22, "parts": parts, "end": round(x, 1), "share": share})
    return bars, largest
