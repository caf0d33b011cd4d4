"""The shared folder end to end: real files on disk, the sweep, validation, outbox and archive."""

import json
import os
import time

import pytest
from django.core.management import call_command

from helpdesk.models import ErrorItem
from intake.folder.receive import folder_sweep
from intake.models import FolderItem, FolderScan
from intake.services import round_trip, submission_redeliver
from tests.uploads.submission_helpers import csv_file, full_records
from uploads.models import Channel, Status, Submission, Verdict

pytestmark = pytest.mark.django_db

LATER = 3600  # seconds: a sweep "an hour later" sees every file as stable


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def folder(cast, settings):
    def path(name="131016"):
        return settings.PMH_DROPBOX_ROOT / name

    return path


def _sweep(jobs, *, later=LATER):
    with jobs():
        return folder_sweep(now=time.time() + later)


def _put(folder, name, data, dropbox="131016"):
    (folder(dropbox) / "inbox").mkdir(parents=True, exist_ok=True)
    target = folder(dropbox) / "inbox" / name
    target.write_bytes(data)
    return target


def test_layout_is_created_for_every_integration(cast, folder, jobs):
    _sweep(jobs)
    for name in ("131016", "011002"):
        assert sorted(p.name for p in folder(name).iterdir()) == [
            "archive",
            "error",
            "inbox",
            "outbox",
            "processing",
        ]


def test_good_file_is_validated_archived_and_answered_in_outbox(cast, folder, jobs):
    _sweep(jobs)
    _put(folder, "daily.full.csv", csv_file(full_records(3)))
    done = _sweep(jobs)
    (submission,) = Submission.objects.all()
    assert done.received == [submission.pk]
    assert submission.channel == Channel.FOLDER
    assert submission.integration == cast.integration_a
    assert submission.mode == "full"
    assert submission.status == Status.RETURNED and submission.verdict == Verdict.ACCEPTED
    assert submission.delivered_at is not None and round_trip(submission) is not None
    outbox = folder() / "outbox"
    report = json.loads((outbox / "daily.full.csv.result.json").read_bytes())
    assert report["accepted"] is True
    assert (outbox / "daily.full.csv.result.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    (day,) = (folder() / "archive").iterdir()
    assert [p.name for p in day.iterdir()] == [f"{submission.pk}-daily.full.csv"]
    assert list((folder() / "inbox").iterdir()) == []
    assert list((folder() / "processing").iterdir()) == []


def test_file_being_written_and_part_files_wait(cast, folder, jobs):
    _sweep(jobs)
    _put(folder, "upload.csv.part", csv_file(full_records(2)))
    _put(folder, ".hidden.csv", csv_file(full_records(2)))
    _put(folder, "fresh.csv", csv_file(full_records(2)))
    done = _sweep(jobs, later=0)  # just written: not stable yet
    assert done.waiting == ["131016/fresh.csv"]
    assert not Submission.objects.exists()
    done = _sweep(jobs)
    assert Submission.objects.get().original_name == "fresh.csv"
    assert sorted(p.name for p in (folder() / "inbox").iterdir()) == [
        ".hidden.csv",
        "upload.csv.part",
    ]


def test_crash_left_in_processing_is_taken_again(cast, folder, jobs):
    _sweep(jobs)
    slot = folder() / "processing" / "0000000000000001-deadbeef"
    slot.mkdir()
    (slot / "crashed.csv").write_bytes(csv_file(full_records(2)))
    _sweep(jobs)
    submission = Submission.objects.get()
    assert submission.original_name == "crashed.csv"
    assert submission.status == Status.RETURNED
    assert (folder() / "outbox" / "crashed.csv.result.json").exists()
    assert list((folder() / "processing").iterdir()) == []


def test_file_waiting_for_review_stays_claimed_and_is_not_taken_twice(cast, folder, jobs):
    cast.integration_a.review_policy = "always"
    cast.integration_a.save()
    _sweep(jobs)
    _put(folder, "review.csv", csv_file(full_records(2)))
    _sweep(jobs)
    _sweep(jobs)  # recovery sees the claimed file but it already is a submission
    submission = Submission.objects.get()
    assert submission.status == Status.REVIEW
    assert not (folder() / "outbox" / "review.csv.result.json").exists()


def test_too_large_file_goes_to_error_with_reason(cast, folder, jobs, settings):
    settings.PMH_MAX_UPLOAD_MB = 1
    _sweep(jobs)
    _put(folder, "huge.csv", b"a,b\r\n" * (300 * 1024))
    _sweep(jobs)
    assert not Submission.objects.exists()
    error = folder() / "error"
    assert (error / "huge.csv").exists()
    reason = (error / "huge.csv.reason.txt").read_bytes()
    assert reason.startswith(b"\xef\xbb\xbf") and "大きすぎます" in reason.decode("utf-8-sig")
    item = ErrorItem.objects.get()
    assert item.integration == cast.integration_a and item.code == "folder_too_large"


def test_symlink_fifo_and_unreadable_files_are_refused(cast, folder, jobs, tmp_path):
    _sweep(jobs)
    secret = tmp_path / "secret.csv"
    secret.write_bytes(csv_file(full_records(1)))
    os.symlink(secret, folder() / "inbox" / "link.csv")
    os.mkfifo(folder() / "inbox" / "pipe.csv")
    _sweep(jobs)
    assert not Submission.objects.exists()
    error = folder() / "error"
    assert (error / "link.csv").is_symlink()  # moved, never followed
    assert secret.exists()
    assert "シンボリックリンク" in (error / "link.csv.reason.txt").read_text("utf-8-sig")
    assert (error / "pipe.csv.reason.txt").exists()
    assert set(ErrorItem.objects.values_list("code", flat=True)) == {
        "folder_symlink",
        "folder_special",
    }


def test_not_text_file_is_refused(cast, folder, jobs):
    _sweep(jobs)
    _put(folder, "book.csv", b"PK\x03\x04" + b"\x00" * 200)
    _sweep(jobs)
    assert not Submission.objects.exists()
    assert (folder() / "error" / "book.csv.reason.txt").exists()


def test_files_only_become_submissions_of_the_folders_own_integration(cast, folder, jobs):
    _sweep(jobs)
    _put(folder, "from-a.csv", csv_file(full_records(2)), dropbox="131016")
    _put(folder, "from-b.csv", csv_file(full_records(2, seed=9)), dropbox="011002")
    _sweep(jobs)
    owners = dict(Submission.objects.values_list("original_name", "integration__dropbox_name"))
    assert owners == {"from-a.csv": "131016", "from-b.csv": "011002"}
    assert not (folder("131016") / "outbox" / "from-b.csv.result.json").exists()


def test_duplicate_file_is_answered_with_the_first_result(cast, folder, jobs):
    data = csv_file(full_records(2))
    _sweep(jobs)
    _put(folder, "first.csv", data)
    _sweep(jobs)
    _put(folder, "again.csv", data)
    _sweep(jobs)
    first, again = Submission.objects.order_by("pk")
    assert again.duplicate_of == first
    report = json.loads((folder() / "outbox" / "again.csv.result.json").read_bytes())
    assert report["duplicate_of"] == first.pk and report["accepted"] is True
    assert FolderItem.objects.get(submission=again).archived_path


def test_same_name_sent_again_replaces_the_outbox_result(cast, folder, jobs):
    _sweep(jobs)
    _put(folder, "daily.csv", csv_file(full_records(2)))
    _sweep(jobs)
    bad = full_records(2, seed=3)
    bad[0]["basicFiveInfo"]["nameKana"] = "やまだ"
    _put(folder, "daily.csv", csv_file(bad))
    _sweep(jobs)
    report = json.loads((folder() / "outbox" / "daily.csv.result.json").read_bytes())
    assert report["accepted"] is False
    (day,) = (folder() / "archive").iterdir()
    assert len(list(day.iterdir())) == 2


def test_redeliver_rewrites_the_outbox(cast, folder, jobs):
    _sweep(jobs)
    _put(folder, "daily.csv", csv_file(full_records(2)))
    _sweep(jobs)
    result = folder() / "outbox" / "daily.csv.result.json"
    result.unlink()
    submission = Submission.objects.get()
    delivered = submission.delivered_at
    submission = submission_redeliver(submission=submission, by=cast.helpdesk)
    assert result.exists()
    assert submission.delivered_at == delivered


def test_command_once_finishes_the_work_it_found(cast, settings, folder, transactional_db):
    settings.PMH_DROPBOX_STABLE_SECONDS = 0
    settings.PMH_JOBS_MODE = None  # the embedded mode: jobs would run in a thread pool
    settings.PMH_JOBS_INLINE = True
    call_command("intake_folder", "--once")
    _put(folder, "daily.csv", csv_file(full_records(2)))
    call_command("intake_folder", "--once")
    submission = Submission.objects.get()
    assert submission.status == Status.RETURNED
    assert (folder() / "outbox" / "daily.csv.result.json").exists()


def test_the_second_stability_rule_remembers_the_last_sweep_in_the_database(cast, folder, jobs):
    """A file written just now is taken once a later sweep, in any process, sees it unchanged."""
    _sweep(jobs)
    target = _put(folder, "leer\udcff.csv", csv_file(full_records(1)))
    now = time.time()
    first = folder_sweep(now=now)  # just written: not quiet yet, and never seen before
    assert first.waiting == ["131016/leer\udcff.csv"]
    scan = FolderScan.objects.get(dropbox_name="131016")
    assert [row[0] for row in scan.seen] == [os.fsencode(str(target)).hex()]
    with jobs():
        second = folder_sweep(now=now + 6)  # unchanged since the sweep before: stable
    assert len(second.received) == 1
    folder_sweep(now=now + 7)  # the file has left inbox/: forgotten
    assert FolderScan.objects.get(dropbox_name="131016").seen == []
