from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from coderules.masking import mask_numbers
from console import audit
from console.access import any_role, is_operator, staff_required
from console.tables import paginate
from onboarding.access import get_integration_for_user
from uploads import lifecycle, results, services, starter
from uploads.access import can_review, can_see_result, get_submission_for_user
from uploads.filters import IssueFilter
from uploads.forms import ReleaseForm
from uploads.models import Status, Submission
from uploads.tables import IssueTable, SubmissionTable


def status_data(request, submission: Submission) -> dict:
    """A submission's progress as the upload page polls it (and the web channel answers)."""
    visible = can_see_result(request.user, submission)
    return {
        "id": submission.pk,
        "name": submission.original_name,
        "status": submission.status,
        "status_label": submission.get_status_display(),
        "finished": submission.is_finished,
        "progress": submission.progress_percent,
        "verdict": submission.verdict if visible else None,
        "verdict_label": submission.get_verdict_display() if visible and submission.verdict else "",
        "duplicate_of": submission.duplicate_of_id,
        "url": submission.get_absolute_url(),
        "status_url": reverse("uploads:submission_status", args=[submission.pk]),
    }


@require_GET
@any_role
def submission_status(request, pk):
    submission = get_submission_for_user(request.user, pk)
    return JsonResponse(status_data(request, submission))


@require_GET
@any_role
def submission_detail(request, pk):
    submission = get_submission_for_user(request.user, pk)
    visible = can_see_result(request.user, submission)
    context = {
        "submission": submission,
        "integration": submission.integration,
        "visible": visible,
        "can_download_original": is_operator(request.user),
        "can_review": can_review(request.user) and submission.status == Status.REVIEW,
        "release_form": ReleaseForm(),
    }
    if visible and submission.verdict:
        issues = submission.issues.filter(attempt=submission.attempts)
        codes = sorted((submission.report or {}).get("counts", {}))
        issue_filter = IssueFilter(request.GET, queryset=issues, codes=codes)
        table = IssueTable(issue_filter.qs)
        paginate(request, table, per_page=50)
        context.update(issue_filter=issue_filter, table=table)
    return render(request, "uploads/submission_detail.html", context)


def _finished_result(request, pk) -> Submission:
    submission = get_submission_for_user(request.user, pk)
    if submission.duplicate_of_id is not None:
        submission = get_submission_for_user(request.user, submission.duplicate_of_id)
    if submission.verdict is None or not can_see_result(request.user, submission):
        raise Http404
    return submission


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    filename = mask_numbers(filename)  # names stored before issue 17.4 may hold a full number
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@any_role
def result_json(request, pk):
    submission = _finished_result(request, pk)
    response = HttpResponse(results.result_json(submission), content_type="application/json")
    audit.record(request, audit.Action.DOWNLOAD_RESULT, submission, format="json")
    return _attachment(response, results.result_names(submission.original_name)[0])


@require_GET
@any_role
def result_csv(request, pk):
    submission = _finished_result(request, pk)
    response = StreamingHttpResponse(
        results.result_csv(submission), content_type="text/csv; charset=utf-8"
    )
    audit.record(request, audit.Action.DOWNLOAD_RESULT, submission, format="csv")
    return _attachment(response, results.result_names(submission.original_name)[1])


@require_GET
@any_role
def original(request, pk):
    submission = get_submission_for_user(request.user, pk)
    if not is_operator(request.user):
        raise PermissionDenied
    try:
        fh = services.original_open(submission=submission)
    except services.OriginalGone:
        return render(request, "uploads/original_gone.html", {"submission": submission}, status=410)
    audit.record(request, audit.Action.DOWNLOAD_ORIGINAL, submission, sha256=submission.sha256)
    response = FileResponse(fh, content_type="application/octet-stream")
    return _attachment(response, submission.original_name)


@require_GET
@staff_required
def review_queue(request):
    waiting = Submission.objects.filter(status=Status.REVIEW).select_related(
        "integration__municipality"
    )
    table = SubmissionTable(waiting)
    paginate(request, table, per_page=50)
    return render(request, "uploads/review_queue.html", {"table": table})


@require_POST
@staff_required
def review_release(request, pk):
    submission = get_submission_for_user(request.user, pk)
    form = ReleaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The comment is too long."))
        return redirect(submission.get_absolute_url())
    try:
        lifecycle.submission_release(
            submission=submission, by=request.user, comment=form.cleaned_data["comment"]
        )
    except lifecycle.NotInReview:
        messages.error(request, _("This result is not waiting for review."))
    else:
        audit.record(request, audit.Action.RELEASE, submission)
        messages.success(request, _("The result was released to the municipality."))
    return redirect(submission.get_absolute_url())


# -- what a vendor needs to start (issue 15.6) ----------------------------------------------

STARTER_FILES = {
    "sample.csv": ("text/csv; charset=Shift_JIS", starter.sample_csv),
    "sample.json": ("application/json", starter.sample_json),
}
LAYOUT_FILES = {
    "sample.csv": STARTER_FILES["sample.csv"],
    "sample.json": STARTER_FILES["sample.json"],
    "record-layout.csv": ("text/csv; charset=utf-8", starter.layout_csv),
    "record-layout.xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        starter.layout_xlsx,
    ),
}


def _download(data: bytes, content_type: str, name: str) -> HttpResponse:
    return _attachment(HttpResponse(data, content_type=content_type), name)


LAYOUT_URL_NAMES = {
    "record-layout.csv": "record_layout_csv",
    "record-layout.xlsx": "record_layout_xlsx",
    "sample.csv": "general_sample_csv",
    "sample.json": "general_sample_json",
}


@require_GET
@any_role
def integration_sample(request, pk, name):
    """A sample file that passes this integration's rules (its prefecture, its data mode)."""
    integration = get_integration_for_user(request.user, pk)
    if name not in STARTER_FILES:
        raise Http404
    content_type, build = STARTER_FILES[name]
    stem, ext = name.rsplit(".", 1)
    filename = f"{integration.dropbox_name}-{integration.data_mode or 'full'}-{stem}.{ext}"
    return _download(build(integration), content_type, filename)


@require_GET
@any_role
def record_layout(request, name):
    """The record layout as a table (field, Japanese name, required, rule), and the general
    sample of the API documentation (千代田区's numbers, full mode)."""
    if name not in LAYOUT_FILES:
        raise Http404
    content_type, build = LAYOUT_FILES[name]
    data = build(None) if name.startswith("sample.") else build()
    return _download(data, content_type, name)
