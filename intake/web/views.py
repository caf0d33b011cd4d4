"""The web channel: files uploaded on the integration's page (console.md §3.3); the page
shows the result, so nothing is delivered."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from console.access import any_role
from onboarding.access import get_integration_for_user
from uploads.access import can_upload
from uploads.forms import UploadForm
from uploads.lifecycle import SubmissionTooLarge, submission_receive
from uploads.models import Channel, Submission
from uploads.views import status_data


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
@any_role
def upload(request, pk):
    integration = get_integration_for_user(request.user, pk)
    if not can_upload(request.user, integration):
        raise PermissionDenied
    form = UploadForm(request.POST, request.FILES)
    received, problems = [], []
    if form.is_valid():
        for upload_file in form.cleaned_data["files"]:
            try:
                received.append(_receive(request, integration, upload_file, form))
            except SubmissionTooLarge as exc:
                problems.append(
                    _("%(name)s is larger than %(limit)s MB and was not received.")
                    % {"name": upload_file.name, "limit": exc.limit_mb}
                )
    else:
        problems.append(_("Choose at least one file to upload."))
    if _wants_json(request):
        return JsonResponse(
            {"submissions": [status_data(request, s) for s in received], "errors": problems},
            status=202 if received else 400,
        )
    for problem in problems:
        messages.error(request, problem)
    if received:
        messages.success(
            request,
            _("%(count)d file(s) received; validation runs in the background.")
            % {"count": len(received)},
        )
    return redirect(integration.get_absolute_url())


def _receive(request, integration, upload_file, form) -> Submission:
    return submission_receive(
        integration=integration,
        channel=Channel.WEB,
        original_name=upload_file.name,
        stream=upload_file,
        sender=request.user.get_username(),
        mode=form.cleaned_data["mode"] or None,
        received_by=request.user,
    )
