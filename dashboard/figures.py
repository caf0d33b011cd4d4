"""The figures of the dashboard, each scoped through the access helpers."""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from console.access import is_operator, is_staff_role, role_of
from console.queues import QUEUE_LABELS
from helpdesk.charts import daily_chart, daily_counts
from helpdesk.models import CLOSED_STATES, ErrorItem
from onboarding import stuck
from onboarding.access import integrations_for, municipalities_for
from onboarding.models import Stage
from uploads.access import submissions_for
from uploads.models import Channel, Status, Verdict
from uploads.selectors import day_bounds, late_integrations

LATE_SHOWN = 20
STUCK_SHOWN = 20
CODES_SHOWN = 8
OLDEST_SHOWN = 5
CHART_DAYS = 14
WEEK = 7
TOP_CODES_SQL = (
    "SELECT c.key, SUM(c.value::bigint) AS n, COUNT(*) AS submissions"
    " FROM ({inner}) s CROSS JOIN LATERAL jsonb_each_text(s.report -> 'counts') c"
    " GROUP BY c.key ORDER BY n DESC, c.key LIMIT %s"
)


def context_for(user) -> dict:
    integrations = integrations_for(user)
    by_stage = dict(
        integrations.order_by()
        .values_list("stage")
        .annotate(n=Count("id"))
        .values_list("stage", "n")
    )
    stages = [
        {"value": value, "label": label, "count": by_stage.get(value, 0)}
        for value, label in Stage.choices
    ]
    stuck_ones = integrations.filter(stuck.stuck_q()).order_by("stage_changed_at", "pk")
    late = late_integrations(integrations, today=timezone.localdate()).order_by(
        "municipality__code"
    )
    return {
        "late": late[:LATE_SHOWN],
        "late_count": late.count(),
        "stuck": _with_days(stuck_ones[:STUCK_SHOWN]),
        "stuck_count": stuck_ones.count(),
        "municipality_count": municipalities_for(user).count(),
        "integration_count": sum(by_stage.values()),
        "live_count": by_stage.get(Stage.LIVE, 0),
        "stages": stages,
        **submission_figures(user),
        "oldest_errors": oldest_open_errors(user),
        "open_error_count": open_error_count(user),
        "queue_health": queue_health() if is_operator(user) else None,
    }


def _with_days(integrations) -> list:
    items = list(integrations)
    for integration in items:
        integration.days_waiting = stuck.days_waiting(integration)
    return items


def submission_figures(user) -> dict:
    """Today and the last seven days (Asia/Tokyo) by status and channel, with the chart."""
    today = timezone.localdate()
    staff = is_staff_role(user)
    submissions = submissions_for(user)
    week = submissions.filter(received_at__gte=day_bounds(today - timedelta(days=WEEK - 1))[0])
    # One grouped count (at most statuses × channels × verdicts rows) serves three panels.
    groups = list(
        week.order_by()
        .values("status", "channel", "verdict")
        .annotate(
            week=Count("id"), today=Count("id", filter=Q(received_at__gte=day_bounds(today)[0]))
        )
    )
    by_status = _split(groups, "status", Status.choices)
    return {
        "by_status": by_status,
        "today_total": sum(r["today"] for r in by_status),
        "week_total": sum(r["week"] for r in by_status),
        "by_channel": _split(groups, "channel", Channel.choices),
        "acceptance": _acceptance([g for g in groups if staff or g["status"] != Status.REVIEW]),
        **_kept(
            user,
            today,
            lambda: {
                "top_codes": _top_codes(week if staff else week.exclude(status=Status.REVIEW)),
                "chart": daily_chart(
                    daily_counts(submissions, today=today, days=CHART_DAYS, hide_review=not staff)
                ),
            },
        ),
        "chart_days": CHART_DAYS,
    }


def _kept(user, today, compute) -> dict:
    """The week's top codes and the two weeks' chart read every report and every submission
    of their span: kept `PMH_DASHBOARD_CACHE_SECONDS` per scope and day (issue 22.6); the
    counts by status and channel beside them stay live."""
    seconds = settings.PMH_DASHBOARD_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    if is_staff_role(user):
        scope = "staff"  # operators and the help desk see the same submissions
    else:
        role = getattr(role_of(user), "value", "none")
        scope = f"{role}-{user.vendor_id}-{user.municipality_id}"
    key = f"dashboard:{scope}:{today.isoformat()}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, seconds)
    return found


def _split(groups: list[dict], field: str, choices) -> list[dict]:
    return [
        {
            "value": value,
            "label": label,
            "today": sum(g["today"] for g in groups if g[field] == value),
            "week": sum(g["week"] for g in groups if g[field] == value),
        }
        for value, label in choices
    ]


def _acceptance(groups: list[dict]) -> dict:
    accepted = sum(g["week"] for g in groups if g["verdict"] == Verdict.ACCEPTED)
    rejected = sum(g["week"] for g in groups if g["verdict"] == Verdict.REJECTED)
    decided = accepted + rejected
    rate = round(100 * accepted / decided, 1) if decided else None
    return {"accepted": accepted, "rejected": rejected, "decided": decided, "rate": rate}


def _top_codes(week: QuerySet) -> list[dict]:
    """The most frequent codes of the week, summed from each report's per-code counts.

    The report already holds the count of every code (record-layout.md §8), so the week's few
    thousand reports are read instead of its million issue rows.
    """
    submissions = week.order_by().filter(report__has_key="counts")
    if connection.vendor == "postgresql":
        inner, params = submissions.values("report").query.sql_with_params()
        with connection.cursor() as cursor:
            # The inner query is Django's own, its parameters passed apart.
            cursor.execute(TOP_CODES_SQL.replace("{inner}", inner), (*params, CODES_SHOWN))
            rows = cursor.fetchall()
    else:
        totals: dict[str, list[int]] = {}
        for counts in submissions.values_list("report__counts", flat=True).iterator():
            for code, n in (counts or {}).items():
                entry = totals.setdefault(code, [0, 0])
                entry[0] += n
                entry[1] += 1
        rows = sorted(((c, n, k) for c, (n, k) in totals.items()), key=lambda r: (-r[1], r[0]))
    return [{"code": c, "n": n, "submissions": k} for c, n, k in rows[:CODES_SHOWN]]


def open_error_count(user) -> int:
    if not is_staff_role(user):
        return 0
    return ErrorItem.objects.exclude(state__in=CLOSED_STATES).count()


def oldest_open_errors(user) -> list[ErrorItem]:
    if not is_staff_role(user):
        return []
    return list(
        ErrorItem.objects.exclude(state__in=CLOSED_STATES)
        .select_related("integration__municipality", "assignee")
        .order_by("first_seen")[:OLDEST_SHOWN]
    )


def queue_health() -> dict:
    """RQ queue lengths, workers and failed jobs; "inline" when jobs run in the web process."""
    if settings.PMH_JOBS_INLINE:
        return {"mode": "inline", "queues": []}
    try:
        import django_rq
        from rq import Worker

        queues = []
        for name in settings.RQ_QUEUE_NAMES:
            queue = django_rq.get_queue(name)
            queues.append(
                {
                    "name": name,
                    "label": QUEUE_LABELS.get(name, name),
                    "queued": queue.count,
                    "workers": Worker.count(queue=queue),
                    "failed": queue.failed_job_registry.count,
                }
            )
        return {"mode": "rq", "queues": queues}
    except Exception as exc:  # Redis down: the dashboard still renders, and says so.
        return {"mode": "error", "queues": [], "error": str(exc)[:200]}
