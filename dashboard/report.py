"""The evidence report of an integration (連携テスト結果報告書, issue 23).

On the roof because it reads every floor: choices and stages (onboarding), reachability
(connectivity), accepted submissions (uploads) and open error items (helpdesk). Free text a
person typed (reasons, comments, titles, file names) is masked like every page: 12-digit runs
keep their last four. The PDF is WeasyPrint's rendering of the same HTML as the print page.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone

from coderules.masking import mask_long_text
from connectivity import selectors as reach
from connectivity.models import Probe
from helpdesk.models import CLOSED_STATES, ErrorComment, ErrorItem
from onboarding.models import Integration, IntegrationEvent, Stage
from onboarding.rules import CHOICE_FIELDS
from uploads.models import Mode, Submission, Verdict

REPORT_CSS = settings.BASE_DIR / "static" / "css" / "report.css"
# One PDF holds at most this many integrations; a larger filtered list asks for a narrower one.
MAX_PER_PDF = 100
LATEST_SUCCESSES = 3
UPTIME_WINDOWS = ("24h", "7d", "30d")


@dataclass
class Report:
    integration: Integration
    generated_at: datetime
    choices: list[dict] = field(default_factory=list)
    decided_at: datetime | None = None
    timeline: list[IntegrationEvent] = field(default_factory=list)
    targets: list[dict] = field(default_factory=list)
    inbound: list = field(default_factory=list)
    submissions: list[Submission] = field(default_factory=list)
    error_items: list[ErrorItem] = field(default_factory=list)
    comments: list[dict] = field(default_factory=list)


def _masked(text: str) -> str:
    return mask_long_text(text or "")


def _choices(integration: Integration) -> list[dict]:
    decided = dict(
        integration.events.filter(kind=IntegrationEvent.Kind.CHOICE)
        .values_list("field")
        .annotate(at=Max("at"))
    )
    rows = []
    for name in CHOICE_FIELDS:
        model_field = Integration._meta.get_field(name)
        rows.append(
            {
                "label": model_field.verbose_name,
                "value": getattr(integration, f"get_{name}_display")() or "",
                "at": decided.get(
                    name, integration.created_at if getattr(integration, name) else None
                ),
            }
        )
    return rows


def _timeline(integration: Integration) -> list[IntegrationEvent]:
    events = list(
        integration.events.filter(kind=IntegrationEvent.Kind.STAGE)
        .select_related("by")
        .order_by("at", "id")
    )
    for event in events:
        event.reason = _masked(event.reason)
    return events


def _targets(integration: Integration, now: datetime) -> list[dict]:
    probes = list(Probe.objects.filter(integration=integration).order_by("name"))
    uptime = reach.uptime_figures([p.pk for p in probes], now=now)
    rows = []
    for probe in probes:
        successes = list(probe.results.filter(ok=True).order_by("-started_at")[:LATEST_SUCCESSES])
        figures = uptime.get(probe.pk, {})
        windows = [figures.get(key) for key in UPTIME_WINDOWS]
        rows.append({"probe": probe, "uptime": windows, "successes": successes})
    return rows


def _submissions(integration: Integration) -> list[Submission]:
    accepted = list(
        Submission.objects.filter(
            integration=integration,
            verdict=Verdict.ACCEPTED,
            mode__in=(Mode.FULL, Mode.DIFF),
        ).order_by("received_at", "pk")
    )
    for submission in accepted:
        submission.shown_name = _masked(submission.original_name)
    return accepted


def _error_items(integration: Integration) -> list[ErrorItem]:
    items = list(
        ErrorItem.objects.filter(integration=integration)
        .exclude(state__in=CLOSED_STATES)
        .order_by("-last_seen")
    )
    for item in items:
        item.shown_title = _masked(item.title)
    return items


def _comments(integration: Integration) -> list[dict]:
    reviewed = Submission.objects.filter(integration=integration).exclude(review_comment="")
    comments = [
        {"at": s.released_at or s.received_at, "by": s.released_by, "about": f"#{s.pk}",
         "text": _masked(s.review_comment)}
        for s in reviewed.select_related("released_by")
    ]  # fmt: skip
    on_items = ErrorComment.objects.filter(item__integration=integration).select_related(
        "by", "item"
    )
    comments += [
        {"at": c.at, "by": c.by, "about": _masked(c.item.code), "text": _masked(c.text)}
        for c in on_items
    ]
    return sorted(comments, key=lambda c: c["at"])


def build(integration: Integration, *, now: datetime | None = None) -> Report:
    now = now or timezone.now()
    report = Report(integration=integration, generated_at=now)
    report.choices = _choices(integration)
    report.timeline = _timeline(integration)
    report.decided_at = next(
        (e.at for e in reversed(report.timeline) if e.new_value == Stage.DECIDED), None
    )
    report.targets = _targets(integration, now)
    report.inbound = list(
        integration.inbound_checks.filter(used_at__isnull=False).order_by("-used_at")[:5]
    )
    report.submissions = _submissions(integration)
    report.error_items = _error_items(integration)
    report.comments = _comments(integration)
    return report


def render_html(reports: list[Report], *, for_pdf: bool, request=None) -> str:
    return render_to_string(
        "dashboard/report.html",
        {"reports": reports, "for_pdf": for_pdf, "css": REPORT_CSS.read_text() if for_pdf else ""},
        request=request,
    )


def render_pdf(reports: list[Report]) -> bytes:
    # Imported here: WeasyPrint loads Pango when imported, which pages without a PDF never need.
    import weasyprint

    html = render_html(reports, for_pdf=True)
    return weasyprint.HTML(string=html).write_pdf()
