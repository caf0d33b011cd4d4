import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from uploads.models import Submission, SubmissionIssue

SEVERITY_BADGE = {"error": "err", "warning": "warn"}


class IssueTable(tables.Table):
    row = tables.Column(verbose_name=_("Record"), attrs={"td": {"class": "num"}})
    line = tables.Column(verbose_name=_("Line"), attrs={"td": {"class": "num"}})
    field = tables.Column(verbose_name=_("Field"), attrs={"td": {"class": "mono"}})
    code = tables.Column(verbose_name=_("Code"), attrs={"td": {"class": "mono"}})
    severity = tables.Column(verbose_name=_("Severity"))
    message = tables.Column(verbose_name=_("Message"), orderable=False)
    value = tables.Column(verbose_name=_("Value"), orderable=False)

    class Meta:
        model = SubmissionIssue
        fields = ("row", "line", "field", "code", "severity", "message", "value")
        order_by = ("seq",)
        empty_text = _("No issue matches these filters.")

    def render_severity(self, value):
        label = _("error") if value == "error" else _("warning")
        return format_html('<span class="badge {}">{}</span>', SEVERITY_BADGE.get(value), label)

    def order_row(self, queryset, is_descending):
        return queryset.order_by("-seq" if is_descending else "seq"), True


STATUS_BADGE = {
    "received": "neutral",
    "queued": "neutral",
    "validating": "info",
    "review": "warn",
    "returned": "ok",
    "failed": "err",
}


class SubmissionTable(tables.Table):
    id = tables.Column(verbose_name="#", linkify=lambda record: record.get_absolute_url())
    received_at = tables.DateTimeColumn(verbose_name=_("Received"), format="Y-m-d H:i")
    integration = tables.Column(
        verbose_name=_("Integration"),
        accessor="integration",
        order_by=("integration__municipality__code",),
        linkify=lambda record: record.integration.get_absolute_url(),
    )
    original_name = tables.Column(verbose_name=_("File"))
    channel = tables.Column(verbose_name=_("Channel"))
    mode = tables.Column(verbose_name=_("Mode"))
    verdict = tables.Column(verbose_name=_("Verdict"))
    errors = tables.Column(verbose_name=_("Errors"), attrs={"td": {"class": "num"}})

    class Meta:
        model = Submission
        fields = ("id", "received_at", "integration", "original_name", "channel", "mode")
        order_by = ("received_at",)
        empty_text = _("Nothing waits for review.")

    def render_verdict(self, record):
        return format_html(
            '<span class="badge {}">{}</span>',
            "ok" if record.verdict == "accepted" else "err",
            record.get_verdict_display(),
        )
