from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_tables2 import RequestConfig

from console import audit
from console.access import any_role, is_operator, staff_required
from uploads import lifecycle, results, services
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
        RequestConfig(request, paginate={"per_page": 50}).configure(table)
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
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
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
