import datetime as dt
import io

import pytest
from django.utils import timezone

from onboarding import services as onboarding_services
from onboarding.models import Stage
from tests.uploads.submission_helpers import (
    csv_file,
    delete_row,
    diff_records,
    full_records,
    receive,
)
from uploads import lifecycle, processing, services, teststore
from uploads.lib.validation.report import Issue
from uploads.lib.validation.stage import sealed_key
from uploads.models import FileDeletion, Status, StoredRecord, Submission, Verdict
from uploads.selectors import late_integrations
from uploads.teststore import store_secret

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    """Run the jobs a block enqueues (sync mode), as a committed transaction would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _store(integration) -> dict[str, str]:
    return dict(
        StoredRecord.objects.filter(integration=integration).values_list("key", "fingerprint")
    )


def _key(record) -> str:
    """The stored key of a record: its text sealed with the store's secret (issue 17.2)."""
    text = "\x1f".join(
        record.get(k) or ""
        for k in ("orgSpecificCertificateTypeId", "myNumber", "certificationSubKey", "historyKey")
    )
    return sealed_key(store_secret(), text)


def test_accepted_full_file_fills_the_test_store_and_reports_the_diff(cast, jobs):
    records = full_records(5)
    with jobs():
        submission = receive(cast.integration_a, csv_file(records), user=cast.alice)
    submission.refresh_from_db()
    assert submission.status == Status.RETURNED
    assert submission.verdict == Verdict.ACCEPTED
    assert (submission.rows, submission.errors, submission.attempts) == (5, 0, 1)
    assert submission.report["diff"] == {"added": 5, "changed": 0, "unchanged": 0, "removed": 0}
    assert set(_store(cast.integration_a)) == {_key(r) for r in records}
    assert submission.stage_at_receipt == Stage.REGISTERED
    assert submission.delivered_at is not None
    stored = StoredRecord.objects.get(integration=cast.integration_a, key=_key(records[0]))
    assert stored.values == {}  # nothing personal: the fingerprint stands for the values


def test_full_then_full_then_diff_change_the_store_as_the_spec_says(cast, jobs):
    records = diff_records(5)
    with jobs():
        receive(cast.integration_a, csv_file(records), mode="full", name="1.csv")
    changed = [dict(r) for r in records[:4]]
    changed[1]["segment"] = "特別"
    with jobs():
        second = receive(cast.integration_a, csv_file(changed), mode="full", name="2.csv")
    second.refresh_from_db()
    assert second.report["diff"] == {"added": 0, "changed": 1, "unchanged": 3, "removed": 1}
    assert set(_store(cast.integration_a)) == {_key(r) for r in records[:4]}

    new = diff_records(7)[6]
    update = {**records[0], "segment": "変更"}
    rows = [update, new, delete_row(records[2]), delete_row(records[4])]
    with jobs():
        third = receive(cast.integration_a, csv_file(rows), mode="diff", name="3.csv")
    third.refresh_from_db()
    assert third.verdict == Verdict.ACCEPTED, third.report["issues"]
    assert third.report["diff"] == {"inserted": 1, "updated": 1, "deleted": 1}
    # one of the four stored records deleted: more than a fifth of the store
    assert third.report["counts"] == {"K_DELETE_UNKNOWN": 1, "K_MASS_REMOVAL": 1}
    store = StoredRecord.objects.filter(integration=cast.integration_a)
    assert {r.key for r in store} == {_key(r) for r in (records[0], records[1], records[3], new)}
    changed = store.get(key=_key(records[0]))
    assert (changed.submission_id, changed.values) == (third.pk, {})


def test_a_rejected_file_leaves_the_store_untouched(cast, jobs):
    with jobs():
        receive(cast.integration_a, csv_file(full_records(3)))
    before = _store(cast.integration_a)
    bad = full_records(4, seed=9)
    bad[2]["myNumber"] = "12345678901X"
    with jobs():
        rejected = receive(cast.integration_a, csv_file(bad), name="bad.csv")
    rejected.refresh_from_db()
    assert rejected.verdict == Verdict.REJECTED
    assert rejected.report["diff"] is None
    assert rejected.issues.filter(row=3).exists()
    assert _store(cast.integration_a) == before


def test_every_issue_is_kept_though_the_report_lists_the_first(cast, jobs, settings):
    settings.PMH_REPORT_MAX_ISSUES = 2
    records = full_records(6)
    for record in records:
        record["basicFiveInfo"]["nameKana"] = "やまだ　たろう"
    with jobs():
        submission = receive(cast.integration_a, csv_file(records))
    submission.refresh_from_db()
    assert len(submission.report["issues"]) == 2
    assert submission.report["issues_total"] == 6
    assert list(submission.issues.values_list("seq", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert set(submission.issues.values_list("code", flat=True)) == {"V_KANA"}


def test_the_same_bytes_are_a_duplicate_of_the_first_and_not_validated_again(cast, jobs):
    data = csv_file(full_records(3))
    with jobs():
        first = receive(cast.integration_a, data)
    with jobs():
        again = receive(cast.integration_a, data, name="again.csv")
    again.refresh_from_db()
    assert again.duplicate_of == first
    assert again.status == Status.RETURNED and again.attempts == 0
    assert again.storage_name == first.storage_name
    with jobs():
        other = receive(cast.integration_b, data)
    assert other.duplicate_of is None


def test_a_file_over_the_limit_stores_nothing(cast, settings, tmp_path):
    settings.PMH_MAX_UPLOAD_MB = 1
    with pytest.raises(lifecycle.SubmissionTooLarge):
        receive(cast.integration_a, b"x" * (1024 * 1024 + 1))
    assert not Submission.objects.exists()
    assert not [p for p in (tmp_path / "files").rglob("*") if p.is_file()]


def test_file_names_lose_paths_and_control_characters(cast, jobs):
    with jobs():
        submission = receive(cast.integration_a, b"", name="..\\..\\evil\u202e\r\nname.csv")
    assert submission.original_name == "evilname.csv"


def test_stored_bytes_are_unchanged_and_verified(cast, jobs):
    data = csv_file(full_records(2))
    with jobs():
        submission = receive(cast.integration_a, data)
    with services.original_open(submission=submission) as fh:
        assert fh.read() == data
    path = services.stored_path(submission)
    path.chmod(0o600)
    path.write_bytes(data + b"tampered")
    with pytest.raises(services.OriginalGone):
        services.original_open(submission=submission)


def test_a_stored_file_changed_before_validation_fails_and_leaves_the_store(cast, jobs):
    with jobs():
        first = receive(cast.integration_a, csv_file(full_records(3)))
    before = _store(cast.integration_a)
    assert len(before) == 3
    data = csv_file(full_records(5))
    submission = receive(cast.integration_a, data)  # jobs not run
    path = services.stored_path(submission)
    path.chmod(0o600)
    path.write_bytes(data.replace(b"\r\n", b"\n", 1))
    processing.process(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.FAILED and submission.validated_at is None
    assert submission.failure_reason == (
        "受け付けたファイルを元のまま読み出せません。受け付けたときから内容が変わっています。"
    )  # Japanese for people: the file's name and hashes go to the log only
    assert first.pk != submission.pk and _store(cast.integration_a) == before
    assert not list(teststore.stage_root().glob(f"{submission.pk}-*"))


def test_a_stored_file_gone_before_validation_fails_in_japanese(cast, jobs):
    submission = receive(cast.integration_a, csv_file(full_records(2)))  # jobs not run
    services.stored_path(submission).unlink()
    processing.process(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.FAILED
    assert submission.failure_reason == "受け付けたファイルを読み出せません。保存先にありません。"


def test_a_stored_file_changed_before_going_into_an_empty_store_fails_and_stores_nothing(
    cast, jobs
):
    """Into an empty store the bytes are checked beside the copy, at the end: a change still
    fails the submission, nothing is stored and the issues found in those bytes go."""
    records = full_records(4)
    data = csv_file(records)
    submission = receive(cast.integration_a, data)  # jobs not run
    path = services.stored_path(submission)
    path.chmod(0o600)
    path.write_bytes(data.replace(b"\r\n", b"\n", 1))  # still valid: copied, then rolled back
    processing.process(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.FAILED and submission.validated_at is None
    assert submission.failure_reason == (
        "受け付けたファイルを元のまま読み出せません。受け付けたときから内容が変わっています。"
    )
    assert _store(cast.integration_a) == {} and submission.issues.count() == 0
    assert not list(teststore.stage_root().glob(f"{submission.pk}-*"))


def test_a_changed_file_with_errors_fails_without_its_issues(cast, jobs, monkeypatch):
    data = csv_file(full_records(3))
    submission = receive(cast.integration_a, data)  # jobs not run
    path = services.stored_path(submission)
    path.chmod(0o600)
    path.write_bytes(data.replace(b"\r\n", b"\r\nX,", 1))  # every cell of row 1 moves on
    found, real_fail = [], lifecycle.submission_fail

    def fail(**kwargs):
        found.append(submission.issues.count())
        return real_fail(**kwargs)

    monkeypatch.setattr(processing.lifecycle, "submission_fail", fail)
    processing.process(submission.pk)
    submission.refresh_from_db()
    assert found[0] > 0  # the changed bytes had issues, recorded while they were validated
    assert submission.status == Status.FAILED and submission.verdict is None
    assert "内容が変わっています" in submission.failure_reason
    assert submission.issues.count() == 0 and _store(cast.integration_a) == {}


@pytest.mark.parametrize("stored", [0, 2], ids=["empty store", "store with records"])
def test_the_bytes_are_checked_beside_the_index_or_the_copy_never_the_engine(
    cast, jobs, monkeypatch, stored
):
    """With records stored the check runs while the index is read and is over before the
    engine starts; into an empty store it starts once the engine is done and must pass before
    the verdict commits. Either way no thread runs beside the engine (a worker is forked)."""
    if stored:
        with jobs():
            receive(cast.integration_a, csv_file(full_records(stored, seed=7)))
    events = []
    real_verify, real_validate = processing.storage.verify, processing.validate_file
    real_ready = lifecycle.submission_ready

    def verify(path, sha256):
        events.append("verify")
        real_verify(path, sha256)

    def validate(source, **kwargs):
        import threading

        events.append("validate")
        assert "verify-sha256" not in [t.name for t in threading.enumerate()]
        return real_validate(source, **kwargs)

    def ready(**kwargs):
        def before(locked):
            kwargs_before(locked)
            events.append("applied")

        kwargs_before = kwargs["before"]
        return real_ready(**{**kwargs, "before": before})

    monkeypatch.setattr(processing.storage, "verify", verify)
    monkeypatch.setattr(processing, "validate_file", validate)
    monkeypatch.setattr(processing.lifecycle, "submission_ready", ready)
    with jobs():
        submission = receive(cast.integration_a, csv_file(full_records(3)))
    submission.refresh_from_db()
    assert submission.verdict == Verdict.ACCEPTED
    if stored:
        assert events == ["verify", "validate", "applied"]
    else:
        assert events[0] == "validate" and set(events[1:]) == {"verify", "applied"}


@pytest.mark.parametrize("stored", [0, 2], ids=["empty store", "store with records"])
def test_a_check_that_cannot_read_the_file_fails_the_submission_in_japanese(
    cast, jobs, monkeypatch, stored
):
    """Not a changed file but an unreadable one (permissions): an internal error, reported
    with the submission's number, nothing stored, the job never left hanging."""
    if stored:
        with jobs():
            receive(cast.integration_a, csv_file(full_records(stored, seed=7)))
    before = _store(cast.integration_a)
    submission = receive(cast.integration_a, csv_file(full_records(3)))  # jobs not run

    def unreadable(path, sha256):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(processing.storage, "verify", unreadable)
    processing.process(submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.FAILED and submission.verdict is None
    assert submission.failure_reason == (
        f"内部エラーで検証が止まりました。詳しくはサーバーのログにあります"
        f"（提出 #{submission.pk}、1 回目の検証）。"
    )
    assert _store(cast.integration_a) == before


def test_the_file_is_verified_first_on_a_thread_that_has_ended(cast, jobs, monkeypatch):
    """The check runs beside the index read, but is over before the engine starts: no bytes
    are validated unverified, and no thread is left that would stop a worker being forked."""
    real, seen = processing.validate_file, []

    def watched(source, **kwargs):
        import threading

        seen.append([t.name for t in threading.enumerate()])
        return real(source, **kwargs)

    monkeypatch.setattr(processing, "validate_file", watched)
    with jobs():
        submission = receive(cast.integration_a, csv_file(full_records(3)))
    submission.refresh_from_db()
    assert submission.verdict == Verdict.ACCEPTED
    assert len(seen) == 1 and "verify-sha256" not in seen[0]


def test_a_second_claim_fails_while_the_lease_is_held(cast, jobs):
    submission = receive(cast.integration_a, csv_file(full_records(2)))  # jobs not run
    assert submission.status == Status.QUEUED
    token = lifecycle.submission_claim(submission_id=submission.pk)
    assert token is not None
    assert lifecycle.submission_claim(submission_id=submission.pk) is None
    processing.process(submission.pk)  # a retried job: nothing happens
    submission.refresh_from_db()
    assert submission.status == Status.VALIDATING and submission.attempts == 1


def test_an_attempt_that_lost_its_lease_cannot_commit(cast, jobs):
    submission = receive(cast.integration_a, csv_file(full_records(3)))
    stale = lifecycle.submission_claim(submission_id=submission.pk)
    later = timezone.now() + dt.timedelta(hours=1)
    with jobs():
        done = lifecycle.submissions_reconcile(now=later)
    assert done.requeued == [submission.pk]
    submission.refresh_from_db()
    assert submission.status == Status.RETURNED and submission.attempts == 2
    assert StoredRecord.objects.count() == 3
    staging = processing.Staging(
        integration_id=submission.integration_id, submission_id=submission.pk
    )
    with pytest.raises(lifecycle.LeaseLost):
        processing._finish(submission, stale, _FakeReport(), staging)
    staging.drop()
    assert submission.issues.count() == 0


class _FakeReport:
    accepted = True


def test_the_reconciler_queues_again_what_has_no_job(cast, jobs):
    submission = receive(cast.integration_a, csv_file(full_records(2)))  # enqueue lost
    with jobs():
        assert lifecycle.submissions_reconcile().queued == []  # not stale yet
        done = lifecycle.submissions_reconcile(now=timezone.now() + dt.timedelta(minutes=5))
    assert done.queued == [submission.pk]
    submission.refresh_from_db()
    assert submission.verdict == Verdict.ACCEPTED


def test_after_the_last_attempt_the_submission_fails_with_a_reason(cast, jobs, settings):
    settings.PMH_SUBMISSION_MAX_ATTEMPTS = 2
    submission = receive(cast.integration_a, csv_file(full_records(2)))
    lifecycle.submission_claim(submission_id=submission.pk)
    later = timezone.now() + dt.timedelta(hours=1)
    lifecycle.submissions_reconcile(now=later)  # back to queued, job not run
    lifecycle.submission_claim(submission_id=submission.pk)
    done = lifecycle.submissions_reconcile(now=later + dt.timedelta(hours=1))
    assert done.failed == [submission.pk]
    submission.refresh_from_db()
    assert submission.status == Status.FAILED
    assert submission.attempts == 2
    assert "2" in submission.failure_reason
    with jobs():
        lifecycle.submission_retry(submission=submission, by=cast.operator)
    submission.refresh_from_db()
    assert submission.status == Status.RETURNED and submission.verdict == Verdict.ACCEPTED


def test_issues_written_by_a_dead_attempt_are_removed_when_another_wins(cast, jobs):
    submission = receive(cast.integration_a, csv_file(full_records(3)))  # jobs not run
    dead = lifecycle.submission_claim(submission_id=submission.pk)
    writer = processing.IssueWriter(submission.pk, 1, dead)
    writer.add(Issue(1, 2, "myNumber", "V_CHECK_DIGIT", "warning", "left by a killed worker"))
    writer.flush()  # then the worker died
    assert submission.issues.count() == 1
    with jobs():
        done = lifecycle.submissions_reconcile(now=timezone.now() + dt.timedelta(hours=1))
    assert done.requeued == [submission.pk]
    submission.refresh_from_db()
    assert submission.status == Status.RETURNED and submission.attempts == 2
    assert submission.issues.count() == submission.warnings == 0
    with pytest.raises(lifecycle.LeaseLost):  # the dead attempt cannot add any more
        writer.add(Issue(2, 3, "myNumber", "V_CHECK_DIGIT", "warning", "late"))
        writer.flush()
    assert submission.issues.count() == 0


def test_a_killed_horse_gives_back_only_the_attempt_of_its_own_job(cast, jobs):
    submission = receive(cast.integration_a, csv_file(full_records(2)))  # jobs not run
    first_job = submission.job_id
    lifecycle.submission_claim(submission_id=submission.pk)
    assert lifecycle.submission_horse_killed(submission_id=submission.pk, job_id="other") is None
    with jobs():
        outcome = lifecycle.submission_horse_killed(submission_id=submission.pk, job_id=first_job)
    assert outcome == "requeued"
    submission.refresh_from_db()
    assert submission.status == Status.RETURNED and submission.attempts == 2
    # A late report about the first job changes nothing any more.
    assert lifecycle.submission_horse_killed(submission_id=submission.pk, job_id=first_job) is None


def test_a_result_waits_for_review_and_is_released_with_a_comment(cast, jobs):
    integration = cast.integration_b
    integration.test_access = "offline"
    integration.save()
    with jobs():
        submission = receive(integration, csv_file(full_records(2)))
    submission.refresh_from_db()
    assert submission.status == Status.REVIEW
    assert submission.verdict is not None
    assert StoredRecord.objects.filter(integration=integration).count() == 2
    with jobs():
        lifecycle.submission_release(submission=submission, by=cast.helpdesk, comment="確認済み")
    submission.refresh_from_db()
    assert submission.status == Status.RETURNED
    assert submission.report["comment"] == "確認済み"
    assert submission.released_by == cast.helpdesk
    with pytest.raises(lifecycle.NotInReview):
        lifecycle.submission_release(submission=submission, by=cast.helpdesk)


def test_review_policy_never_overrides_offline_access(cast, jobs):
    integration = cast.integration_b
    integration.test_access, integration.review_policy = "offline", "never"
    integration.save()
    with jobs():
        submission = receive(integration, csv_file(full_records(1)))
    submission.refresh_from_db()
    assert submission.status == Status.RETURNED


def test_a_failed_delivery_puts_the_submission_in_failed(cast, jobs, monkeypatch):
    from intake import channels

    def broken(submission):
        raise OSError("outbox not writable")

    monkeypatch.setitem(channels.CHANNELS, "folder", channels.ChannelKind("x", broken))
    with jobs():
        submission = receive(cast.integration_a, csv_file(full_records(1)), channel="folder")
    submission.refresh_from_db()
    assert submission.status == Status.FAILED
    assert submission.verdict == Verdict.ACCEPTED
    assert "outbox not writable" in submission.failure_reason


def test_retention_purges_old_bytes_and_records_the_deletion(cast, jobs, settings):
    settings.PMH_RETENTION_DAYS = 30
    with jobs():
        old = receive(cast.integration_a, csv_file(full_records(1)))
        new = receive(cast.integration_a, csv_file(full_records(2)))
    Submission.objects.filter(pk=old.pk).update(received_at=timezone.now() - dt.timedelta(days=31))
    assert services.files_purge() == 1
    old.refresh_from_db()
    assert old.file_purged_at is not None
    assert not services.stored_path(old).exists()
    assert services.stored_path(new).exists()
    deletion = FileDeletion.objects.get()
    assert (deletion.submission, deletion.sha256) == (old, old.sha256)
    with pytest.raises(services.OriginalGone):
        services.original_open(submission=old)
    assert services.files_purge() == 0


def _testing(integration, data_mode="full"):
    integration.rework_method, integration.route = "manual", "usb"
    integration.data_mode, integration.test_access, integration.data_format = (
        data_mode,
        "offline",
        "csv",
    )
    integration.review_policy = "never"
    integration.save()
    for stage in (Stage.DECIDED, Stage.TESTING):
        onboarding_services.integration_move(integration=integration, to=stage, by=None)
    return integration


def test_test_passed_gate_refuses_without_and_allows_with_accepted_submissions(cast, jobs):
    integration = _testing(cast.integration_a, data_mode="diff")
    with jobs():
        receive(integration, csv_file(diff_records(2)), mode="diff")  # diff before full
    with pytest.raises(onboarding_services.StageRefused) as refused:
        onboarding_services.integration_move(integration=integration, to=Stage.TEST_PASSED, by=None)
    assert "全件" in refused.value.reasons[0]
    with jobs():
        receive(integration, csv_file(diff_records(3)), mode="full")
    evidence = services.test_evidence(integration=integration)
    assert not evidence.ok and "差分" in evidence.reasons[0]
    with jobs():
        receive(integration, csv_file(diff_records(4)), mode="diff")
    onboarding_services.integration_move(integration=integration, to=Stage.TEST_PASSED, by=None)
    integration.refresh_from_db()
    assert integration.stage == Stage.TEST_PASSED


def test_submissions_before_testing_or_rejected_do_not_count(cast, jobs):
    integration = cast.integration_a
    with jobs():
        receive(integration, csv_file(full_records(2)))  # stage registered
    integration = _testing(integration)
    bad = full_records(2, seed=5)
    bad[0]["myNumber"] = "1"
    with jobs():
        receive(integration, csv_file(bad))
    assert not services.test_evidence(integration=integration).ok
    with jobs():
        receive(integration, csv_file(full_records(3)))
    assert services.test_evidence(integration=integration).ok


def test_late_integrations_are_live_without_an_accepted_upload_that_day(cast, jobs):
    from onboarding.models import Integration

    Integration.objects.update(stage=Stage.LIVE)
    today = timezone.localdate()
    with jobs():
        receive(cast.integration_a, csv_file(full_records(1)))
        bad = receive(cast.integration_b, b"not,a,valid\nfile")
    bad.refresh_from_db()
    assert bad.verdict == Verdict.REJECTED
    late = late_integrations(Integration.objects.all(), today=today)
    assert list(late) == [cast.integration_b]
    tomorrow = today + dt.timedelta(days=1)
    assert set(late_integrations(Integration.objects.all(), today=tomorrow)) == {
        cast.integration_a,
        cast.integration_b,
    }
    Integration.objects.filter(pk=cast.integration_b.pk).update(stage=Stage.READY)
    assert list(late_integrations(Integration.objects.all(), today=tomorrow)) == [
        cast.integration_a
    ]


def test_receive_streams_from_a_file_object_without_reading_it_whole(cast, jobs):
    class Chunky(io.RawIOBase):
        def __init__(self, data):
            self.data, self.reads = io.BytesIO(data), []

        def read(self, size=-1):
            assert size > 0, "the whole stream was asked for"
            self.reads.append(size)
            return self.data.read(size)

    stream = Chunky(csv_file(full_records(3)))
    with jobs():
        submission = lifecycle.submission_receive(
            integration=cast.integration_a,
            channel="api",
            original_name="x.csv",
            stream=stream,
            sender="token",
        )
    assert stream.reads
    submission.refresh_from_db()
    assert submission.verdict == Verdict.ACCEPTED
