from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console import audit
from console.access import any_role, staff_required
from intake import services
from intake.forms import HandoverForm, MediaFilesForm
from intake.media import receive as media_receive
from intake.media.access import can_record_media, get_handover_for_user
from onboarding.access import get_integration_for_user
from uploads.access import can_see_result, get_submission_for_user
from uploads.lifecycle import SubmissionTooLarge


@any_role
def media_list(request, pk):
    integration = get_integration_for_user(request.user, pk)
    can_record = can_record_media(request.user)
    form = None
    if can_record:
        form = HandoverForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            handover = media_receive.media_handover_create(
                integration=integration, by=request.user, **form.cleaned_data
            )
            messages.success(request, _("The handover was recorded. Import its files now."))
            return redirect(handover)
    elif request.method == "POST":
        raise PermissionDenied
    handovers = integration.media_handovers.select_related("recorded_by").prefetch_related("files")
    context = {"integration": integration, "handovers": handovers, "form": form}
    return render(request, "intake/media_list.html", context)


@any_role
def media_detail(request, pk):
    handover = get_handover_for_user(request.user, pk)
    files = list(handover.files.select_related("submission", "imported_by"))
    for media_file in files:
        media_file.visible = can_see_result(request.user, media_file.submission)
    context = {
        "handover": handover,
        "integration": handover.integration,
        "files": files,
        "form": MediaFilesForm() if can_record_media(request.user) else None,
    }
    return render(request, "intake/media_detail.html", context)


@require_POST
@any_role
def media_import(request, pk):
    handover = get_handover_for_user(request.user, pk)
    if not can_record_media(request.user):
        raise PermissionDenied
    form = MediaFilesForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose at least one file to import."))
        return redirect(handover)
    try:
        imported = media_receive.media_files_import(
            handover=handover,
            files=[(f.name, f) for f in form.cleaned_data["files"]],
            by=request.user,
            mode=form.cleaned_data["mode"] or None,
        )
    except SubmissionTooLarge as exc:
        messages.error(
            request,
            _("A file is larger than %(limit)s MB; nothing more was imported.")
            % {"limit": exc.limit_mb},
        )
        return redirect(handover)
    messages.success(
        request,
        _("%(count)d file(s) imported; validation runs in the background.")
        % {"count": len(imported)},
    )
    return redirect(handover)


@require_POST
@staff_required
def redeliver(request, pk):
    submission = get_submission_for_user(request.user, pk)
    try:
        services.submission_redeliver(submission=submission, by=request.user)
    except services.NotRedeliverable:
        messages.error(request, _("This result cannot be sent again."))
    except Exception as exc:
        messages.error(request, _("The result could not be sent: %(error)s") % {"error": exc})
    else:
        audit.record(request, audit.Action.REDELIVER, submission, channel=submission.channel)
        messages.success(request, _("The result was sent again."))
    return redirect(submission)
