import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from connectivity import selectors, services
from connectivity.access import (
    can_issue_inbound,
    get_probe_for_user,
    maintenance_windows_for,
    probes_for,
)
from connectivity.explain import ERROR_LABELS, PHASE_LABELS, explain
from connectivity.filters import TargetFilter
from connectivity.forms import (
    TARGET_FIELDS,
    AlertRecipientsForm,
    MaintenanceWindowForm,
    TargetForm,
)
from connectivity.models import InboundCheck, ProbeRoute, ProbeSweep, Status
from connectivity.tables import IncidentTable, ResultTable, TargetTable, heartbeat_bar
from console import audit
from console.access import any_role, is_operator, operator_required
from console.requests import caller_of
from console.tables import paginate
from onboarding.access import can_edit_contacts, get_integration_for_user, integrations_for

PAGE_SIZE = 50
RANGES = selectors.WINDOWS
RANGE_LABELS = {
    "24h": gettext_lazy("24 hours"),
    "7d": gettext_lazy("7 days"),
    "30d": gettext_lazy("30 days"),
}


@any_role
def overview(request):
    probes = probes_for(request.user).select_related("last_result")
    tiles = probes.aggregate(
        total=Count("id"),
        up=Count("id", filter=Q(status=Status.UP)),
        down=Count("id", filter=Q(status=Status.DOWN)),
        failing=Count("id", filter=Q(status=Status.FAILING)),
        certs=Count("id", filter=Q(last_result__cert_days_left__lte=services.CERT_WARNING_DAYS)),
    )
    filterset = TargetFilter(request.GET, queryset=probes)
    table = TargetTable(filterset.qs)
    paginate(request, table, per_page=PAGE_SIZE)
    shown = [row.record.pk for row in table.paginated_rows]
    table.beats = selectors.heartbeats(shown)
    table.uptimes = selectors.uptime_figures(shown)
    last_sweep = ProbeSweep.objects.order_by("-started_at").first()
    return render(
        request,
        "connectivity/overview.html",
        {
            "filter": filterset,
            "table": table,
            "tiles": tiles,
            "last_sweep": last_sweep,
            "can_edit": is_operator(request.user),
        },
    )


@any_role
def integration_matrix(request, pk: int):
    integration = get_integration_for_user(request.user, pk)
    probes = list(
        probes_for(request.user).filter(integration=integration).select_related("last_result")
    )
    ids = [p.pk for p in probes]
    uptime = selectors.uptime_figures(ids)
    beats = selectors.heartbeats(ids)
    rows = []
    for probe in probes:
        probe.uptime = uptime.get(probe.pk, {})
        probe.heartbeat = heartbeat_bar(beats.get(probe.pk, []))
        rows.append(probe)
    routes = [
        {
            "value": value,
            "label": label,
            "gate": value == integration.route,
            "cells": [p if p.route == value else None for p in rows],
        }
        for value, label in ProbeRoute.choices
    ]
    return render(
        request,
        "connectivity/integration.html",
        {
            "integration": integration,
            "probes": rows,
            "routes": routes,
            "evidence": services.network_evidence(integration=integration),
            "inbound_checks": integration.inbound_checks.select_related("issued_by")[:10],
            "can_edit": is_operator(request.user),
            "can_issue_inbound": can_issue_inbound(request.user),
            "alerts": _alerts_context(request, integration),
            "error_labels": ERROR_LABELS,
            "now": timezone.now(),
        },
    )


def _alerts_context(request, integration, form=None) -> dict:
    emails, chosen = services.integration_alert_recipients(integration)
    if form is None and can_edit_contacts(request.user):
        form = AlertRecipientsForm(initial={"emails": "\n".join(emails)})
    return {
        "emails": emails,
        "chosen": chosen,
        "form": form,
        "team": bool(settings.PMH_PROBE_ALERT_EMAILS),
    }


@require_POST
@any_role
def alert_recipients(request, pk: int):
    """Who is mailed about this integration's targets (issue 18.13); the same people who keep
    its contacts may change it."""
    integration = get_integration_for_user(request.user, pk)
    if not can_edit_contacts(request.user):
        raise PermissionDenied
    form = AlertRecipientsForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("connectivity:integration", pk=pk)
    emails = form.cleaned_data["emails"]
    if services.alert_recipients_set(integration=integration, emails=emails, by=request.user):
        audit.record(request, audit.Action.ALERT_RECIPIENTS, integration, count=len(emails))
        messages.success(request, _("The alert recipients were saved."))
    else:
        messages.info(request, _("Nothing was changed."))
    return redirect(reverse("connectivity:integration", args=[pk]) + "#alerts")


@any_role
def target_detail(request, pk: int):
    probe = get_probe_for_user(request.user, pk)
    range_key = request.GET.get("range") if request.GET.get("range") in RANGES else "24h"
    results = ResultTable(probe.results.all(), prefix="r-")
    paginate(request, results, per_page=PAGE_SIZE)
    incidents = IncidentTable(probe.incidents.all(), prefix="i-")
    paginate(request, incidents, per_page=10)
    last = probe.last_result
    last_failure = last if last is not None and not last.ok else None
    return render(
        request,
        "connectivity/target.html",
        {
            "probe": probe,
            "integration": probe.integration,
            "uptime": selectors.uptime_figures([probe.pk]).get(probe.pk, {}),
            "heartbeat": heartbeat_bar(selectors.heartbeats([probe.pk]).get(probe.pk, [])),
            "chart": selectors.latency_chart(probe.pk, span=RANGES[range_key]),
            "range_key": range_key,
            "ranges": [(key, RANGE_LABELS.get(key, key)) for key in RANGES],
            "results": results,
            "incidents": incidents,
            "last": last,
            "last_failure": last_failure,
            "explanation": explain(last_failure.error_class, last_failure.http_status)
            if last_failure
            else None,
            "error_label": ERROR_LABELS.get(last_failure.error_class) if last_failure else None,
            "phase_label": PHASE_LABELS.get(last_failure.failed_phase) if last_failure else None,
            "cert_warning_days": services.CERT_WARNING_DAYS,
            "can_edit": is_operator(request.user),
        },
    )


@operator_required
def target_create(request):
    integrations = integrations_for(request.user)
    initial = {}
    if request.GET.get("integration", "").isdigit():
        integration = get_object_or_404(integrations, pk=request.GET["integration"])
        initial = {"integration": integration, "route": _default_route(integration)}
    form = TargetForm(request.POST or None, integrations=integrations, initial=initial)
    if request.method == "POST" and form.is_valid():
        if "test" in request.POST:
            return _target_form(request, form, None, trial=_try(request, form, None))
        probe = services.target_create(**form.cleaned_data)
        messages.success(request, _("The target “%(name)s” was added.") % {"name": probe.name})
        return redirect("connectivity:target", pk=probe.pk)
    return _target_form(request, form, None)


def _target_form(request, form, probe, *, trial=None):
    context = {"form": form, "probe": probe, "trial": trial}
    if trial is not None and not trial.ok:
        context["trial_error"] = ERROR_LABELS.get(trial.error_class, trial.error_class or "")
        context["trial_explanation"] = explain(trial.error_class, trial.http_status)
    return render(request, "connectivity/target_form.html", context)


def _try(request, form, probe):
    """Run the entered values once without saving them; recorded in the audit."""
    trial = services.target_try(**form.cleaned_data)
    audit.record(
        request,
        audit.Action.PROBE_TEST,
        probe,
        kind=form.cleaned_data["kind"],
        ok=trial.ok,
        error=trial.error_class or "",
    )
    return trial


def _default_route(integration) -> str:
    return integration.route if integration.route in ProbeRoute.values else ProbeRoute.LGWAN


@operator_required
def target_edit(request, pk: int):
    probe = get_probe_for_user(request.user, pk)
    form = TargetForm(
        request.POST or None, instance=probe, integrations=integrations_for(request.user)
    )
    if request.method == "POST" and form.is_valid():
        if "test" in request.POST:
            return _target_form(request, form, probe, trial=_try(request, form, probe))
        changes = {name: form.cleaned_data[name] for name in TARGET_FIELDS}
        services.target_update(probe=probe, **changes)
        messages.success(request, _("The target was saved."))
        return redirect("connectivity:target", pk=pk)
    return _target_form(request, form, probe)


@operator_required
def target_delete(request, pk: int):
    probe = get_probe_for_user(request.user, pk)
    if request.method == "POST":
        integration_id = probe.integration_id
        services.target_delete(probe=probe)
        messages.success(request, _("The target was deleted with its runs."))
        if integration_id:
            return redirect("connectivity:integration", pk=integration_id)
        return redirect("connectivity:overview")
    return render(request, "connectivity/target_delete.html", {"probe": probe})


@require_POST
@operator_required
def target_run(request, pk: int):
    probe = get_probe_for_user(request.user, pk)
    asked = timezone.now()
    services.probe_run_request(probe=probe)
    audit.record(request, audit.Action.PROBE_RUN, probe)
    ran = probe.results.filter(started_at__gte=asked).order_by("-started_at").first()
    if ran is None:  # queued for a worker: the page does not have the result yet
        messages.info(request, _("The check was started; reload the page to see its result."))
    elif ran.ok:
        messages.success(request, _("The check ran now and passed."))
    else:
        label = ERROR_LABELS.get(ran.error_class, ran.error_class)
        messages.warning(request, _("The check ran now and failed: %(error)s.") % {"error": label})
    return redirect("connectivity:target", pk=pk)


@require_POST
@any_role
def inbound_issue(request, pk: int):
    integration = get_integration_for_user(request.user, pk)
    if not can_issue_inbound(request.user):
        raise PermissionDenied
    check, token = services.inbound_check_issue(integration=integration, by=request.user)
    url = request.build_absolute_uri(f"/inbound/{token}")
    # The token exists only in this answer (only its hash is stored): no redirect.
    return render(
        request,
        "connectivity/inbound_issued.html",
        {"integration": integration, "check": check, "url": url},
    )


@any_role
def maintenance(request):
    windows = maintenance_windows_for(request.user)
    form = None
    if is_operator(request.user):
        form = MaintenanceWindowForm(request.POST or None)
        form.fields["integration"].queryset = integrations_for(request.user)
        if request.method == "POST" and form.is_valid():
            services.maintenance_window_create(by=request.user, **form.cleaned_data)
            messages.success(request, _("The maintenance window was added."))
            return redirect("connectivity:maintenance")
    elif request.method == "POST":
        raise Http404
    return render(
        request,
        "connectivity/maintenance.html",
        {"windows": windows, "form": form, "now": timezone.now()},
    )


@require_POST
@operator_required
def maintenance_delete(request, pk: int):
    window = get_object_or_404(maintenance_windows_for(request.user), pk=pk)
    services.maintenance_window_delete(window=window)
    messages.success(request, _("The maintenance window was deleted."))
    return redirect("connectivity:maintenance")


@require_GET
@never_cache
@login_not_required
def inbound(request, token: str):
    """The one-time URL a municipality calls: a small answer, never a redirect."""
    caller = caller_of(request)
    try:
        check = services.inbound_check_record(
            token=token,
            source_address=caller.source_address,
            peer_address=caller.peer_address,
            tls_version=caller.tls_version,
            tls_used=caller.tls_used,
            via_proxy=caller.via_proxy,
        )
    except services.InboundTokenError as exc:
        status = 404 if exc.reason == "unknown" else 410
        return _inbound_answer(request, status, exc.reason, _INBOUND_ERRORS[exc.reason](), None)
    result = "passed" if check.passed else "failed"
    return _inbound_answer(request, 200, result, _inbound_message(check), check)


_INBOUND_ERRORS = {
    "unknown": lambda: _("This check URL is not valid. Ask the PMH operators for a new one."),
    "used": lambda: _("This check URL has already been used. Ask the PMH operators for a new one."),
    "expired": lambda: _("This check URL has expired. Ask the PMH operators for a new one."),
}


def _tls_label(version: str | None) -> str:
    """A TLS version as people read it: `none` and `unknown` are words of the record only."""
    if not version or version == "unknown":
        return _("unknown")
    if version == "none":
        return _("none (plain HTTP)")
    return version


def _inbound_message(check: InboundCheck) -> str:
    values = {
        "integration": str(check.integration),
        "address": check.source_address or _("unknown"),
        "tls": _tls_label(check.tls_version),
    }
    if check.passed:
        return (
            _(
                "Inbound check passed: PMH received this call for %(integration)s from "
                "%(address)s (TLS: %(tls)s), inside the registered address ranges."
            )
            % values
        )
    return (
        _(
            "Inbound check failed: PMH received this call for %(integration)s from "
            "%(address)s (TLS: %(tls)s), which is not in the registered address ranges. "
            "Tell the PMH operators this address."
        )
        % values
    )


def _inbound_answer(request, status: int, result: str, message: str, check) -> HttpResponse:
    body = {
        "result": result,
        "message": message,
        "source_address": check.source_address if check else None,
        "tls_version": check.tls_version if check else None,
        "recorded_at": check.used_at.isoformat() if check and check.used_at else None,
    }
    wants_json = request.GET.get("format") == "json" or "application/json" in request.headers.get(
        "Accept", ""
    )
    if wants_json:
        return HttpResponse(
            json.dumps(body, ensure_ascii=False),
            status=status,
            content_type="application/json; charset=utf-8",
        )
    lines = [message]
    if check is not None:
        # Labels through gettext outside f-strings: makemessages cannot see into those.
        recorded = timezone.localtime(check.used_at).strftime("%Y-%m-%d %H:%M:%S")
        address = body["source_address"] or _("unknown")
        lines.append(_("Source address: %(value)s") % {"value": address})
        lines.append(_("TLS version: %(value)s") % {"value": _tls_label(body["tls_version"])})
        lines.append(_("Recorded at: %(value)s") % {"value": recorded})
    return HttpResponse(
        "\n".join(lines) + "\n", status=status, content_type="text/plain; charset=utf-8"
    )
