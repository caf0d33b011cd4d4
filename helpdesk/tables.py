import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from helpdesk.models import ErrorItem, ErrorOccurrence, State
from uploads.models import Status, Submission
from uploads.tables import STATUS_BADGE

STATE_BADGE = {
    State.NEW: "err",
    State.INVESTIGATING: "warn",
    State.WAITING_VENDOR: "info",
    State.RESOLVED: "ok",
}
KIND_BADGE = {"rejected": "warn", "failure": "err", "quarantine": "neutral"}
HIDDEN = "—"
NUM = {"td": {"class": "num"}}


def result_hidden(table, record) -> bool:
    """A vendor sees neither verdict nor counts of a result still in review."""
    return not table.show_results and record.status == Status.REVIEW


class SubmissionHistoryTable(tables.Table):
    id = tables.Column(verbose_name="#", linkify=lambda record: record.get_absolute_url())
    received_at = tables.DateTimeColumn(verbose_name=_("Received"), format="Y-m-d H:i")
    integration = tables.Column(
        verbose_name=_("Integration"),
        accessor="integration",
        order_by=("integration__municipality__code", "integration__business_system"),
    )
    original_name = tables.Column(verbose_name=_("File"), attrs={"td": {"class": "wrap"}})
    channel = tables.Column(verbose_name=_("Channel"))
    mode = tables.Column(verbose_name=_("Mode"))
    status = tables.Column(verbose_name=_("Status"))
    verdict = tables.Column(verbose_name=_("Verdict"), empty_values=())
    rows = tables.Column(verbose_name=_("Records"), empty_values=(), attrs=NUM)
    errors = tables.Column(verbose_name=_("Errors"), empty_values=(), attrs=NUM)
    warnings = tables.Column(verbose_name=_("Warnings"), empty_values=(), attrs=NUM)

    class Meta:
        model = Submission
        fields = ("id", "received_at", "integration", "original_name", "channel", "mode")
        order_by = ("-received_at",)
        empty_text = _("No submission matches these filters.")

    def __init__(self, *args, show_results: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.show_results = show_results

    def render_integration(self, record):
        i = record.integration
        return format_html(
            '<a href="{}">{}</a> <span class="muted">{}</span>',
            reverse("helpdesk:integration_timeline", args=[i.pk]),
            i.municipality.name,
            i.business_system,
        )

    def render_status(self, record):
        return format_html(
            '<span class="badge {}">{}</span>',
            STATUS_BADGE.get(record.status, "neutral"),
            record.get_status_display(),
        )

    def render_verdict(self, record):
        if result_hidden(self, record) or not record.verdict:
            return HIDDEN
        badge = "ok" if record.verdict == "accepted" else "err"
        return format_html('<span class="badge {}">{}</span>', badge, record.get_verdict_display())

    def _count(self, record, value):
        if result_hidden(self, record) or value is None:
            return HIDDEN
        return f"{value:,}"

    def render_rows(self, record, value):
        return self._count(record, value)

    def render_errors(self, record, value):
        return self._count(record, value)

    def render_warnings(self, record, value):
        return self._count(record, value)


class ErrorItemTable(tables.Table):
    select = tables.CheckBoxColumn(
        accessor="pk", attrs={"input": {"name": "items", "form": "bulk-assign"}}
    )
    state = tables.Column(verbose_name=_("State"))
    kind = tables.Column(verbose_name=_("Kind"))
    title = tables.Column(
        verbose_name=_("Summary"),
        linkify=("helpdesk:item", {"pk": tables.A("pk")}),
        attrs={"td": {"class": "wrap"}},
    )
    code = tables.Column(verbose_name=_("Code"), attrs={"td": {"class": "mono"}})
    integration = tables.Column(
        verbose_name=_("Integration"), order_by=("integration__municipality__code",)
    )
    occurrences = tables.Column(verbose_name=_("Occurrences"), attrs={"td": {"class": "num"}})
    assignee = tables.Column(verbose_name=_("Assignee"), order_by=("assignee__username",))
    last_seen = tables.DateTimeColumn(verbose_name=_("Last seen"), format="Y-m-d H:i")

    class Meta:
        model = ErrorItem
        fields = ("select", "state", "kind", "title", "code", "integration", "occurrences")
        order_by = ("-last_seen",)
        empty_text = _("No error item matches these filters.")

    def render_state(self, record):
        badge = STATE_BADGE.get(record.state, "neutral")
        text = record.get_state_display()
        if record.reopened:
            return format_html(
                '<span class="badge {}">{}</span> <span class="badge neutral">{}</span>',
                badge,
                text,
                _("reopened"),
            )
        return format_html('<span class="badge {}">{}</span>', badge, text)

    def render_kind(self, record):
        return format_html(
            '<span class="badge {}">{}</span>',
            KIND_BADGE.get(record.kind, "neutral"),
            record.get_kind_display(),
        )

    def render_integration(self, record):
        return str(record.integration)

    def render_assignee(self, record):
        return record.assignee.get_username()


class OccurrenceTable(tables.Table):
    at = tables.DateTimeColumn(verbose_name=_("At"), format="Y-m-d H:i:s")
    submission = tables.Column(
        verbose_name=_("Submission"),
        linkify=lambda record: record.submission.get_absolute_url(),
    )
    source = tables.Column(verbose_name=_("Source"), attrs={"td": {"class": "mono small"}})
    detail = tables.Column(verbose_name=_("Detail"), attrs={"td": {"class": "wrap small"}})

    class Meta:
        model = ErrorOccurrence
        fields = ("at", "submission", "source", "detail")
        order_by = ("-at",)
        orderable = False
        empty_text = _("No occurrence.")

    def render_submission(self, record):
        return f"#{record.submission_id} {record.submission.original_name}"
