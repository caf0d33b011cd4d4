"""The move of uploads.AccessRecord into console.AuditRecord keeps every recorded download."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from console.models import AuditRecord
from uploads.models import Submission

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("uploads", "0006_submission_sort_and_search_indexes"), ("console", None)]
AFTER = [("uploads", "0007_access_record_moved_to_console_audit")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1]]).apps


def test_access_records_move_to_the_audit_record_and_back(cast):
    submission = Submission.objects.create(
        integration=cast.integration_a, channel="web", original_name="a.csv", size=1,
        sha256="a" * 64, mode="full", stage_at_receipt="testing", received_at=timezone.now(),
    )  # fmt: skip
    at = timezone.now() - datetime.timedelta(days=3)
    try:
        old = _migrate(BEFORE).get_model("uploads", "AccessRecord")
        old.objects.create(
            user_id=cast.operator.pk, action="download_original", submission_id=submission.pk,
            object_repr=f"submission {submission.pk}", at=at,
        )  # fmt: skip
        old.objects.create(user_id=None, action="download_original", object_repr="gone", at=at)
        _migrate(AFTER)
        moved = list(AuditRecord.objects.order_by("id"))
        assert [(r.user_id, r.username, r.object_type, r.object_id, r.at) for r in moved] == [
            (cast.operator.pk, "operator", "submission", str(submission.pk), at),
            (None, "", "", "", at),
        ]
        assert {r.action for r in moved} == {"download_original"}
        back = _migrate(BEFORE).get_model("uploads", "AccessRecord")
        assert list(back.objects.order_by("id").values_list("user_id", "submission_id")) == [
            (cast.operator.pk, submission.pk),
            (None, None),
        ]
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # every app at its latest
