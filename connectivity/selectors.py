"""Read-side figures for the pages: uptime per window and the latency chart by phase.

Hours before the roll-up watermark are read from ProbeRollup, later runs from ProbeResult, so
a 30-day figure touches at most 720 roll-up rows per target whatever the interval.
"""

import dataclasses
import datetime
from collections import defaultdict

from django.db.models import Count, F, Q, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connectivity.models import ProbeResult, ProbeRollup
from connectivity.services import rollup_watermark

WINDOWS = {
    "24h": datetime.timedelta(hours=24),
    "7d": datetime.timedelta(days=7),
    "30d": datetime.timedelta(days=30),
}
HOUR = datetime.timedelta(hours=1)
PHASES = ("dns", "connect", "tls", "first_byte")
PHASE_NAMES = {
    "dns": _("Name resolution"),
    "connect": _("Connect"),
    "tls": _("TLS handshake"),
    "first_byte": _("First byte"),
}
PHASE_COLOURS = {
    "dns": "#7fb0ea",
    "connect": "#1f5fa8",
    "tls": "#1e7b4b",
    "first_byte": "#9a5b00",
}


def uptime_figures(
    probe_ids: list[int], *, now: datetime.datetime | None = None
) -> dict[int, dict[str, float | None]]:
    """Percent of counted runs that passed, per target and window (None: no counted run)."""
    now = now or timezone.now()
    mark = rollup_watermark()
    tallies: dict[int, dict[str, list[int]]] = defaultdict(lambda: {k: [0, 0] for k in WINDOWS})
    if not probe_ids:
        return {}
    if mark is not None:
        rolled = ProbeRollup.objects.filter(
            probe_id__in=probe_ids, hour__gt=now - WINDOWS["30d"] - HOUR, hour__lt=mark
        )
        _add(tallies, rolled, "hour", "runs", "ok_runs", now, sum_fields=True)
    raw = ProbeResult.objects.filter(
        probe_id__in=probe_ids,
        suppressed="",
        started_at__gte=max(now - WINDOWS["30d"], mark or now - WINDOWS["30d"]),
    )
    _add(tallies, raw, "started_at", None, None, now, sum_fields=False)
    return {
        pid: {
            key: (round(100 * ok / runs, 2) if runs else None)
            for key, (runs, ok) in tallies[pid].items()
        }
        for pid in probe_ids
    }


def _add(tallies, queryset, time_field, runs_field, ok_field, now, *, sum_fields) -> None:
    annotations = {}
    for key, span in WINDOWS.items():
        # A roll-up hour counts when it overlaps the window (its start is less than 1 h before).
        since = now - span - (HOUR if sum_fields else datetime.timedelta(0))
        inside = Q(**{f"{time_field}__gt" if sum_fields else f"{time_field}__gte": since})
        if sum_fields:
            annotations[f"runs_{key}"] = Sum(runs_field, filter=inside)
            annotations[f"ok_{key}"] = Sum(ok_field, filter=inside)
        else:
            annotations[f"runs_{key}"] = Count("id", filter=inside)
            annotations[f"ok_{key}"] = Count("id", filter=inside & Q(ok=True))
    for row in queryset.values("probe_id").annotate(**annotations).order_by():
        for key in WINDOWS:
            tallies[row["probe_id"]][key][0] += row[f"runs_{key}"] or 0
            tallies[row["probe_id"]][key][1] += row[f"ok_{key}"] or 0


@dataclasses.dataclass
class Bar:
    x: float
    width: float
    segments: list[dict]  # {"phase", "y", "height", "fill", "ms"}
    failed: int
    runs: int
    label: str


@dataclasses.dataclass
class Chart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    bars: list[Bar]
    ticks: list[dict]  # y gridlines: {"y", "label"}
    xlabels: list[dict]
    legend: list[dict]
    max_ms: float
    empty: bool


def latency_chart(
    probe_id: int,
    *,
    span: datetime.timedelta = WINDOWS["24h"],
    now: datetime.datetime | None = None,
    buckets: int = 48,
) -> Chart:
    """Average time per phase in `buckets` slices of `span`, as stacked bars for an SVG."""
    now = now or timezone.now()
    since = now - span
    step = span / buckets
    sums = [defaultdict(float) for _ in range(buckets)]
    for moment, weight, values, failed in _samples(probe_id, since, now):
        index = min(int((moment - since) / step), buckets - 1)
        if index < 0:
            continue
        slot = sums[index]
        slot["runs"] += weight
        slot["failed"] += failed
        for phase in PHASES:
            if values.get(phase) is not None:
                slot[phase] += values[phase] * weight
                slot[f"n_{phase}"] += weight
    averages = [{p: (s[p] / s[f"n_{p}"] if s[f"n_{p}"] else 0.0) for p in PHASES} for s in sums]
    max_ms = max((sum(a.values()) for a in averages), default=0.0)
    return _layout(averages, sums, since, step, max_ms)


def _samples(probe_id, since, now):
    mark = rollup_watermark()
    raw_since = since if mark is None else max(since, mark)
    if mark is not None and mark > since:
        for r in ProbeRollup.objects.filter(probe_id=probe_id, hour__gte=since, hour__lt=mark):
            values = {
                "dns": r.avg_dns_ms,
                "connect": r.avg_connect_ms,
                "tls": r.avg_tls_ms,
                "first_byte": r.avg_first_byte_ms,
            }
            yield r.hour, r.runs + r.excluded_runs, values, r.runs - r.ok_runs
    rows = ProbeResult.objects.filter(
        probe_id=probe_id, started_at__gte=raw_since, started_at__lte=now
    ).values_list("started_at", "dns_ms", "connect_ms", "tls_ms", "first_byte_ms", "ok")
    for started_at, dns, connect, tls, first_byte, ok in rows:
        values = {"dns": dns, "connect": connect, "tls": tls, "first_byte": first_byte}
        yield started_at, 1, values, 0 if ok else 1


def _layout(averages, sums, since, step, max_ms) -> Chart:
    width, height, left, top, bottom = 720, 220, 48, 10, 190
    scale_max = _nice_ceiling(max_ms)
    plot_w = width - left - 8
    bar_w = plot_w / len(averages)
    bars = []
    for i, avg in enumerate(averages):
        y = float(bottom)
        segments = []
        for phase in PHASES:
            h = (avg[phase] / scale_max) * (bottom - top) if scale_max else 0
            if h > 0:
                y -= h
                segments.append(
                    {
                        "phase": phase,
                        "label": PHASE_NAMES[phase],
                        "y": round(y, 1),
                        "height": round(h, 1),
                        "fill": PHASE_COLOURS[phase],
                        "ms": round(avg[phase], 1),
                    }
                )
        start = timezone.localtime(since + step * i)
        bars.append(
            Bar(
                x=round(left + i * bar_w + 1, 1),
                width=round(max(bar_w - 2, 1), 1),
                segments=segments,
                failed=int(sums[i]["failed"]),
                runs=int(sums[i]["runs"]),
                label=f"{start:%m/%d %H:%M}",
            )
        )
    ticks = [
        {"y": round(bottom - (bottom - top) * f, 1), "label": f"{scale_max * f:g} ms"}
        for f in (0, 0.25, 0.5, 0.75, 1)
    ]
    xlabels = [
        {"x": bars[i].x, "label": bars[i].label}
        for i in range(0, len(bars), max(len(bars) // 4, 1))
    ]
    legend = [
        {"phase": p, "label": PHASE_NAMES[p], "fill": PHASE_COLOURS[p], "x": left + 130 * n}
        for n, p in enumerate(PHASES)
    ]
    return Chart(
        width=width,
        height=height,
        plot_top=top,
        plot_bottom=bottom,
        bars=bars,
        ticks=ticks,
        xlabels=xlabels,
        legend=legend,
        max_ms=round(max_ms, 1),
        empty=not any(s["runs"] for s in sums),
    )


def _nice_ceiling(value: float) -> float:
    if value <= 0:  # nothing measured yet: an axis of real values all the same (issue 18.8)
        return 10.0
    for candidate in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 60000):
        if value <= candidate:
            return float(candidate)
    return float(value)


HEARTBEATS = 30


@dataclasses.dataclass(frozen=True)
class Beat:
    started_at: datetime.datetime
    ok: bool
    suppressed: str
    error_class: str


def heartbeats(probe_ids: list[int], *, n: int = HEARTBEATS) -> dict[int, list[Beat]]:
    """The last `n` runs of each target, oldest first, in one query whatever the number of
    targets (a window function numbers each target's runs from the newest)."""
    if not probe_ids:
        return {}
    rank = Window(RowNumber(), partition_by=F("probe_id"), order_by=F("started_at").desc())
    rows = (
        ProbeResult.objects.filter(probe_id__in=probe_ids)
        .annotate(rank=rank)
        .filter(rank__lte=n)
        .order_by("probe_id", "started_at")
        .values_list("probe_id", "started_at", "ok", "suppressed", "error_class")
    )
    beats: dict[int, list[Beat]] = {pid: [] for pid in probe_ids}
    for probe_id, started_at, ok, suppressed, error_class in rows:
        beats[probe_id].append(Beat(started_at, ok, suppressed, error_class))
    return beats
