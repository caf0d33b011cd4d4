"""The integration's 「レイアウト診断」 pages (issue 24): diagnose an export, adjust and save the
mapping as a version, switch validation through it on, download the 変換仕様書 and the mapping
as JSON, import a mapping, and download a submission's records in PMH's layout.

Every page reaches its integration through ``get_integration_for_user`` (a vendor's view of
another vendor's integration is a 404) and its submission through ``get_submission_for_user``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console import audit
from console.access import any_role
from onboarding.access import get_integration_for_user
from uploads import lifecycle, mappings, services
from uploads.access import can_see_result, can_upload, get_submission_for_user
from uploads.doctor_forms import DiagnoseForm, ImportForm, MappingForm, UseForm
from uploads.lib.doctor import MappingError, SourceError, mapping_from_json, new_mapping
from uploads.lib.validation import load_layout
from uploads.models import LayoutDiagnosis, LayoutMappingVersion
from uploads.views import _attachment

DEFAULT_LAYOUT = "pmh-medical-subsidy/1"


def _home(integration) -> str:
    return reverse("uploads:layout", args=[integration.pk])


def _editable(request, pk):
    integration = get_integration_for_user(request.user, pk)
    if not can_upload(request.user, integration):
        raise PermissionDenied
    return integration


def _unchanged(request, integration, version):
    messages.info(
        request,
        _("Nothing changed: version %(number)d stays current.") % {"number": version.number},
    )
    return redirect(_home(integration))


def _saved(request, integration, version, how: str, text: str):
    """One new mapping version: its audit record and the message that names it."""
    audit.record(
        request,
        audit.Action.MAPPING_SAVED,
        version,
        integration=integration.pk,
        version=version.number,
        how=how,
    )
    messages.success(request, text % {"number": version.number})
    return redirect(_home(integration))


def _diagnosis(integration, pk) -> LayoutDiagnosis | None:
    if pk in (None, ""):
        return None
    try:
        return integration.layout_diagnoses.get(pk=int(pk))
    except (ValueError, LayoutDiagnosis.DoesNotExist):
        raise Http404 from None


@require_GET
@any_role
def layout(request, pk):
    integration = get_integration_for_user(request.user, pk)
    mapping = mappings.mapping_of(integration)
    context = {
        "integration": integration,
        "mapping": mapping,
        "current": mapping.current if mapping else None,
        "versions": mappings.versions_of(integration)[:20],
        "diagnoses": integration.layout_diagnoses.all()[:5],
        "can_edit": can_upload(request.user, integration),
        "diagnose_form": DiagnoseForm(),
        "import_form": ImportForm(),
    }
    return render(request, "uploads/layout.html", context)


@require_POST
@any_role
def diagnose(request, pk):
    integration = _editable(request, pk)
    form = DiagnoseForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the export file to diagnose."))
        return redirect(_home(integration))
    upload = form.cleaned_data["file"]
    try:
        diagnosis = mappings.diagnose(
            integration=integration, original_name=upload.name, stream=upload, user=request.user
        )
    except lifecycle.SubmissionTooLarge as exc:
        messages.error(
            request,
            _("%(name)s is larger than %(limit)s MB and was not received.")
            % {"name": upload.name, "limit": exc.limit_mb},
        )
        return redirect(_home(integration))
    if diagnosis.problem:
        messages.error(
            request,
            _("The file could not be read as a table: %(problem)s")
            % {"problem": diagnosis.problem},
        )
        return redirect(_home(integration))
    return redirect(f"{reverse('uploads:layout_edit', args=[integration.pk])}?d={diagnosis.pk}")


def _columns(diagnosis: LayoutDiagnosis | None, base: dict) -> list[str]:
    names = [c["name"] for c in (diagnosis.profile or {}).get("columns", [])] if diagnosis else []
    for entry in base.get("fields", {}).values():
        for name in entry.get("columns", [entry.get("column")]):
            if name and name not in names:
                names.append(name)
    return names


@require_http_methods(["GET", "POST"])
@any_role
def edit(request, pk):
    integration = _editable(request, pk)
    diagnosis = _diagnosis(integration, request.POST.get("diagnosis") or request.GET.get("d"))
    current = mappings.version_of(integration)
    if diagnosis is not None and diagnosis.profile:
        base = _proposal(diagnosis.profile, current)
    elif current is not None:
        base = current.document
    else:
        base = new_mapping(DEFAULT_LAYOUT)
    layout = load_layout(base.get("layout", DEFAULT_LAYOUT))
    kwargs = {"layout": layout, "columns": _columns(diagnosis, base), "base": base}
    base_number = current.number if current else 0
    errors: list[str] = []
    if request.method == "POST":
        form = MappingForm(request.POST, **kwargs)
        if form.is_valid():
            response = _save(request, integration, form, diagnosis, errors)
            if response is not None:
                return response
    else:
        form = MappingForm(
            initial={"base_version": base_number, "diagnosis": diagnosis.pk if diagnosis else None},
            **kwargs,
        )
    context = {
        "integration": integration,
        "form": form,
        "rows": _rows(form, diagnosis),
        "diagnosis": diagnosis,
        "current": current,
        "mapping_errors": errors,
    }
    return render(request, "uploads/layout_edit.html", context)


def _proposal(profile: dict, current: LayoutMappingVersion | None) -> dict:
    """The diagnosis's proposal, with the fixed values the saved version already has."""
    doc = {
        "schema": new_mapping()["schema"],
        "layout": profile["layout"],
        "source": {"sheet": profile.get("sheet")},
        "fields": {
            f["field"]: {"column": f["column"], "conversions": f["conversions"]}
            for f in profile["fields"]
            if f["column"] is not None
        },
    }
    if current is not None:
        for path, entry in current.document.get("fields", {}).items():
            if "value" in entry and path not in doc["fields"]:
                doc["fields"][path] = entry
    return doc


def _rows(form: MappingForm, diagnosis: LayoutDiagnosis | None) -> list[dict]:
    proposals = {}
    samples = {}
    if diagnosis is not None and diagnosis.profile:
        proposals = {f["field"]: f for f in diagnosis.profile["fields"]}
        samples = {c["name"]: c["samples"] for c in diagnosis.profile["columns"]}
    rows = form.bound_rows()
    for row in rows:
        proposal = proposals.get(row["spec"].path)
        row["proposal"] = proposal
        if proposal:
            row["confidence"] = round(proposal["confidence"] * 100)
            row["samples"] = samples.get(proposal["column"] or "", [])
    return rows


def _save(request, integration, form: MappingForm, diagnosis, errors: list[str]):
    document = form.document()
    try:
        version = mappings.save_version(
            integration=integration,
            document=document,
            user=request.user,
            base_number=form.cleaned_data["base_version"],
            source_name=diagnosis.original_name if diagnosis else "",
        )
    except MappingError as exc:
        errors.extend(exc.errors)
        return None
    except mappings.MappingConflict as exc:
        messages.error(
            request,
            _(
                "The mapping was saved (version %(number)d) after this page was opened, so "
                "nothing was saved now. Check the current mapping and save again if needed."
            )
            % {"number": exc.number},
        )
        return redirect(_home(integration))
    except mappings.NothingChanged as exc:
        return _unchanged(request, integration, exc.version)
    return _saved(request, integration, version, "edit", _("Saved as version %(number)d."))


@require_POST
@any_role
def use(request, pk):
    integration = _editable(request, pk)
    form = UseForm(request.POST)
    if not form.is_valid():
        raise Http404
    on = form.cleaned_data["use"]
    try:
        changed = mappings.set_use(integration=integration, use=on)
    except mappings.NoMapping:
        messages.error(request, _("Save a mapping before validating submissions through it."))
        return redirect(_home(integration))
    if changed:
        audit.record(request, audit.Action.MAPPING_USE, mappings.mapping_of(integration), use=on)
    if on:
        messages.success(
            request,
            _("Submissions on every channel are now validated through the mapping."),
        )
    else:
        messages.success(request, _("Submissions are validated as they come, without the mapping."))
    return redirect(_home(integration))


@require_POST
@any_role
def import_json(request, pk):
    integration = _editable(request, pk)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the mapping file (JSON) to import."))
        return redirect(_home(integration))
    upload = form.cleaned_data["file"]
    try:
        document = mapping_from_json(upload.read((1 << 20) + 1))
        version = mappings.save_version(
            integration=integration,
            document=document,
            user=request.user,
            base_number=None,
            how=LayoutMappingVersion.How.IMPORT,
        )
    except MappingError as exc:
        messages.error(request, _("The mapping file was not imported:"))
        for error in exc.errors[:20]:
            messages.error(request, error)
        return redirect(_home(integration))
    except mappings.NothingChanged as exc:
        return _unchanged(request, integration, exc.version)
    return _saved(request, integration, version, "import", _("Imported as version %(number)d."))


def _version(request, integration) -> LayoutMappingVersion:
    number = request.GET.get("v")
    try:
        version = mappings.version_of(integration, int(number) if number else None)
    except ValueError:
        raise Http404 from None
    if version is None:
        raise Http404
    return version


def _file_stem(integration, version) -> str:
    return f"{integration.dropbox_name or integration.pk}-mapping-v{version.number}"


@require_GET
@any_role
def export_json(request, pk):
    integration = get_integration_for_user(request.user, pk)
    version = _version(request, integration)
    response = HttpResponse(
        mappings.document_json(version), content_type="application/json; charset=utf-8"
    )
    audit.record(request, audit.Action.DOWNLOAD_FILE, version, file="mapping.json")
    return _attachment(response, f"{_file_stem(integration, version)}.json")


@require_GET
@any_role
def specification(request, pk, kind):
    integration = get_integration_for_user(request.user, pk)
    if kind not in ("csv", "xlsx"):
        raise Http404
    version = _version(request, integration)
    content_type = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[kind]
    data = mappings.specification_bytes(integration, version, kind)
    audit.record(request, audit.Action.DOWNLOAD_FILE, version, file=f"specification.{kind}")
    name = f"{integration.dropbox_name or integration.pk}-変換仕様書-v{version.number}.{kind}"
    return _attachment(HttpResponse(data, content_type=content_type), name)


@require_GET
@any_role
def converted(request, pk):
    """The submission's records in PMH's layout, masked: what its export becomes."""
    submission = get_submission_for_user(request.user, pk)
    if (
        submission.layout_mapping_version_id is None
        or submission.verdict is None
        or not can_see_result(request.user, submission)
    ):
        raise Http404
    rows = mappings.converted_rows(submission)
    try:
        first = next(rows)
    except (services.OriginalGone, SourceError, mappings.NoMapping):
        messages.error(
            request,
            _("The records in PMH's layout cannot be made: the file is gone or cannot be read."),
        )
        return redirect(submission.get_absolute_url())

    def lines():
        yield from mappings.csv_lines(_chain(first, rows))

    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in lines()), content_type="text/csv; charset=utf-8"
    )
    audit.record(request, audit.Action.DOWNLOAD_RESULT, submission, format="pmh-layout")
    return _attachment(response, f"{submission.original_name}.pmh.csv")


def _chain(first, rest):
    yield first
    yield from rest
