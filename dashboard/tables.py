import json

import django_tables2 as tables
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from console.models import AuditRecord

# Pages of the objects an audit record can name; other objects are shown without a link.
OBJECT_PAGES = {
    "submission": "uploads:submission_detail",
    "probe": "connectivity:target",
    "integration": "onboarding:integration_detail",
}

# Labels of the keys console.audit writes into `detail`; other keys are shown as they are.
DETAIL_LABELS = {
    "list": _("List"),
    "filters": _("Filters"),
    "rows": _("Rows"),
    "format": _("Format"),
    "file": _("File"),
    "sha256": "SHA-256",
    "token": _("API token"),
    "reason": _("Reason"),
    "locked_out": _("Locked out"),
    "channel": _("Channel"),
    "error_item": _("Error item"),
    "queue": _("Queue"),
    "jobs": _("Jobs"),
    "revalidation_of": _("Validated again from submission"),
}


def _shown(value) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class AuditRecordTable(tables.Table):
    at = tables.DateTimeColumn(verbose_name=_("Time"), format="Y-m-d H:i:s")
    username = tables.Column(verbose_name=_("User"), empty_values=())
    action = tables.Column(verbose_name=_("Action"))
    object_repr = tables.Column(verbose_name=_("Object"), orderable=False)
    detail = tables.Column(verbose_name=_("Detail"), orderable=False, empty_values=())
    ip = tables.Column(verbose_name=_("Source address"), attrs={"td": {"class": "mono"}})

    class Meta:
        model = AuditRecord
        fields = ("at", "username", "action", "object_repr", "detail", "ip")
        order_by = ("-at",)
        empty_text = _("No record matches these filters.")

    def render_username(self, value):
        return value or "—"

    def render_object_repr(self, record, value):
        try:
            url = reverse(OBJECT_PAGES[record.object_type], args=[record.object_id])
        except (KeyError, NoReverseMatch):
            return value
        return format_html('<a href="{}">{}</a>', url, value)

    def render_detail(self, value):
        return format_html_join(
            " ",
            '<span class="audit-detail">{}={}</span>',
            ((k, _shown(v)) for k, v in value.items()),
        )

    def order_at(self, queryset, is_descending):
        return queryset.order_by(*(("-at", "-id") if is_descending else ("at", "id"))), True
