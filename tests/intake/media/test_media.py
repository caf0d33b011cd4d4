"""USB media: handover record, import with custody hashes, who sees what, redelivery button."""

import hashlib
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from intake.folder.receive import folder_sweep
from intake.media.receive import media_files_import, media_handover_create
from intake.models import FolderItem, MediaFile, MediaHandover
from intake.services import round_trip
from tests.uploads.submission_helpers import csv_file, full_records
from uploads.models import Channel, Status, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _handover(cast, integration=None):
    return media_handover_create(
        integration=integration or cast.integration_b,
        brought_by="札幌市 保健福祉局 山田",
        medium="USBメモリ 管理番号 S-042",
        by=cast.operator,
    )


def test_operator_records_a_handover_and_imports_files_with_custody(cast, client_for, jobs):
    client = client_for(cast.operator)
    response = client.post(
        reverse("intake:media_list", args=[cast.integration_b.pk]),
        {
            "brought_by": "札幌市 保健福祉局 山田",
            "received_at": "2026-04-01T10:30",
            "medium": "USBメモリ S-042",
            "note": "封筒入り",
        },
    )
    handover = MediaHandover.objects.get()
    assert response.status_code == 302 and response.url == handover.get_absolute_url()
    assert handover.recorded_by == cast.operator and handover.integration == cast.integration_b
    data = [csv_file(full_records(2)), csv_file(full_records(3, seed=5))]
    with jobs():
        response = client.post(
            reverse("intake:media_import", args=[handover.pk]),
            {
                "files": [
                    SimpleUploadedFile("one.csv", data[0], content_type="text/csv"),
                    SimpleUploadedFile("two.csv", data[1], content_type="text/csv"),
                ]
            },
        )
    assert response.status_code == 302
    files = list(MediaFile.objects.order_by("name"))
    assert [f.sha256 for f in files] == [hashlib.sha256(d).hexdigest() for d in data]
    for media_file in files:
        submission = media_file.submission
        assert submission.channel == Channel.MEDIA and submission.sha256 == media_file.sha256
        assert submission.received_by == cast.operator and media_file.imported_by == cast.operator
        assert submission.status == Status.RETURNED and submission.delivered_at is not None
        assert round_trip(submission) is not None
    page = client.get(handover.get_absolute_url()).content.decode()
    assert files[0].sha256 in page and "result.csv" in page


def test_vendor_reads_own_handovers_and_never_another_vendors(cast, client_for, jobs):
    handover = _handover(cast)
    with jobs():
        media_files_import(
            handover=handover,
            files=[("a.csv", io.BytesIO(csv_file(full_records(1))))],
            by=cast.operator,
        )
    bob = client_for(cast.bob)
    assert bob.get(handover.get_absolute_url()).status_code == 200
    assert bob.get(reverse("intake:media_list", args=[cast.integration_b.pk])).status_code == 200
    assert (
        b'name="brought_by"'
        not in bob.get(reverse("intake:media_list", args=[cast.integration_b.pk])).content
    )
    response = bob.post(
        reverse("intake:media_import", args=[handover.pk]),
        {"files": [SimpleUploadedFile("x.csv", b"a", content_type="text/csv")]},
    )
    assert response.status_code == 403
    alice = client_for(cast.alice)
    assert alice.get(handover.get_absolute_url()).status_code == 404
    assert alice.get(reverse("intake:media_list", args=[cast.integration_b.pk])).status_code == 404
    assert alice.post(reverse("intake:media_import", args=[handover.pk])).status_code == 404


def test_help_desk_reads_but_does_not_record(cast, client_for):
    handover = _handover(cast)
    client = client_for(cast.helpdesk)
    assert client.get(handover.get_absolute_url()).status_code == 200
    response = client.post(
        reverse("intake:media_list", args=[cast.integration_b.pk]),
        {"brought_by": "x", "received_at": "2026-04-01T10:30", "medium": "y"},
    )
    assert response.status_code == 403
    assert MediaHandover.objects.count() == 1


def test_redeliver_button_for_the_help_desk_only(cast, client_for, jobs, settings):
    with jobs():
        folder_sweep()
        inbox = settings.PMH_DROPBOX_ROOT / "131016" / "inbox"
        (inbox / "daily.csv").write_bytes(csv_file(full_records(1)))
        folder_sweep(now=time.time() + 3600)
    submission = Submission.objects.get()
    assert FolderItem.objects.filter(submission=submission).exists()
    url = reverse("intake:redeliver", args=[submission.pk])
    helpdesk = client_for(cast.helpdesk)
    assert url in helpdesk.get(submission.get_absolute_url()).content.decode()
    response = helpdesk.post(url)
    assert response.status_code == 302
    alice = client_for(cast.alice)
    assert url not in alice.get(submission.get_absolute_url()).content.decode()
    assert alice.post(url).status_code == 403
    bob = client_for(cast.bob)
    assert bob.get(submission.get_absolute_url()).status_code == 404
