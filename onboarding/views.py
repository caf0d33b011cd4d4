from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console import audit
from console.access import (
    Role,
    any_role,
    is_operator,
    is_vendor,
    operator_required,
    role_required,
    staff_required,
)
from console.exports import csv_response
from console.tables import paginate
from onboarding import evidence, guidance, overview, people, rules, services, stuck
from onboarding.access import (
    can_edit_contacts,
    can_manage_tokens,
    get_integration_for_user,
    get_municipality_for_user,
    get_vendor_for_user,
    integrations_for,
    municipalities_for,
    vendors_for,
)
from onboarding.filters import IntegrationFilter, MunicipalityFilter
from onboarding.forms import (
    ApiTokenForm,
    BulkActionForm,
    IntegrationForm,
    MunicipalUserInviteForm,
    StageMoveForm,
    VendorContactsForm,
    VendorForm,
)
from onboarding.models import STAGE_ORDER, Integration, Stage, Vendor
from onboarding.rows import integration_rows
from onboarding.tables import IntegrationTable, MunicipalityTable, VendorTable
from onboarding.tokens import api_token_issue, api_token_revoke

PAGE_SIZE = 50


def _municipality_queryset(user):
    visible = integrations_for(user)
    scope = Q(integrations__in=visible.values("pk"))
    return (
        municipalities_for(user)
        .annotate(integration_count=Count("integrations", filter=scope, distinct=True))
        .prefetch_related(
            Prefetch(
                "integrations",
                queryset=visible.order_by("dropbox_name"),
                to_attr="visible_integrations",
            )
        )
    )


@any_role
def municipality_list(request):
    vendors = vendors_for(request.user)
    filterset = MunicipalityFilter(
        request.GET, queryset=_municipality_queryset(request.user), vendors=vendors
    )
    table = MunicipalityTable(filterset.qs)
    paginate(request, table, per_page=PAGE_SIZE)
    return render(
        request,
        "onboarding/municipality_list.html",
        {"filter": filterset, "table": table, "can_edit": is_operator(request.user)},
    )


@any_role
def municipality_export(request):
    municipalities = MunicipalityFilter(
        request.GET, queryset=municipalities_for(request.user), vendors=vendors_for(request.user)
    ).qs
    integrations = integrations_for(request.user).filter(
        municipality__in=municipalities.values("pk")
    )
    return integrations_csv(request, integrations, "municipalities")


def _export_header() -> list[str]:
    return [
    _("Municipality code"), _("Prefecture"), _("Municipality"), _("Business system"),
    _("Vendor"), _("Rework method"), _("Route"), _("Data mode"), _("Test access"), _("Format"),
    _("Stage"), _("In stage since"), _("Go-live date"),
    ]  # fmt: skip


def integrations_csv(request, integrations, list_name: str):
    """The integrations as CSV (safe for Excel), one row each; the export is audited."""
    integrations = integrations.order_by("municipality__code", "dropbox_name")
    rows = (
        [
            i.municipality.code,
            i.municipality.prefecture,
            i.municipality.name,
            i.business_system,
            i.vendor or "",
            i.get_rework_method_display(),
            i.get_route_display(),
            i.get_data_mode_display(),
            i.get_test_access_display(),
            i.get_data_format_display(),
            i.get_stage_display(),
            timezone.localtime(i.stage_changed_at).strftime("%Y-%m-%d %H:%M"),
            i.go_live_date or "",
        ]  # fmt: skip
        for i in integrations.iterator(chunk_size=500)
    )
    audit.record_export(request, list_name, integrations.count())
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csv_response(f"{list_name}-{stamp}.csv", _export_header(), rows)


def _apply_errors(form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@operator_required
def integration_create(request):
    initial = {"municipality_code": request.GET.get("municipality", "")}
    form = IntegrationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            integration = services.integration_create(
                by=request.user,
                municipality=form.cleaned_data["municipality_code"],
                contacts=form.cleaned_data["contacts"],
                share_contacts=form.cleaned_data["share_contacts"],
                **form.service_values(),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The integration was registered."))
            return redirect(integration)
    return render(request, "onboarding/integration_form.html", _form_context(form, None))


def _trade_rows() -> dict[str, list[dict]]:
    rows = {}
    for field, marks in rules.TRADE_OFFS.items():
        labels = dict(Integration._meta.get_field(field).choices)
        rows[field] = [{"label": labels[value], "marks": m} for value, m in marks.items()]
    return rows


def _form_context(form, integration) -> dict:
    return {
        "form": form,
        "integration": integration,
        "trade_rows": _trade_rows(),
        "recommended": rules.RECOMMENDED,
    }


def _operator_integration(request, pk) -> Integration:
    """Scope first (404 for another vendor's object, as for one that does not exist), then
    the role (403)."""
    integration = get_integration_for_user(request.user, pk)
    if not is_operator(request.user):
        raise PermissionDenied
    return integration


@any_role
def integration_edit(request, pk):
    integration = _operator_integration(request, pk)
    form = IntegrationForm(request.POST or None, instance=integration)
    stage_before = integration.stage
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.integration_update(
                integration=integration,
                by=request.user,
                values=form.service_values(),
                contacts=form.cleaned_data["contacts"],
                share_contacts=form.cleaned_data["share_contacts"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            integration.refresh_from_db()
            if changed and integration.stage != stage_before:
                messages.warning(
                    request,
                    _("The route or test access changed: the integration is back at “decided”."),
                )
            messages.success(request, _("The integration was saved."))
            return redirect(integration)
    return render(request, "onboarding/integration_form.html", _form_context(form, integration))


@any_role
def integration_contacts(request, pk):
    integration = get_integration_for_user(request.user, pk)
    if not can_edit_contacts(request.user):
        raise PermissionDenied
    initial = {
        "contacts": "\n".join(integration.contacts.values_list("email", flat=True)),
        "source_ranges": "\n".join(integration.source_ranges),
    }
    form = VendorContactsForm(
        request.POST or None,
        initial=initial,
        operator=is_operator(request.user),
        integration=integration,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.integration_update_contacts(
                integration=integration,
                by=request.user,
                contacts=form.cleaned_data["contacts"],
                source_ranges=form.cleaned_data["source_ranges"],
                share_contacts=form.cleaned_data.get("share_contacts", False),
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Contacts and address ranges were saved."))
            return redirect(integration)
    return render(
        request, "onboarding/integration_contacts.html", {"form": form, "integration": integration}
    )


@any_role
def integration_detail(request, pk):
    integration = get_integration_for_user(request.user, pk)
    now = timezone.now()
    forward = services.forward_stage(integration)
    gate = services.gate(integration=integration, to=forward, now=now) if forward else None
    withheld = (
        forward == Stage.TEST_PASSED
        and is_vendor(request.user)
        and evidence.ask(evidence.HELD, integration=integration, now=now)[0]
    )
    if withheld:  # the gate would tell the vendor the verdict held in review (issue 17.3)
        gate = None
    values = rules.integration_values(integration)
    context = {
        "integration": integration,
        "events": integration.events.select_related("by")[:100],
        "contacts": integration.contacts.all(),
        "stages": _stage_steps(integration),
        "forward": forward and Stage(forward),
        "gate": gate,
        "withheld": withheld,
        "next_steps": guidance.next_steps(integration=integration, forward=forward),
        "suggested": forward if gate and gate.ok and forward != Stage.LIVE else None,
        "back_stages": [Stage(s) for s in STAGE_ORDER[: STAGE_ORDER.index(integration.stage)]],
        "problems": rules.choice_problems(values),
        "missing": rules.missing_choices(values),
        "can_edit": is_operator(request.user),
        "can_edit_contacts": can_edit_contacts(request.user),
        "move_form": StageMoveForm(integration=integration),
    }
    return render(request, "onboarding/integration_detail.html", context)


def _stage_steps(integration: Integration) -> list[dict]:
    current = STAGE_ORDER.index(integration.stage)
    steps = []
    for index, (value, label) in enumerate(Stage.choices):
        skipped = value == Stage.NETWORK_OK and integration.skips_network_check
        state = "done" if index < current else "current" if index == current else "todo"
        steps.append({"value": value, "label": label, "state": state, "skipped": skipped})
    return steps


@require_POST
@any_role
def integration_retire(request, pk):
    integration = _operator_integration(request, pk)
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, _("Retiring an integration needs a reason."))
        return redirect(integration)
    services.integration_retire(integration=integration, by=request.user, reason=reason[:2000])
    messages.success(
        request,
        _("The integration was retired: it no longer appears in lists; its history is kept."),
    )
    return redirect(integration)


@require_POST
@any_role
def integration_move(request, pk):
    integration = _operator_integration(request, pk)
    form = StageMoveForm(request.POST, integration=integration)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(integration)
    try:
        services.integration_move(
            integration=integration,
            to=form.cleaned_data["to"],
            by=request.user,
            reason=form.cleaned_data["reason"],
        )
    except services.StageRefused as refused:
        messages.error(
            request,
            _("The move to “%(stage)s” was refused: %(reasons)s")
            % {
                "stage": Stage(form.cleaned_data["to"]).label,
                "reasons": " / ".join(refused.reasons),
            },
        )
    else:
        messages.success(
            request, _("Moved to “%(stage)s”.") % {"stage": Stage(form.cleaned_data["to"]).label}
        )
    return redirect(integration)


def _integration_filter(request, *, board: bool = False) -> IntegrationFilter:
    return IntegrationFilter(
        request.GET,
        queryset=integrations_for(request.user),
        vendors=vendors_for(request.user),
        board=board,
    )


@any_role
def board(request):
    filterset = _integration_filter(request, board=True)
    query = filterset.form.data.copy() if filterset.is_valid() else QueryDict(mutable=True)
    columns = overview.board_columns(filterset.qs, limit=settings.PMH_BOARD_CARDS)
    for column in columns:
        query["stage"] = column["value"]
        column["list_url"] = f"{reverse('onboarding:integration_list')}?{query.urlencode()}"
    return render(
        request,
        "onboarding/board.html",
        {
            "filter": filterset,
            "columns": columns,
            "now": timezone.now(),
            "limit": settings.PMH_BOARD_CARDS,
            "thresholds": stuck.thresholds(),
        },
    )


@any_role
def integration_export(request):
    return integrations_csv(request, _integration_filter(request).qs, "integrations")


@any_role
def integration_list(request):
    filterset = _integration_filter(request)
    can_edit = is_operator(request.user)
    table = IntegrationTable(filterset.qs, exclude=() if can_edit else ("select",))
    paginate(request, table, per_page=PAGE_SIZE)
    records = [row.record for row in table.page.object_list]
    return render(
        request,
        "onboarding/integration_list.html",
        {
            "filter": filterset,
            "table": table,
            "rows": integration_rows(records, selectable=can_edit),
            "can_edit": can_edit,
            "bulk_form": BulkActionForm(initial={"query": request.GET.urlencode()})
            if can_edit
            else None,
        },
    )


@role_required(Role.OPERATOR, Role.HELPDESK, Role.MUNICIPALITY)
def prefectures(request):
    rows = overview.prefecture_rows(
        municipalities_for(request.user), integrations_for(request.user)
    )
    bars, largest = overview.layout_bars(rows)
    legend = [{"stage": overview.NOT_STARTED, "label": _("No integration")}] + [
        {"stage": v, "label": label} for v, label in Stage.choices
    ]
    return render(
        request,
        "onboarding/prefectures.html",
        {"bars": bars, "largest": largest, "legend": legend, "height": len(bars) * 22 + 30},
    )


@staff_required
def vendor_list(request):
    vendors = Vendor.objects.annotate(integration_count=Count("integrations"))
    table = VendorTable(vendors)
    paginate(request, table, per_page=PAGE_SIZE)
    return render(
        request,
        "onboarding/vendor_list.html",
        {"table": table, "can_edit": is_operator(request.user)},
    )


@any_role
def vendor_detail(request, slug):
    vendor = get_vendor_for_user(request.user, slug)
    return render(
        request,
        "onboarding/vendor_detail.html",
        {
            "vendor": vendor,
            "integrations": integrations_for(request.user).filter(vendor=vendor),
            "users": vendor.users.order_by("username"),
            "tokens": vendor.api_tokens.select_related("created_by"),
            "token_form": ApiTokenForm(),
            "can_edit": is_operator(request.user),
            "can_manage_tokens": can_manage_tokens(request.user),
        },
    )


def _token_vendor(request, slug) -> Vendor:
    """Operators manage every vendor's tokens, a vendor its own (another's is a 404)."""
    vendor = get_vendor_for_user(request.user, slug)
    if not can_manage_tokens(request.user):
        raise PermissionDenied
    return vendor


@require_POST
@any_role
def vendor_token_create(request, slug):
    vendor = _token_vendor(request, slug)
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the token a name."))
        return redirect(vendor)
    token, raw = api_token_issue(vendor=vendor, name=form.cleaned_data["name"], by=request.user)
    audit.record(request, audit.Action.TOKEN_ISSUE, token, vendor=vendor.slug)
    # Shown once, in this answer only: nothing keeps the raw token.
    return render(
        request, "onboarding/token_created.html", {"vendor": vendor, "token": token, "raw": raw}
    )


@require_POST
@any_role
def vendor_token_revoke(request, slug, token_id):
    vendor = _token_vendor(request, slug)
    token = get_object_or_404(vendor.api_tokens, pk=token_id)
    api_token_revoke(token=token)
    audit.record(request, audit.Action.TOKEN_REVOKE, token, vendor=vendor.slug)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect(vendor)


@operator_required
def vendor_create(request):
    form = VendorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        vendor = form.save()
        messages.success(request, _("The vendor was registered."))
        return redirect(vendor)
    return render(request, "onboarding/vendor_form.html", {"form": form, "vendor": None})


@operator_required
def vendor_edit(request, slug):
    vendor = get_object_or_404(Vendor, slug=slug)
    form = VendorForm(request.POST or None, instance=vendor)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The vendor was saved."))
        return redirect(vendor)
    return render(request, "onboarding/vendor_form.html", {"form": form, "vendor": vendor})


UPLOADER_PATH = settings.BASE_DIR / "uploads" / "client" / "pmh_uploader.py"


def _uploader_integration(request, pk) -> Integration:
    integration = get_integration_for_user(request.user, pk)
    if not (is_operator(request.user) or is_vendor(request.user)):
        raise PermissionDenied
    return integration


@any_role
def integration_uploader(request, pk):
    integration = get_integration_for_user(request.user, pk)
    return render(
        request,
        "onboarding/integration_uploader.html",
        {
            "integration": integration,
            "config": _uploader_config(request, integration),
            "can_download": is_operator(request.user) or is_vendor(request.user),
        },
    )


def _uploader_config(request, integration: Integration) -> str:
    mode = integration.data_mode or "full"
    return render_to_string(
        "onboarding/pmh_uploader.ini",
        {
            "url": request.build_absolute_uri("/").rstrip("/"),
            "integration": integration,
            "mode": mode,
        },
    )


@any_role
def integration_uploader_file(request, pk, name):
    integration = _uploader_integration(request, pk)
    if name == "pmh_uploader.py":
        response = FileResponse(
            UPLOADER_PATH.open("rb"),
            as_attachment=True,
            filename=name,
            content_type="text/x-python",
        )
    elif name == "pmh_uploader.ini":
        # CRLF so that Notepad on an older Windows server shows it properly.
        text = _uploader_config(request, integration).replace("\r\n", "\n").replace("\n", "\r\n")
        response = HttpResponse(text.encode("utf-8-sig"), content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        raise Http404
    audit.record(request, audit.Action.DOWNLOAD_FILE, integration, file=name)
    return response


@any_role
def municipal_user_invite(request, code):
    """Operators invite the municipality's staff: a user tied to it, mailed a link to set its
    password. Scope first (404), then the role (403)."""
    municipality = get_municipality_for_user(request.user, code)
    if not is_operator(request.user):
        raise PermissionDenied
    form = MunicipalUserInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = people.user_invite(
            role=Role.MUNICIPALITY,
            municipality=municipality,
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            by=request.user,
            site_url=request.build_absolute_uri("/").rstrip("/"),
        )
        audit.record(request, audit.Action.USER_INVITE, user, role=Role.MUNICIPALITY.value)
        messages.success(
            request,
            _("%(user)s was invited; the link to set a password went to %(email)s.")
            % {"user": user.username, "email": user.email},
        )
        return redirect("onboarding:municipal_user_invite", code=municipality.code)
    return render(
        request,
        "onboarding/municipal_user_invite.html",
        {
            "municipality": municipality,
            "form": form,
            "users": municipality.users.order_by("username"),
        },
    )
