"""The roof's pages, each drawing on several apps: the dashboard, the municipality page (its
integrations with their latest submissions), the audit record (its rows link to every app) and
the evidence report (every floor's evidence of an integration)."""

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from console import audit
from console.access import (
    Role,
    any_role,
    is_operator,
    is_staff_role,
    is_vendor,
    operator_required,
    role_required,
    staff_required,
)
from console.exports import csv_response
from console.models import AuditRecord
from console.tables import paginate
from dashboard import figures, home, report, scorecard
from dashboard.filters import AuditRecordFilter
from dashboard.tables import AuditRecordTable
from onboarding.access import (
    get_integration_for_user,
    get_municipality_for_user,
    get_vendor_for_user,
    integrations_for,
    municipalities_for,
    vendors_for,
)
from onboarding.filters import MunicipalityFilter
from onboarding.models import IntegrationEvent, Stage, Vendor
from uploads.access import submissions_for

HOME_PAGE_SIZE = 25


@any_role
def dashboard_view(request):
    return render(request, "dashboard/dashboard.html", figures.context_for(request.user))


@role_required(Role.VENDOR)
def vendor_home(request):
    integrations = integrations_for(request.user).order_by("municipality__code", "dropbox_name")
    page = Paginator(integrations, HOME_PAGE_SIZE).get_page(request.GET.get("page"))
    vendor = request.user.vendor
    context = {"vendor": vendor, "page": page, "rows": home.vendor_rows(request.user, page)}
    return render(request, "dashboard/vendor_home.html", context)


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
    paginate(request, table, per_page=AUDIT_PER_PAGE)
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


# -- evidence report (連携テスト結果報告書) -------------------------------------------------------

# Filters of the municipality list that narrow the integrations themselves, not only their
# municipalities: the report covers the integrations the list's filters name.
_INTEGRATION_FILTERS = {
    "stage": "stage",
    "vendor": "vendor",
    "method": "rework_method",
    "route": "route",
    "mode": "data_mode",
}


def _report_integration(request, pk):
    """Scope first (another vendor's or municipality's integration is a 404), then the role."""
    integration = get_integration_for_user(request.user, pk)
    if not is_staff_role(request.user):
        raise PermissionDenied
    return integration


def _report_response(request, reports, *, pdf: bool, filename: str) -> HttpResponse:
    if pdf:
        response = HttpResponse(report.render_pdf(reports), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return HttpResponse(report.render_html(reports, for_pdf=False, request=request))


def _integration_report(request, pk, *, pdf: bool):
    integration = _report_integration(request, pk)
    built = report.build(integration)
    audit.record(request, audit.Action.REPORT, integration, format="pdf" if pdf else "page")
    filename = f"report-{integration.dropbox_name}.pdf"
    return _report_response(request, [built], pdf=pdf, filename=filename)


@require_GET
@any_role
def integration_report(request, pk):
    return _integration_report(request, pk, pdf=False)


@require_GET
@any_role
def integration_report_pdf(request, pk):
    return _integration_report(request, pk, pdf=True)


def _filtered_integrations(request):
    filterset = MunicipalityFilter(
        request.GET, queryset=municipalities_for(request.user), vendors=vendors_for(request.user)
    )
    integrations = integrations_for(request.user).filter(municipality__in=filterset.qs)
    values = filterset.form.cleaned_data if filterset.is_valid() else {}
    for key, field in _INTEGRATION_FILTERS.items():
        if values.get(key):
            integrations = integrations.filter(**{field: values[key]})
    return integrations.order_by("municipality__code", "dropbox_name")


def _reports_of_list(request, *, pdf: bool):
    integrations = list(_filtered_integrations(request)[: report.MAX_PER_PDF + 1])
    back = f"{reverse('onboarding:municipality_list')}?{request.GET.urlencode()}"
    if not integrations:
        messages.error(request, gettext("No integration matches the filters."))
        return redirect(back)
    if len(integrations) > report.MAX_PER_PDF:
        messages.error(
            request,
            gettext("More than %(max)d integrations match: narrow the filters first.")
            % {"max": report.MAX_PER_PDF},
        )
        return redirect(back)
    built = [report.build(i) for i in integrations]
    audit.record(
        request,
        audit.Action.REPORT,
        format="pdf" if pdf else "page",
        integrations=[i.pk for i in integrations],
        filters=audit.filters_of(request.GET),
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return _report_response(request, built, pdf=pdf, filename=f"reports-{stamp}.pdf")


@require_GET
@staff_required
def integrations_report(request):
    return _reports_of_list(request, pdf=False)


@require_GET
@staff_required
def integrations_report_pdf(request):
    return _reports_of_list(request, pdf=True)


# -- vendor scorecards (issue 22.5) ------------------------------------------------------------


@require_GET
@any_role
def scorecards(request):
    """Operators and the help desk: every vendor side by side; a vendor: its own scorecard."""
    if is_vendor(request.user):
        return redirect("dashboard:scorecard", slug=request.user.vendor.slug)
    if not is_staff_role(request.user):
        raise PermissionDenied
    cards, as_of = scorecard.cached(
        request.user,
        lambda: scorecard.scorecards(
            request.user,
            vendors_for(request.user).order_by("name"),
            integrations_for(request.user),
            submissions_for(request.user),
        ),
        "all",
    )
    return render(
        request,
        "dashboard/scorecards.html",
        {"cards": cards, "as_of": as_of, "stages": Stage.choices},
    )


@require_GET
@any_role
def scorecard_detail(request, slug):
    vendor = get_vendor_for_user(request.user, slug)
    cards, as_of = scorecard.cached(
        request.user,
        lambda: scorecard.scorecards(
            request.user,
            Vendor.objects.filter(pk=vendor.pk),
            integrations_for(request.user),
            submissions_for(request.user),
            prefectures=True,
        ),
        f"vendor-{vendor.pk}",
    )
    return render(
        request,
        "dashboard/scorecard.html",
        {"card": cards[0], "as_of": as_of, "vendor": vendor, "stages": Stage.choices},
    )
