"""What each user may see and do with submissions (console.md §5).

Vendor scoping of submissions is decided here only: another vendor's submission is a 404 on
every page and download. Before a reviewed result is released a vendor sees only its status.
"""

from django.db.models import Case, F, QuerySet, Value, When
from django.http import Http404

from console.access import Role, role_of
from onboarding.models import Integration, ReworkMethod
from uploads.models import Status, Submission


def submissions_for(user) -> QuerySet[Submission]:
    role = role_of(user)
    qs = Submission.objects.select_related("integration__municipality")
    if role in (Role.OPERATOR, Role.HELPDESK):
        return qs
    if role is Role.VENDOR:
        return qs.filter(integration__vendor_id=user.vendor_id)
    if role is Role.MUNICIPALITY:
        return qs.filter(integration__municipality_id=user.municipality_id)
    return qs.none()


def get_submission_for_user(user, pk: int) -> Submission:
    try:
        return submissions_for(user).get(pk=pk)
    except Submission.DoesNotExist:
        raise Http404 from None


def can_see_result(user, submission: Submission) -> bool:
    """Verdict, counts, report and result files: staff always, vendors once released."""
    if role_of(user) in (Role.OPERATOR, Role.HELPDESK):
        return True
    # A duplicate shows the first's result: held while that one waits for review.
    return submission.shown.status != Status.REVIEW


def can_revalidate(user, submission: Submission) -> bool:
    """再検証 (issue 18.4): staff, and vendors on their own (the queryset already scoped it),
    once the submission is finished and its bytes are still kept."""
    if role_of(user) not in (Role.OPERATOR, Role.HELPDESK, Role.VENDOR):
        return False
    if submission.integration.retired_at is not None:
        return False
    return submission.is_finished and submission.shown.file_purged_at is None


RESULT_FIELDS = ("verdict", "rows", "errors", "warnings")


def with_shown_results(queryset: QuerySet[Submission], user) -> QuerySet[Submission]:
    """``shown_<field>`` for each result field: what this user may sort on (issue 17.3).

    Staff sort on the values; for a vendor a result held in review has none, so a sort by
    verdict or counts orders held rows as if they had no result, whatever it is."""
    staff = role_of(user) in (Role.OPERATOR, Role.HELPDESK)
    return queryset.annotate(
        **{
            f"shown_{name}": F(name)
            if staff
            else Case(When(status=Status.REVIEW, then=Value(None)), default=F(name))
            for name in RESULT_FIELDS
        }
    )


def can_upload(user, integration: Integration) -> bool:
    """Operators (media handed over, offline tests) and vendors (their own integrations);
    municipal staff where they prepare the file themselves (method manual or manual edit)."""
    if integration.retired_at is not None:
        return False
    role = role_of(user)
    if role is Role.MUNICIPALITY:
        return integration.rework_method in (ReworkMethod.MANUAL, ReworkMethod.MANUAL_EDIT)
    return role in (Role.OPERATOR, Role.VENDOR)


def can_review(user) -> bool:
    return role_of(user) in (Role.OPERATOR, Role.HELPDESK)
