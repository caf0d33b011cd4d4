import django_tables2 as tables
from django.template.defaultfilters import linebreaksbr
from django.utils.translation import gettext_lazy as _

from helpdesk.labels import detail_label, source_label
from helpdesk.models import ErrorItem, ErrorOccurrence
from uploads.models import Submission

NUM = {"td": {"class": "num"}}


class SubmissionHistoryTable(tables.Table):
    """Columns, sort orders and paging; the rows are drawn by helpdesk.rows. Result columns
    sort on ``uploads.access.with_shown_results``: a vendor's held rows sort as empty."""

    id = tables.Column(verbose_name="#", linkify=lambda record: record.get_absolute_url())
    received_at = tables.DateTimeColumn(verbose_name=_("Received"), format="Y-m-d H:i")
    integration = tables.Column(
        verbose_name=_("Integration"),
        accessor="integration",
        order_by=("integration__municipality__code", "integration__business_system"),
    )
    # Every sort order has a tie-breaker and an index behind it (uploads.Submission.Meta).
    original_name = tables.Column(
        verbose_name=_("File"), attrs={"td": {"class": "wrap"}}, order_by=("original_name", "id")
    )
    channel = tables.Column(verbose_name=_("Channel"), order_by=("channel", "received_at"))
    mode = tables.Column(verbose_name=_("Mode"), order_by=("mode", "received_at"))
    status = tables.Column(verbose_name=_("Status"), order_by=("status", "received_at"))
    verdict = tables.Column(
        verbose_name=_("Verdict"), empty_values=(), order_by=("shown_verdict", "received_at")
    )
    rows = tables.Column(
        verbose_name=_("Records"), empty_values=(), attrs=NUM, order_by=("shown_rows", "id")
    )
    errors = tables.Column(
        verbose_name=_("Errors"), empty_values=(), attrs=NUM, order_by=("shown_errors", "id")
    )
    warnings = tables.Column(
        verbose_name=_("Warnings"), empty_values=(), attrs=NUM, order_by=("shown_warnings", "id")
    )

    class Meta:
        model = Submission
        fields = ("id", "received_at", "integration", "original_name", "channel", "mode")
        order_by = ("-received_at",)
        empty_text = _("No submission matches these filters.")


class ErrorItemTable(tables.Table):
    """Columns, sort orders and paging; the rows are drawn by helpdesk.rows."""

    select = tables.Column(verbose_name="", accessor="pk", orderable=False)
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

    def render_source(self, value):
        return source_label(value)

    def render_detail(self, value):
        return linebreaksbr(detail_label(value))

    def render_submission(self, record):
        return f"#{record.submission_id} {record.submission.original_name}"
