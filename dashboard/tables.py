import json

import django_tables2 as tables
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from connectivity.models import Kind
from console.models import AuditRecord
from helpdesk.models import BulkAction
from onboarding.people import ROLE_LABELS
from uploads.models import Channel

# Pages of the objects an audit record can name; other objects are shown without a link.
OBJECT_PAGES = {
    "submission": "uploads:submission_detail",
    "probe": "connectivity:target",
    "integration": "onboarding:integration_detail",
}

# How the keys console.audit writes into `detail` read in Japanese (issue 18 point 7): a
# label and a way to show the value; a key not listed here is shown as "other".
LIST_NAMES = {
    "municipalities": _("municipality list"),
    "submissions": _("upload history"),
    "audit": _("audit record"),
}
FORMATS = {
    "page": _("print page"),
    "pdf": "PDF",
    "csv": "CSV",
    "json": "JSON",
    "api": _("through the API"),
    "pmh-layout": _("converted to the PMH layout"),
}
SIGN_OUT_REASONS = {
    "idle": _("no activity for too long"),
    "session_age": _("the session reached its longest allowed age"),
}
ITEM_CHANGES = {
    "state": _("state"),
    "assignee": _("assignee"),
    "snooze": _("snooze"),
    "comment": _("comment"),
}
MAPPING_HOW = {"edit": _("saved on the mapping page"), "import": _("imported from JSON")}


def _filters(value) -> str:
    if not value:
        return _("none")
    return "、".join(
        str(v) if not isinstance(v, list) else "・".join(map(str, v)) for v in value.values()
    )


def _yes_no(yes, no):
    return lambda value: yes if value else no


DETAIL = {
    "list": (_("List"), lambda v: LIST_NAMES.get(v, v)),
    "filters": (_("Filters"), _filters),
    "rows": (_("Rows"), lambda v: _("%(n)s rows") % {"n": v}),
    "format": (_("Format"), lambda v: FORMATS.get(v, v)),
    "file": (_("File"), str),
    "sha256": ("SHA-256", str),
    "token": (_("API token"), str),
    "reason": (_("Reason"), lambda v: SIGN_OUT_REASONS.get(v, v)),
    "locked_out": (_("Locked out"), _yes_no(_("yes (too many failed attempts)"), _("no"))),
    "channel": (_("Channel"), lambda v: str(Channel(v).label) if v in Channel.values else v),
    "error_item": (_("Error item"), lambda v: f"#{v}"),
    "queue": (_("Queue"), str),
    "jobs": (_("Jobs"), lambda v: "、".join(map(str, v)) if isinstance(v, list) else str(v)),
    "integration": (_("Integration"), lambda v: f"#{v}"),
    "integrations": (
        _("Integrations"),
        lambda v: _("%(n)s integrations") % {"n": len(v)} if isinstance(v, list) else str(v),
    ),
    "version": (_("Version"), str),
    "how": (_("How"), lambda v: MAPPING_HOW.get(v, v)),
    "use": (_("Use"), _yes_no(_("on"), _("off"))),
    "revalidation_of": (_("Validated again from submission"), lambda v: f"#{v}"),
    # People, tokens, the code list, the error queue, the monitor (issue 18 points 10-13).
    "role": (_("Role"), lambda v: ROLE_LABELS.get(v, v)),
    "code": (_("Municipality code"), str),
    "created": (_("Added"), lambda v: _("%(n)s rows") % {"n": v}),
    "updated": (_("Updated"), lambda v: _("%(n)s rows") % {"n": v}),
    "unchanged": (_("Unchanged"), lambda v: _("%(n)s rows") % {"n": v}),
    "vendor": (_("Vendor"), str),
    "change": (_("Action"), lambda v: BulkAction(v).label if v in BulkAction.values else v),
    "items": (
        _("Error items"),
        lambda v: "、".join(f"#{i}" for i in v) if isinstance(v, list) else str(v),
    ),
    "changes": (
        _("Changed"),
        lambda v: "、".join(str(ITEM_CHANGES.get(c, c)) for c in v) if isinstance(v, list) else v,
    ),
    "kind": (_("Kind"), lambda v: str(Kind(v).label) if v in Kind.values else v),
    "ok": (_("Result"), _yes_no(_("passed"), _("failed"))),
    "error": (_("Error"), lambda v: v or _("none")),
    "count": (_("Count"), str),
    # Retention of channel copies (issue 17 point 9).
    "place": (_("Place"), str),
    "retention_days": (_("Retention"), lambda v: _("%(n)s days") % {"n": v}),
    "files": (_("Files"), str),
    "messages": (_("Messages"), str),
    "bytes": (_("Bytes"), str),
    "names": (
        _("File names"),
        lambda v: "、".join(map(str, v)) if isinstance(v, list) else str(v),
    ),
    "scope": (_("Applied to"), lambda v: str(BULK_SCOPES.get(v, v))),
    "matched": (_("Matching items"), lambda v: _("%(n)s items") % {"n": v}),
    "changed": (_("Changed"), lambda v: _("%(n)s items") % {"n": v}),
}


BULK_SCOPES = {
    "matching": _("every item matching the filters"),
    "selected": _("the selected items"),
}


def detail_items(detail: dict) -> list[tuple[str, str]]:
    """The audit record's detail as (Japanese label, readable value) pairs."""
    items = []
    for key, value in detail.items():
        label, shown = DETAIL.get(key, (_("Other"), _shown))
        items.append((str(label), str(shown(value))))
    return items


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
            " ", '<span class="audit-detail">{}：{}</span>', detail_items(value)
        )

    def order_at(self, queryset, is_descending):
        return queryset.order_by(*(("-at", "-id") if is_descending else ("at", "id"))), True
