import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from connectivity.explain import ERROR_LABELS, PHASE_LABELS
from connectivity.models import Probe, ProbeIncident, ProbeResult, Status
from connectivity.selectors import HEARTBEATS

STATUS_BADGES = {
    Status.UP: "ok",
    Status.FAILING: "warn",
    Status.DOWN: "err",
    Status.PAUSED: "neutral",
    Status.NEW: "info",
}


def status_badge(probe: Probe):
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_BADGES.get(probe.status, "neutral"),
        probe.get_status_display(),
    )


def outcome_badge(result: ProbeResult | None):
    if result is None:
        return format_html('<span class="badge neutral">{}</span>', _("no run yet"))
    if result.ok:
        return format_html('<span class="badge ok">{}</span>', _("passed"))
    css = "neutral" if result.suppressed else "err"
    return format_html(
        '<span class="badge {}">{}</span>',
        css,
        ERROR_LABELS.get(result.error_class, result.error_class),
    )


def _percent(value, window) -> str:
    if value is None:
        return _("%(window)s: no run") % {"window": window}
    return _("%(window)s: %(value)s%%") % {"window": window, "value": f"{value:g}"}


def heartbeat_bar(beats, *, slots: int = HEARTBEATS):
    """One mark per run, oldest on the left; empty slots first when there were fewer runs."""
    marks = []
    for beat in beats:
        if beat.suppressed:
            css, word = "hb-skip", _("not counted")
        elif beat.ok:
            css, word = "hb-ok", _("passed")
        else:
            css, word = "hb-fail", str(ERROR_LABELS.get(beat.error_class, _("failed")))
        when = timezone.localtime(beat.started_at).strftime("%m/%d %H:%M")
        marks.append(format_html('<span class="hb {}" title="{} {}"></span>', css, when, word))
    padding = [mark_safe('<span class="hb hb-none"></span>')] * (slots - len(marks))  # noqa: S308
    label = _("The last %(n)s runs, oldest first") % {"n": slots}
    return format_html(
        '<span class="heartbeat" role="img" aria-label="{}">{}</span>',
        label,
        format_html_join("", "{}", ((m,) for m in padding + marks)),
    )


def _ms(value):
    return "—" if value is None else f"{value:,.1f}"


class ResultTable(tables.Table):
    started_at = tables.DateTimeColumn(verbose_name=_("Started"), format="Y-m-d H:i:s")
    ok = tables.Column(verbose_name=_("Outcome"), empty_values=())
    failed_phase = tables.Column(verbose_name=_("Failed phase"), orderable=False)
    dns_ms = tables.Column(verbose_name=_("DNS"), attrs={"td": {"class": "num"}}, orderable=False)
    connect_ms = tables.Column(
        verbose_name=_("Connect"), attrs={"td": {"class": "num"}}, orderable=False
    )
    tls_ms = tables.Column(verbose_name=_("TLS"), attrs={"td": {"class": "num"}}, orderable=False)
    first_byte_ms = tables.Column(
        verbose_name=_("First byte"), attrs={"td": {"class": "num"}}, orderable=False
    )
    total_ms = tables.Column(verbose_name=_("Total (ms)"), attrs={"td": {"class": "num"}})
    address = tables.Column(verbose_name=_("Address"), orderable=False)
    http_status = tables.Column(verbose_name=_("HTTP"), orderable=False)
    tls_version = tables.Column(verbose_name=_("TLS version"), orderable=False)
    attempts = tables.Column(verbose_name=_("Attempts"), attrs={"td": {"class": "num"}})
    message = tables.Column(verbose_name=_("Message"), orderable=False)

    class Meta:
        model = ProbeResult
        fields = (
            "started_at",
            "ok",
            "failed_phase",
            "dns_ms",
            "connect_ms",
            "tls_ms",
            "first_byte_ms",
            "total_ms",
            "address",
            "http_status",
            "tls_version",
            "attempts",
            "message",
        )
        order_by = "-started_at"
        empty_text = _("No run is recorded yet.")

    def render_ok(self, record):
        badge = outcome_badge(record)
        if record.suppressed:
            return format_html(
                '{} <span class="muted">{}</span>', badge, record.get_suppressed_display()
            )
        return badge

    def render_failed_phase(self, value):
        return PHASE_LABELS.get(value, value)

    def render_dns_ms(self, value):
        return _ms(value)

    render_connect_ms = render_tls_ms = render_first_byte_ms = render_total_ms = render_dns_ms


class TargetTable(tables.Table):
    name = tables.Column(
        verbose_name=_("Target"),
        linkify=lambda record: reverse("connectivity:target", args=[record.pk]),
    )
    integration = tables.Column(
        verbose_name=_("Integration"),
        empty_values=(),
        order_by=("integration__municipality__code",),
    )
    route = tables.Column(verbose_name=_("Route"))
    kind = tables.Column(verbose_name=_("Kind"))
    url = tables.Column(verbose_name=_("URL or host:port"), orderable=False)
    status = tables.Column(verbose_name=_("Status"))
    last_result = tables.Column(verbose_name=_("Last result"), empty_values=(), orderable=False)
    heartbeat = tables.Column(verbose_name=_("Recent runs"), empty_values=(), orderable=False)
    uptime = tables.Column(verbose_name=_("Uptime"), empty_values=(), orderable=False)
    last_run_at = tables.DateTimeColumn(verbose_name=_("Last run"), format="m/d H:i")
    last_ok_at = tables.DateTimeColumn(verbose_name=_("Last success"), format="m/d H:i")

    class Meta:
        model = Probe
        fields = (
            "name",
            "integration",
            "route",
            "kind",
            "url",
            "status",
            "heartbeat",
            "uptime",
            "last_result",
            "last_run_at",
            "last_ok_at",
        )
        order_by = ("integration", "name")
        empty_text = _("No target matches these filters.")

    def render_integration(self, record):
        if record.integration is None:
            return format_html('<span class="muted">{}</span>', _("PMH itself"))
        return format_html(
            '<a href="{}">{}</a>',
            reverse("connectivity:integration", args=[record.integration_id]),
            str(record.integration),
        )

    def render_url(self, value):
        return format_html('<code class="url">{}</code>', value)

    # Filled by the view for the shown page only, in a fixed number of queries.
    beats: dict = {}
    uptimes: dict = {}

    def render_heartbeat(self, record):
        return heartbeat_bar(self.beats.get(record.pk, []))

    def render_uptime(self, record):
        figures = self.uptimes.get(record.pk, {})
        return format_html(
            '<span class="uptime">{}</span> <span class="muted small">{} · {}</span>',
            _percent(figures.get("24h"), _("24 hours")),
            _percent(figures.get("7d"), _("7 days")),
            _percent(figures.get("30d"), _("30 days")),
        )

    def render_status(self, record):
        return status_badge(record)

    def render_last_result(self, record):
        result = record.last_result
        badge = outcome_badge(result)
        if result is not None and result.cert_days_left is not None:
            if result.cert_days_left <= 30:
                return format_html(
                    '{} <span class="badge warn">{}</span>',
                    badge,
                    _("certificate: %(days)s days left") % {"days": result.cert_days_left},
                )
        return badge


class IncidentTable(tables.Table):
    opened_at = tables.DateTimeColumn(verbose_name=_("Opened"), format="Y-m-d H:i")
    first_failure_at = tables.DateTimeColumn(verbose_name=_("First failure"), format="Y-m-d H:i")
    closed_at = tables.DateTimeColumn(verbose_name=_("Closed"), format="Y-m-d H:i")
    error_class = tables.Column(verbose_name=_("Error"))
    failures = tables.Column(verbose_name=_("Failed runs"), attrs={"td": {"class": "num"}})
    duration = tables.Column(verbose_name=_("Duration"), empty_values=(), orderable=False)

    class Meta:
        model = ProbeIncident
        fields = ("opened_at", "first_failure_at", "closed_at", "error_class", "failures")
        order_by = "-opened_at"
        empty_text = _("No incident so far.")

    def render_error_class(self, value):
        return ERROR_LABELS.get(value, value)

    def render_duration(self, record):
        minutes = int(record.duration().total_seconds() // 60)
        if record.closed_at is None:
            return format_html(
                '<span class="badge err">{}</span>', _("open for %(m)s min") % {"m": minutes}
            )
        return _("%(m)s min") % {"m": minutes}
