import pytest

from helpdesk.models import ErrorItem, State
from helpdesk.services import error_item_record

pytestmark = pytest.mark.django_db


def test_the_same_problem_twenty_times_is_one_item(cast):
    for _ in range(20):
        item = error_item_record(
            kind="rejected",
            code="V_CHECK_DIGIT",
            title="個人番号の検査用数字",
            integration=cast.integration_a,
        )
    assert ErrorItem.objects.count() == 1
    assert item.occurrences == 20 and item.occurrence_set.count() == 20


def test_different_integration_or_code_is_another_item(cast):
    error_item_record(kind="rejected", code="V_KANA", title="x", integration=cast.integration_a)
    error_item_record(kind="rejected", code="V_KANA", title="x", integration=cast.integration_b)
    error_item_record(kind="rejected", code="V_DATE", title="x", integration=cast.integration_a)
    error_item_record(kind="quarantine", code="unknown_sender", title="x", channel="mail")
    assert ErrorItem.objects.count() == 4


def test_a_resolved_problem_that_recurs_is_reopened(cast):
    item = error_item_record(
        kind="failure", code="job_crashed", title="x", integration=cast.integration_a
    )
    item.state = State.RESOLVED
    item.save()
    again = error_item_record(
        kind="failure", code="job_crashed", title="y", integration=cast.integration_a
    )
    assert again.pk == item.pk
    assert (again.state, again.reopened, again.occurrences, again.title) == (State.NEW, 1, 2, "y")


def test_unknown_kind_is_refused(cast):
    with pytest.raises(ValueError):
        error_item_record(kind="oops", code="x", title="x")
