from django.contrib import messages
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console import audit
from console.access import any_role, is_staff_role, operator_required, staff_required
from console.exports import csv_response
from console.tables import paginate
from helpdesk import labels, services
from helpdesk.access import (
    error_items_for,
    get_error_item_for_user,
    get_reply_template_for_operator,
)
from helpdesk.charts import daily_chart, daily_counts
from helpdesk.filters import ErrorItemFilter, SubmissionFilter
from helpdesk.forms import (
    BulkAssignForm,
    BulkForm,
    CommentForm,
    ItemUpdateForm,
    ReplyForm,
    ReplyTemplateForm,
    StateForm,
)
from helpdesk.history import EXPORT_HEADER, export_rows
from helpdesk.models import ReplyTemplate
from helpdesk.rows import history_rows, queue_rows
from helpdesk.tables import ErrorItemTable, OccurrenceTable, SubmissionHistoryTable
from onboarding.access import get_integration_for_user, vendors_for
from uploads.access import submissions_for, with_shown_results
from uploads.models import Status

PER_PAGE = 50
TIMELINE_SHOWN = 50


def _records(table) -> list:
    """The objects of the table's current page (sorted and paged by django-tables2)."""
    return [row.record for row in table.page.object_list]


# -- upload history -------------------------------------------------------------------------


def _history_filter(request, queryset=None) -> SubmissionFilter:
    return SubmissionFilter(
        request.GET,
        queryset=queryset if queryset is not None else submissions_for(request.user),
        vendors=vendors_for(request.user),
    )


@require_GET
@any_role
def history(request):
    history_filter = _history_filter(request)
    staff = is_staff_role(request.user)
    table = SubmissionHistoryTable(
        with_shown_results(history_filter.qs.select_related("duplicate_of"), request.user)
    )
    paginate(request, table, per_page=PER_PAGE)
    rows = history_rows(_records(table), show_results=staff)
    context = {"filter": history_filter, "table": table, "rows": rows}
    return render(request, "helpdesk/history.html", context)


@require_GET
@any_role
def history_export(request):
    history_filter = _history_filter(request)
    audit.record_export(request, "submissions", history_filter.qs.count())
    rows = export_rows(history_filter.qs, show_results=is_staff_role(request.user))
    name = f"submissions-{timezone.localdate():%Y%m%d}.csv"
    return csv_response(name, EXPORT_HEADER, rows)


@require_GET
@any_role
def integration_timeline(request, pk):
    integration = get_integration_for_user(request.user, pk)
    submissions = submissions_for(request.user).filter(integration=integration)
    recent = list(submissions[:TIMELINE_SHOWN])
    today = timezone.localdate()
    context = {
        "integration": integration,
        "submissions": recent,
        "show_results": is_staff_role(request.user),
        "chart": daily_chart(
            daily_counts(
                submissions, today=today, days=30, hide_review=not is_staff_role(request.user)
            )
        ),
    }
    return render(request, "helpdesk/integration_timeline.html", context)


# -- error queue ----------------------------------------------------------------------------


@require_GET
@staff_required
def queue(request):
    item_filter = _queue_filter(request, request.GET)
    table = ErrorItemTable(item_filter.qs)
    paginate(request, table, per_page=PER_PAGE)
    records = _records(table)
    context = {
        "filter": item_filter,
        "table": table,
        "rows": queue_rows(records),
        "bulk_form": BulkForm(auto_id="bulk_%s"),
        "filter_query": _filter_query(request.GET),
        "more_than_page": table.paginator.count > len(records),
    }
    return render(request, "helpdesk/queue.html", context)


# Query keys that only page or sort the queue; they do not change which items match.
_NOT_FILTERS = {"page", "sort", "per_page"}


def _queue_filter(request, data) -> ErrorItemFilter:
    return ErrorItemFilter(data, queryset=error_items_for(request.user), user=request.user)


def _filter_query(data) -> str:
    kept = data.copy()
    for key in _NOT_FILTERS:
        kept.pop(key, None)
    return kept.urlencode()


def _bulk_targets(request, data):
    """The items a bulk change applies to, always through the access helper: the ticked ones,
    or every item matching the queue's filters evaluated again now (issue 18.12)."""
    if data["all_matching"]:
        item_filter = _queue_filter(request, QueryDict(data["query"]))
        if not item_filter.is_valid():
            return None
        return item_filter.qs
    return error_items_for(request.user).filter(pk__in=[i.pk for i in data["items"]])


@require_POST
@staff_required
def bulk(request):
    form = BulkForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            text = _("Choose at least one item.") if field == "items" else " ".join(errors)
            messages.error(request, text)
        return _back(request, "helpdesk:queue")
    data = form.cleaned_data
    # The access helper decides which items this user may change.
    items = _bulk_targets(request, data)
    if items is None:
        messages.error(request, _("The filters of the queue are not valid; nothing was changed."))
        return _back(request, "helpdesk:queue")
    items = list(items)
    changed = services.error_items_bulk(
        items=items,
        action=data["action"],
        by=request.user,
        state=data["state"],
        assignee=data["assignee"],
        until=data["until"],
    )
    audit.record(
        request,
        audit.Action.ERROR_ITEMS_UPDATE,
        change=data["action"],
        scope="matching" if data["all_matching"] else "selected",
        filters=audit.filters_of(QueryDict(data["query"])) if data["all_matching"] else {},
        matched=len(items),
        items=sorted(i.pk for i in items),
        changed=changed,
    )
    messages.success(
        request,
        _("%(count)d of %(matched)d item(s) changed.") % {"count": changed, "matched": len(items)},
    )
    return _back(request, "helpdesk:queue")


@require_POST
@staff_required
def assign(request):
    form = BulkAssignForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose at least one item."))
    else:
        changed = services.error_items_assign(
            items=form.cleaned_data["items"],
            assignee=form.cleaned_data["assignee"],
            by=request.user,
        )
        messages.success(request, _("%(count)d item(s) assigned.") % {"count": changed})
    return _back(request, "helpdesk:queue")


def _back(request, default: str, **kwargs):
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(default, **kwargs)


@require_GET
@staff_required
def item(request, pk):
    error_item = get_error_item_for_user(request.user, pk)
    occurrences = error_item.occurrence_set.select_related("submission")
    table = OccurrenceTable(occurrences)
    paginate(request, table, per_page=PER_PAGE)
    context = {
        "item": error_item,
        "table": table,
        "comments": error_item.comments.select_related("by"),
        "update_form": ItemUpdateForm(
            initial={
                "state": error_item.state,
                "assignee": error_item.assignee_id,
                "snooze_until": error_item.snoozed_until
                and timezone.localtime(error_item.snoozed_until),
            }
        ),
        "reply_form": _reply_form(request, error_item),
        "recipients": services.reply_recipients(error_item),
        "can_retry": _can_retry(error_item),
        "now": timezone.now(),
        "code_label": labels.code_label(error_item.code),
        "code_is_spec": bool(labels.SPEC_CODE.match(error_item.code)),
        "channel_label": labels.channel_label(error_item.channel),
    }
    return render(request, "helpdesk/item.html", context)


def _can_retry(error_item) -> bool:
    submission = error_item.last_submission
    return bool(submission and submission.status == Status.FAILED and not submission.file_purged_at)


def _reply_form(request, error_item) -> ReplyForm:
    if request.GET.get("sent"):
        # Just sent: an empty form, so the same reply is not sent again by mistake.
        return ReplyForm()
    template = ReplyTemplate.objects.filter(pk=request.GET.get("template") or None).first()
    if template is None:
        template = ReplyTemplate.objects.first()
    if template is None:
        return ReplyForm()
    subject, body = services.reply_render(template=template, item=error_item)
    return ReplyForm(initial={"template": template.pk, "subject": subject, "body": body})


@require_POST
@staff_required
def item_update(request, pk):
    error_item = get_error_item_for_user(request.user, pk)
    form = ItemUpdateForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("helpdesk:item", pk=pk)
    data = form.cleaned_data
    changed = services.error_item_update(
        item=error_item,
        by=request.user,
        state=data["state"],
        assignee=data["assignee"],
        comment=data["comment"],
        snooze_until=data["snooze_until"],
    )
    if changed:
        audit.record(request, audit.Action.ERROR_ITEMS_UPDATE, error_item, changes=changed)
        messages.success(request, _("The item was updated."))
    else:
        messages.info(request, _("Nothing was changed."))
    return redirect("helpdesk:item", pk=pk)


@require_POST
@staff_required
def item_state(request, pk):
    error_item = get_error_item_for_user(request.user, pk)
    form = StateForm(request.POST)
    if form.is_valid():
        services.error_item_set_state(
            item=error_item, state=form.cleaned_data["state"], by=request.user
        )
        messages.success(request, _("The state was changed."))
    return redirect("helpdesk:item", pk=pk)


@require_POST
@staff_required
def item_comment(request, pk):
    error_item = get_error_item_for_user(request.user, pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        services.error_item_comment(
            item=error_item, by=request.user, text=form.cleaned_data["text"]
        )
        messages.success(request, _("The comment was added."))
    else:
        messages.error(request, _("Write a comment first."))
    return redirect("helpdesk:item", pk=pk)


@require_POST
@staff_required
def item_retry(request, pk):
    error_item = get_error_item_for_user(request.user, pk)
    try:
        submission = services.error_item_retry(item=error_item, by=request.user)
    except services.NotRetryable:
        messages.error(request, _("The latest submission of this item cannot be retried."))
    else:
        audit.record(request, audit.Action.RETRY, submission, error_item=error_item.pk)
        messages.success(request, _("Submission #%(id)d was queued again.") % {"id": submission.pk})
    return redirect("helpdesk:item", pk=pk)


@require_POST
@staff_required
def item_reply(request, pk):
    error_item = get_error_item_for_user(request.user, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("A reply needs a subject and a body."))
        return redirect("helpdesk:item", pk=pk)
    try:
        services.error_item_reply(
            item=error_item,
            by=request.user,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
        )
    except services.NoRecipients:
        messages.error(request, _("This integration has no contact address to reply to."))
    else:
        messages.success(request, _("The reply was sent and kept as a comment."))
        return redirect(reverse("helpdesk:item", kwargs={"pk": pk}) + "?sent=1")
    return redirect("helpdesk:item", pk=pk)


# -- reply templates ------------------------------------------------------------------------


@require_GET
@operator_required
def template_list(request):
    templates = ReplyTemplate.objects.select_related("updated_by")
    return render(request, "helpdesk/template_list.html", {"templates": templates})


@require_http_methods(["GET", "POST"])
@operator_required
def template_edit(request, pk=None):
    template = get_reply_template_for_operator(request.user, pk) if pk else ReplyTemplate()
    form = ReplyTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        services.reply_template_save(template=form.save(commit=False), by=request.user)
        messages.success(request, _("The reply template was saved."))
        return redirect("helpdesk:template_list")
    return render(request, "helpdesk/template_form.html", {"form": form, "template": template})
