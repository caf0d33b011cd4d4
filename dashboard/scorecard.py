"""Vendor scorecards (issue 22.5): per vendor, its integrations by stage and prefecture, the
acceptance rate of its test submissions, the issue codes its files carry most often across all
its municipalities (what to fix in its product), and the median days its integrations spent in
each stage.

Everything is computed with a fixed number of grouped queries whatever the number of vendors or
integrations; the scope is the user's (`integrations_for`, `submissions_for`), so a vendor's
scorecard counts only its own and never a verdict still held in review.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from console.access import is_staff_role
from onboarding.models import STAGE_ORDER, IntegrationEvent, Stage, Vendor
from onboarding.overview import PREFECTURES
from uploads.models import Status, Verdict

CODES_SHOWN = 5
# Most frequent codes from each report's per-code counts (record-layout.md §8): the reports are
# read instead of the issue rows, which number a hundred times more.
VENDOR_CODES_SQL = (
    "SELECT s.vendor_id, c.key, SUM(c.value::bigint) AS n"
    " FROM ({inner}) s CROSS JOIN LATERAL jsonb_each_text(s.report -> 'counts') c"
    " GROUP BY s.vendor_id, c.key"
)


@dataclass
class Scorecard:
    vendor: Vendor
    by_stage: dict[str, int] = field(default_factory=dict)
    by_prefecture: dict[str, dict[str, int]] = field(default_factory=dict)
    accepted: int = 0
    rejected: int = 0
    codes: list[tuple[str, int]] = field(default_factory=list)
    median_days: dict[str, float | None] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_stage.values())

    @property
    def rate(self) -> float | None:
        decided = self.accepted + self.rejected
        return round(100 * self.accepted / decided, 1) if decided else None

    @property
    def stage_cells(self) -> list[dict]:
        return [
            {
                "value": v,
                "label": label,
                "count": self.by_stage.get(v, 0),
                "median": self.median_days.get(v),
            }
            for v, label in Stage.choices
        ]

    @property
    def prefecture_rows(self) -> list[dict]:
        return [
            {
                "name": name,
                "total": sum(c.values()),
                "cells": [c.get(v, 0) for v in STAGE_ORDER],
            }
            for name, c in self.by_prefecture.items()
        ]


def cached(user, compute, part: str) -> tuple[list[Scorecard], datetime]:
    """Scorecards change slowly and read the whole submission history: they are kept
    `PMH_SCORECARD_CACHE_SECONDS` per scope (staff, or the vendor) and say when they were made."""
    seconds = settings.PMH_SCORECARD_CACHE_SECONDS
    scope = "staff" if is_staff_role(user) else f"vendor-{user.vendor_id}"
    key = f"scorecards:{scope}:{part}"
    found = cache.get(key) if seconds > 0 else None
    if found is None:
        found = (compute(), timezone.now())
        if seconds > 0:
            cache.set(key, found, seconds)
    return found


def scorecards(
    user, vendors: QuerySet[Vendor], integrations, submissions, *, prefectures: bool = False
) -> list[Scorecard]:
    cards = {v.pk: Scorecard(vendor=v) for v in vendors}
    integrations = integrations.filter(vendor__in=list(cards))
    for vendor_id, stage, n in (
        integrations.order_by().values_list("vendor_id", "stage").annotate(n=Count("pk"))
    ):
        cards[vendor_id].by_stage[stage] = n
    if prefectures:
        _prefectures(cards, integrations)
    visible = submissions.filter(integration__vendor_id__in=list(cards))
    if not is_staff_role(user):
        visible = visible.exclude(status=Status.REVIEW)
    _acceptance(cards, visible)
    _codes(cards, visible)
    _medians(cards, integrations)
    return list(cards.values())


def _prefectures(cards, integrations) -> None:
    rows = (
        integrations.order_by()
        .values_list("vendor_id", "municipality__prefecture", "stage")
        .annotate(n=Count("pk"))
    )
    order = {name: index for index, name in enumerate(PREFECTURES)}
    for vendor_id, prefecture, stage, n in sorted(rows, key=lambda r: order.get(r[1], 99)):
        cards[vendor_id].by_prefecture.setdefault(prefecture, {})[stage] = n


def _acceptance(cards, submissions) -> None:
    rows = (
        submissions.order_by()
        .values_list("integration__vendor_id")
        .annotate(
            accepted=Count("pk", filter=Q(verdict=Verdict.ACCEPTED)),
            rejected=Count("pk", filter=Q(verdict=Verdict.REJECTED)),
        )
    )
    for vendor_id, accepted, rejected in rows:
        cards[vendor_id].accepted, cards[vendor_id].rejected = accepted, rejected


def _codes(cards, submissions) -> None:
    rejected = submissions.order_by().filter(verdict=Verdict.REJECTED, report__has_key="counts")
    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if connection.vendor == "postgresql":
        inner, params = rejected.values(
            "report", vendor_id=F("integration__vendor_id")
        ).query.sql_with_params()
        with connection.cursor() as cursor:
            # The inner query is Django's own, its parameters passed apart.
            cursor.execute(VENDOR_CODES_SQL.replace("{inner}", inner), params)
            for vendor_id, code, n in cursor.fetchall():
                totals[vendor_id][code] += n
    else:
        for vendor_id, counts in rejected.values_list(
            "integration__vendor_id", "report__counts"
        ).iterator(chunk_size=2000):
            for code, n in (counts or {}).items():
                totals[vendor_id][code] += n
    for vendor_id, counts in totals.items():
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        cards[vendor_id].codes = ranked[:CODES_SHOWN]


def _medians(cards, integrations) -> None:
    """Days spent in each stage, from one move to the next (the current stay is not over)."""
    events = (
        IntegrationEvent.objects.filter(
            kind=IntegrationEvent.Kind.STAGE, integration__in=integrations.values("pk")
        )
        .order_by("integration_id", "at", "id")
        .values_list("integration_id", "integration__vendor_id", "new_value", "at")
    )
    spent: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    previous = None
    for integration_id, vendor_id, stage, at in events.iterator(chunk_size=5000):
        if previous and previous[0] == integration_id:
            days = (at - previous[2]).total_seconds() / 86400
            spent[vendor_id][previous[1]].append(days)
        previous = (integration_id, stage, at)
    for vendor_id, stages in spent.items():
        cards[vendor_id].median_days = {
            stage: round(statistics.median(values), 1) for stage, values in stages.items()
        }
