import json

import django_rq
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig
from rq import Worker

from console import audit, dashboard
from console.access import any_role, operator_required
from console.exports import csv_response
from console.filters import AuditRecordFilter
from console.models import AuditRecord
from console.tables import AuditRecordTable


@any_role
def dashboard_view(request):
    return render(request, "console/dashboard.html", dashboard.context_for(request.user))


@require_GET
@never_cache
@login_not_required
def healthz(request):
    body = {"database": "ok", "queue": "inline", "workers": 0}
    status = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        body["database"] = "error"
        status = 503
    if not settings.PMH_JOBS_INLINE:
        try:
            conn = django_rq.get_connection("default")
            conn.ping()
            body["queue"] = "ok"
            body["workers"] = Worker.count(connection=conn)
        except Exception:
            body["queue"] = "error"
            status = 503
    return JsonResponse(body, status=status)


# -- audit record ---------------------------------------------------------------------------

AUDIT_PER_PAGE = 50
AUDIT_EXPORT_HEADER = [
    _("Time"), _("User"), _("Action"), _("Object type"), _("Object ID"), _("Object"),
    _("Detail"), _("Source address"),
]  # fmt: skip


def _audit_filter(request) -> AuditRecordFilter:
    return AuditRecordFilter(request.GET, queryset=AuditRecord.objects.all())


@require_GET
@operator_required
def audit_list(request):
    audit_filter = _audit_filter(request)
    table = AuditRecordTable(audit_filter.qs)
    RequestConfig(request, paginate={"per_page": AUDIT_PER_PAGE}).configure(table)
    return render(request, "console/audit.html", {"filter": audit_filter, "table": table})


@require_GET
@operator_required
def audit_export(request):
    records = _audit_filter(request).qs
    audit.record_export(request, "audit", records.count())
    rows = (
        [
            timezone.localtime(r.at).strftime("%Y-%m-%d %H:%M:%S"),
            r.username,
            r.get_action_display(),
            r.object_type,
            r.object_id,
            r.object_repr,
            json.dumps(r.detail, ensure_ascii=False) if r.detail else "",
            r.ip or "",
        ]  # fmt: skip
        for r in records.order_by("-at", "-id").iterator(chunk_size=2000)
    )
    return csv_response(f"audit-{timezone.localdate():%Y%m%d}.csv", AUDIT_EXPORT_HEADER, rows)
