"""Redis down when files arrive by folder, mail and the web (issue #11).

Every channel stores the file and its submission durably in the database first, so Redis
being down loses nothing: the submission waits in ``queued`` and the reconciler enqueues it
once Redis is back; a real RQ worker then processes it exactly once.
"""

import mailbox
import time
from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.core import mail as django_mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from intake.folder.receive import folder_sweep
from intake.mail.receive import mail_poll
from intake.models import FolderItem, MailItem, MailMessage
from onboarding.models import IntegrationContact
from tests.faults.workers import require_services
from tests.uploads.submission_helpers import csv_file, full_records
from uploads import lifecycle, services
from uploads.lib import storage
from uploads.models import Status, Submission, Verdict

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

DOWN = "redis://127.0.0.1:1/0"  # nothing listens there
CONTACT = "131016@demo.invalid"


class Outage:
    def __init__(self, settings):
        require_services()
        self.settings = settings
        self.queues = settings.RQ_QUEUES
        settings.PMH_JOBS_MODE = "rq"
        settings.RQ_QUEUES = {name: {**q, "URL": DOWN} for name, q in self.queues.items()}

    def end(self):
        """Redis is back (empty, as after a restart without persistence)."""
        import django_rq

        self.settings.RQ_QUEUES = self.queues
        django_rq.get_connection("validation").flushdb()

    def reconcile_and_work(self) -> list[int]:
        """The periodic reconciler's pass, then a real RQ worker until the queues are empty."""
        import django_rq
        from rq import SimpleWorker

        queued = lifecycle.submissions_reconcile(now=timezone.now() + timedelta(minutes=10))
        worker = django_rq.get_worker("validation", "intake", worker_class=SimpleWorker)
        worker.work(burst=True)
        return queued.queued

    def nothing_left(self) -> bool:
        import django_rq

        again = lifecycle.submissions_reconcile(now=timezone.now() + timedelta(minutes=20))
        queues = [django_rq.get_queue(name) for name in ("validation", "intake")]
        return not any(vars(again).values()) and all(q.count == 0 for q in queues)


@pytest.fixture
def outage(settings):
    outage = Outage(settings)
    yield outage
    outage.end()


def _waiting_durably(submission: Submission) -> None:
    assert submission.status == Status.QUEUED and submission.verdict is None
    storage.verify(services.stored_path(submission), submission.sha256)


def _done_once(submission: Submission, rows: int) -> None:
    submission.refresh_from_db()
    assert submission.status == Status.RETURNED and submission.verdict == Verdict.ACCEPTED
    assert (submission.rows, submission.attempts) == (rows, 1)
    assert submission.delivered_at is not None


def test_folder_intake_keeps_the_file_and_answers_once_redis_is_back(cast, outage, settings):
    later = time.time() + 3600  # every file is stable by then
    folder_sweep(now=later)
    box = settings.PMH_DROPBOX_ROOT / "131016"
    (box / "inbox" / "daily.full.csv").write_bytes(csv_file(full_records(3)))

    done = folder_sweep(now=later)
    (submission,) = Submission.objects.all()
    assert done.received == [submission.pk]
    _waiting_durably(submission)
    claimed = FolderItem.objects.get(submission=submission).claimed_path
    assert claimed.startswith(str(box / "processing"))
    assert not list((box / "inbox").iterdir()) and not list((box / "outbox").iterdir())
    assert folder_sweep(now=later + 60).received == []  # taken once, even from processing/

    outage.end()
    assert outage.reconcile_and_work() == [submission.pk]
    _done_once(submission, 3)
    assert sorted(p.name for p in (box / "outbox").iterdir()) == [
        "daily.full.csv.result.csv",
        "daily.full.csv.result.json",
    ]
    (day,) = (box / "archive").iterdir()
    assert [p.name for p in day.iterdir()] == [f"{submission.pk}-daily.full.csv"]
    assert not list((box / "processing").rglob("*.csv"))
    assert folder_sweep(now=later + 120).received == []
    assert outage.nothing_left() and Submission.objects.count() == 1


def _message(files) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"千代田区 担当 <{CONTACT}>"
    msg["To"] = "intake@pmh.example"
    msg["Subject"] = "[131016] 受給者データ"
    msg["Message-ID"] = "<redis-down@demo.invalid>"
    msg.set_content("よろしくお願いします。")
    for name, data in files:
        msg.add_attachment(data, maintype="text", subtype="csv", filename=name)
    return msg.as_bytes()


def test_mail_intake_keeps_the_message_and_replies_once_redis_is_back(
    cast, outage, settings, tmp_path
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PMH_MAIL_URL = f"maildir://{tmp_path / 'Maildir'}"
    IntegrationContact.objects.create(integration=cast.integration_a, email=CONTACT)
    maildir = mailbox.Maildir(tmp_path / "Maildir", create=True)
    maildir.add(
        _message([("a.csv", csv_file(full_records(2))), ("b.csv", csv_file(full_records(1)))])
    )

    done = mail_poll()
    assert len(done.submissions) == 2 and len(maildir) == 0
    assert len(maildir.get_folder("processed")) == 1
    for submission in Submission.objects.all():
        _waiting_durably(submission)
    assert MailItem.objects.filter(replied_at=None).count() == 2
    assert django_mail.outbox == []
    assert mail_poll().submissions == []

    outage.end()
    assert sorted(outage.reconcile_and_work()) == sorted(done.submissions)
    first, second = Submission.objects.order_by("original_name")
    _done_once(first, 2)
    _done_once(second, 1)
    # One reply for the message, listing both attachments' results, sent once (issue 17.11).
    assert len(django_mail.outbox) == 1
    reply = django_mail.outbox[0].message()
    body = reply.get_body(preferencelist=("plain",)).get_content()
    assert "ファイル名: a.csv" in body and "ファイル名: b.csv" in body
    assert MailMessage.objects.count() == 1 and not MailItem.objects.filter(replied_at=None)
    assert outage.nothing_left() and len(django_mail.outbox) == 1


def test_web_upload_is_stored_and_processed_once_redis_is_back(cast, outage, client_for):
    client = client_for(cast.alice)
    data = csv_file(full_records(4))
    response = client.post(
        reverse("intake:upload", args=[cast.integration_a.pk]),
        {"files": [SimpleUploadedFile("web.csv", data, content_type="text/csv")], "mode": ""},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 202, response.content
    (submission,) = Submission.objects.all()
    assert response.json()["submissions"][0]["id"] == submission.pk
    _waiting_durably(submission)

    outage.end()
    assert outage.reconcile_and_work() == [submission.pk]
    _done_once(submission, 4)
    assert outage.nothing_left()
