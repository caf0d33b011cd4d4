"""The roof's pages, each drawing on several apps: the dashboard, the municipality page (its
integrations with their latest submissions) and the audit record (its rows link to every app)."""

import json

from django.db.models import Prefetch
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from console import audit
from console.access import any_role, is_operator, operator_required
from console.exports import csv_response
from console.models import AuditRecord
from dashboard import figures
from dashboard.filters import AuditRecordFilter
from dashboard.tables import AuditRecordTable
from onboarding.access import get_municipality_for_user, integrations_for
from onboarding.models import IntegrationEvent
from uploads.access import submissions_for


@any_role
def dashboard_view(request):
    return render(request, "dashboard/dashboard.html", figures.context_for(request.user))


@any_role
def municipality_detail(request, code):
    municipality = get_municipality_for_user(request.user, code)
    integrations = list(
        integrations_for(request.user)
        .filter(municipality=municipality)
        .prefetch_related(
            Prefetch(
                "events",
                queryset=IntegrationEvent.objects.filter(kind=IntegrationEvent.Kind.STAGE),
                to_attr="stage_events",
            )
        )
    )
    recent = submissions_for(request.user).filter(integration__in=integrations)
    by_integration: dict[int, list] = {}
    for submission in recent.order_by("-received_at")[: 5 * max(len(integrations), 1)]:
        by_integration.setdefault(submission.integration_id, []).append(submission)
    for integration in integrations:
        integration.recent_submissions = by_integration.get(integration.pk, [])[:5]
    return render(
        request,
        "onboarding/municipality_detail.html",
        {
            "municipality": municipality,
            "integrations": integrations,
            "can_edit": is_operator(request.user),
        },
    )


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
    return render(request, "dashboard/audit.html", {"filter": audit_filter, "table": table})


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
