"""Pages of people and the registry (issue 18.10): users, one municipality, the code list."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console import audit
from console.access import Role, operator_required
from onboarding import people, services
from onboarding.forms import MunicipalityForm, MunicipalityImportForm, UserInviteForm
from onboarding.importer import UnreadableFile

PAGE_SIZE = 50
_PREVIEW_KEY = "pmh_municipality_import"


def _site_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@operator_required
def user_list(request):
    users = people.users_for(request.user).order_by("-is_active", "username")
    role, query = request.GET.get("role", ""), request.GET.get("q", "").strip()
    if role in {r.value for r in Role}:
        users = users.filter(groups__name=role)
    if query:
        users = users.filter(Q(username__icontains=query) | Q(email__icontains=query))
    page = Paginator(users, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"user": u, "role": people.role_label(u)} for u in page]
    roles = [(r.value, label) for r, label in people.ROLE_LABELS.items()]
    context = {"page": page, "rows": rows, "roles": roles, "role": role, "q": query}
    return render(request, "onboarding/user_list.html", context)


@operator_required
def user_invite(request):
    initial = {"role": request.GET.get("role", Role.HELPDESK.value)}
    if request.GET.get("vendor"):
        initial["vendor"] = people.Vendor.objects.filter(slug=request.GET["vendor"]).first()
    form = UserInviteForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = people.user_invite(
                role=Role(data["role"]),
                username=data["username"],
                email=data["email"],
                vendor=data["vendor"],
                municipality=data["municipality"],
                by=request.user,
                site_url=_site_url(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            audit.record(request, audit.Action.USER_INVITE, user, role=data["role"])
            messages.success(
                request,
                _("%(user)s was invited; the link to set a password went to %(email)s.")
                % {"user": user.username, "email": user.email},
            )
            return redirect("onboarding:user_list")
    return render(request, "onboarding/user_invite.html", {"form": form})


def _managed_user(request, pk):
    try:
        return people.users_for(request.user).get(pk=pk)
    except people.User.DoesNotExist:
        raise Http404 from None


@require_POST
@operator_required
def user_reset(request, pk):
    user = _managed_user(request, pk)
    try:
        people.user_send_reset(user=user, by=request.user, site_url=_site_url(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        audit.record(request, audit.Action.USER_RESET, user)
        messages.success(
            request,
            _("A new link to set the password went to %(email)s.") % {"email": user.email},
        )
    return redirect("onboarding:user_list")


@require_POST
@operator_required
def user_active(request, pk):
    user = _managed_user(request, pk)
    active = request.POST.get("active") == "1"
    try:
        changed = people.user_set_active(user=user, active=active, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("onboarding:user_list")
    if changed:
        action = audit.Action.USER_REACTIVATE if active else audit.Action.USER_DEACTIVATE
        audit.record(request, action, user)
    text = _("%(user)s can sign in again.") if active else _("%(user)s can no longer sign in.")
    messages.success(request, text % {"user": user.username})
    return redirect("onboarding:user_list")


@operator_required
def municipality_create(request):
    form = MunicipalityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        municipality = form.save()
        audit.record(request, audit.Action.MUNICIPALITY_ADD, municipality, code=municipality.code)
        messages.success(
            request, _("%(name)s was added.") % {"name": f"{municipality.code} {municipality.name}"}
        )
        return redirect(municipality)
    return render(request, "onboarding/municipality_form.html", {"form": form})


@operator_required
def municipality_import(request):
    """Upload → preview (nothing written; rejected rows listed by line) → confirm."""
    if request.method == "POST" and "confirm" in request.POST:
        return _import_confirm(request)
    form = MunicipalityImportForm(request.POST or None, request.FILES or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            preview = services.municipalities_import(data=upload.read(), dry_run=True)
        except UnreadableFile:
            form.add_error(
                "file", _("The file is neither an XLSX workbook nor UTF-8 or CP932 text.")
            )
        else:
            request.session[_PREVIEW_KEY] = {"name": upload.name, "rows": preview.rows}
    context = {"form": form, "preview": preview, "result": None}
    return render(request, "onboarding/municipality_import.html", context)


def _import_confirm(request):
    kept = request.session.pop(_PREVIEW_KEY, None)
    if kept is None:
        messages.error(request, _("The preview is gone; choose the file again."))
        return redirect("onboarding:municipality_import")
    result = services.municipalities_import_rows(rows=kept["rows"])
    audit.record(
        request,
        audit.Action.MUNICIPALITY_IMPORT,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
    )
    context = {"form": MunicipalityImportForm(), "preview": None, "result": result}
    return render(request, "onboarding/municipality_import.html", context)
