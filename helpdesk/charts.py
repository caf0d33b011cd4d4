"""Submissions per day as an SVG bar chart drawn on the server (no script, no CDN)."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from uploads.models import Status, Verdict
from uploads.selectors import day_bounds

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 640, 180, 16, 28, 32


@dataclass
class Day:
    day: date
    accepted: int = 0
    rejected: int = 0
    other: int = 0

    @property
    def total(self) -> int:
        return self.accepted + self.rejected + self.other


def daily_counts(
    submissions: QuerySet, *, today: date, days: int, hide_review: bool = False
) -> list[Day]:
    """One query: counts per Asia/Tokyo day; a vendor's results in review count as `other`."""
    first = today - timedelta(days=days - 1)
    visible = ~Q(status=Status.REVIEW) if hide_review else Q()
    rows = (
        submissions.filter(received_at__gte=day_bounds(first)[0])
        .order_by()
        .annotate(day=TruncDate("received_at", tzinfo=timezone.get_default_timezone()))
        .values("day")
        .annotate(
            total=Count("id"),
            accepted=Count("id", filter=Q(verdict=Verdict.ACCEPTED) & visible),
            rejected=Count("id", filter=Q(verdict=Verdict.REJECTED) & visible),
        )
    )
    by_day = {r["day"]: r for r in rows}
    out = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        r = by_day.get(day, {"total": 0, "accepted": 0, "rejected": 0})
        out.append(
            Day(day, r["accepted"], r["rejected"], r["total"] - r["accepted"] - r["rejected"])
        )
    return out


@dataclass
class Bar:
    x: float
    width: float
    parts: list  # (css class, y, height)
    label: str
    title: str


def daily_chart(days: list[Day]) -> dict:
    """Geometry for templates/helpdesk/_daily_chart.svg: stacked bars and a few axis labels."""
    peak = max((d.total for d in days), default=0) or 1
    plot_h = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT) / max(len(days), 1)
    bars = []
    for i, d in enumerate(days):
        y = HEIGHT - BOTTOM
        parts = []
        for css, n in (("accepted", d.accepted), ("rejected", d.rejected), ("other", d.other)):
            h = plot_h * n / peak
            if n:
                parts.append((css, round(y - h, 1), round(h, 1)))
            y -= h
        every = max(1, len(days) // 7)
        label = d.day.strftime("%m/%d") if i % every == 0 or i == len(days) - 1 else ""
        title = f"{d.day:%Y-%m-%d}: {d.total} ({d.accepted} / {d.rejected} / {d.other})"
        bars.append(
            Bar(round(LEFT + i * step + step * 0.15, 1), round(step * 0.7, 1), parts, label, title)
        )
    return {
        "bars": bars,
        "peak": peak,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "top": TOP,
        "baseline": HEIGHT - BOTTOM,
        "label_y": HEIGHT - 10,
        "total": sum(d.total for d in days),
    }
