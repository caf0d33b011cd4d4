"""Pages of the bulk work on integrations (issue 22.3): actions over a selection of the filtered
integration list, and the bulk registration from a file (preview, then confirm)."""

import base64

from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.access import operator_required
from onboarding import bulk
from onboarding.access import integrations_for, vendors_for
from onboarding.filters import IntegrationFilter
from onboarding.forms import BulkActionForm, RegistrationImportForm
from onboarding.models import Stage
from onboarding.views import integrations_csv

RESULT_KEY = "bulk_result"
PLAN_KEY = "bulk_registration"
SHOWN = 500


def _list_url(query: str) -> str:
    return (
        f"{reverse('onboarding:integration_list')}?{query}"
        if query
        else reverse("onboarding:integration_list")
    )


def _selection(request, form):
    visible = integrations_for(request.user)
    if form.cleaned_data["all_matching"]:
        filterset = IntegrationFilter(
            QueryDict(form.cleaned_data["query"]),
            queryset=visible,
            vendors=vendors_for(request.user),
        )
        return filterset.qs
    return visible.filter(pk__in=form.cleaned_data["pk"])


@require_POST
@operator_required
def integration_bulk(request):
    form = BulkActionForm(request.POST)
    back = _list_url(request.POST.get("query", "")[:4000])
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    selection = _selection(request, form).order_by("stage_changed_at", "pk")
    count = selection.count()
    if count == 0:
        messages.error(request, _("No integration matches the selection."))
        return redirect(back)
    action = form.cleaned_data["action"]
    if action == "export":
        return integrations_csv(request, selection, "integrations")
    if count > bulk.BULK_MAX:
        messages.error(
            request,
            _(
                "%(count)d integrations are selected; up to %(max)d can be changed at once. "
                "Narrow the filters."
            )
            % {"count": count, "max": bulk.BULK_MAX},
        )
        return redirect(back)
    selected = list(selection)
    if action == "move":
        to = form.cleaned_data["to"]
        outcomes = bulk.integrations_bulk_move(
            integrations=selected, to=to, by=request.user, reason=form.cleaned_data["reason"]
        )
        title = _("Move to “%(stage)s”") % {"stage": Stage(to).label}
    else:
        values = form.values()
        outcomes = bulk.integrations_bulk_update(
            integrations=selected, values=values, by=request.user
        )
        title = _("Set %(values)s") % {"values": ", ".join(f"{k}={v}" for k, v in values.items())}
    request.session[RESULT_KEY] = {
        "title": title,
        "back": back,
        "done": [[o.integration.pk, str(o.integration)] for o in outcomes if o.ok],
        "refused": [
            [o.integration.pk, str(o.integration), o.reasons] for o in outcomes if not o.ok
        ],
    }
    return redirect("onboarding:integration_bulk_result")


@operator_required
def integration_bulk_result(request):
    result = request.session.get(RESULT_KEY)
    if result is None:
        return redirect("onboarding:integration_list")
    return render(
        request,
        "onboarding/integration_bulk_result.html",
        {
            "result": result,
            "done": result["done"][:SHOWN],
            "refused": result["refused"][:SHOWN],
            "shown": SHOWN,
        },
    )


@operator_required
def integration_register(request):
    """Step 1: the file is read and every row checked; nothing is saved (the file waits in the
    session). Step 2 (`confirm`): the checked rows are registered."""
    form = RegistrationImportForm()
    planned = None
    if request.method == "POST" and "confirm" in request.POST:
        return _register_confirmed(request)
    if request.method == "POST":
        form = RegistrationImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            try:
                planned = bulk.plan_registration(data, upload.name)
            except bulk.RegistrationFileError as exc:
                form.add_error("file", str(exc))
            else:
                request.session[PLAN_KEY] = {
                    "name": upload.name,
                    "data": base64.b64encode(data).decode("ascii"),
                }
    return render(
        request,
        "onboarding/integration_register.html",
        {"form": form, "planned": planned, **_summary(planned or [])},
    )


def _summary(planned) -> dict:
    return {
        "new_count": sum(r.status == "new" for r in planned),
        "existing_count": sum(r.status == "existing" for r in planned),
        "error_count": sum(r.status == "error" for r in planned),
    }


def _register_confirmed(request):
    stored = request.session.pop(PLAN_KEY, None)
    if stored is None:
        messages.error(request, _("Nothing waits for confirmation: send the file again."))
        return redirect("onboarding:integration_register")
    planned = bulk.plan_registration(base64.b64decode(stored["data"]), stored["name"])
    if any(r.status == "error" for r in planned):
        messages.error(request, _("The file has rows with errors: correct them and send it again."))
        return redirect("onboarding:integration_register")
    created = bulk.integrations_register(planned=planned, by=request.user)
    messages.success(
        request,
        _("%(created)d integrations were registered; %(existing)d were registered already.")
        % {"created": len(created), "existing": len(planned) - len(created)},
    )
    return redirect("onboarding:integration_list")
