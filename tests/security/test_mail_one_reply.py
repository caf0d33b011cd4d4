"""One mail with many attachments gets ONE reply listing every attachment's result (issue 17.11).

Loopback dovecot and SMTP sink (notes/mail-recipe.md). Before, each attachment got its own reply:
400 attachments made 400 mails.
"""

from email.message import EmailMessage

import pytest

from intake.mail import deliver
from intake.mail.receive import mail_poll
from intake.models import MailItem
from onboarding.models import IntegrationContact
from tests import mailserver
from tests.uploads.submission_helpers import csv_file, full_records
from uploads.models import Status, Submission

pytestmark = pytest.mark.django_db

dovecot = mailserver.dovecot
imap_account = mailserver.imap_account
smtp_sink = mailserver.smtp_sink
django_smtp_sink = mailserver.django_smtp_sink
CONTACT = "131016@demo.invalid"


@pytest.fixture
def box(cast, dovecot, imap_account, settings):
    IntegrationContact.objects.create(integration=cast.integration_a, email=CONTACT)
    settings.PMH_MAIL_URL = dovecot.url(imap_account)
    settings.DEFAULT_FROM_EMAIL = "intake@pmh.example"
    return imap_account


def _mail(files) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"千代田区 担当 <{CONTACT}>"
    msg["To"] = "intake@pmh.example"
    msg["Subject"] = "[131016] 受給者データ"
    msg["Message-ID"] = "<many@demo.invalid>"
    msg.set_content("よろしくお願いします。")
    for name, data in files:
        msg.add_attachment(data, maintype="text", subtype="csv", filename=name)
    return msg.as_bytes()


def _body(reply) -> str:
    return reply.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def _names(reply) -> list[str]:
    return [part.get_filename() for part in reply.iter_attachments()]


def test_many_attachments_one_reply_with_every_result(
    box, dovecot, django_smtp_sink, django_capture_on_commit_callbacks
):
    good = csv_file(full_records(3, seed=1))
    bad = good.replace(b"\r\n", b"\r\n,,,\r\n", 1)
    files = [("a.csv", good), ("b.csv", bad)]
    files += [(f"x{n:02d}.csv", csv_file(full_records(2, seed=100 + n))) for n in range(23)]
    dovecot.deliver(box, _mail(files))
    with django_capture_on_commit_callbacks(execute=True):
        mail_poll()
    submissions = list(Submission.objects.order_by("pk"))
    assert len(submissions) == 25
    assert all(s.status == Status.RETURNED for s in submissions)
    (reply,) = django_smtp_sink.messages  # one reply, not 25
    assert reply["In-Reply-To"] == "<many@demo.invalid>"
    body = _body(reply)
    assert "添付ファイル 25 件" in body
    for name, _ in files:
        assert f"ファイル名: {name}" in body
    assert "判定: 受理" in body and "判定: 不受理" in body
    # The result files of the first 20 attachments ride along, the rest are on the console.
    assert len(_names(reply)) == 2 * deliver.MAX_RESULT_FILES_IN_MAIL
    assert "先頭 20 件分" in body
    assert not MailItem.objects.filter(replied_at=None).exists()
    assert len(set(MailItem.objects.values_list("reply_message_id", flat=True))) == 1
    # Delivering again (the reconciler after a crash) sends nothing more.
    for submission in submissions:
        deliver.deliver_mail(submission)
    assert len(django_smtp_sink.messages) == 1


def test_the_reply_waits_for_the_last_result(box, dovecot, django_smtp_sink, settings):
    files = [
        ("a.csv", csv_file(full_records(2, seed=1))),
        ("b.csv", csv_file(full_records(2, seed=2))),
    ]
    dovecot.deliver(box, _mail(files))
    mail_poll()  # nothing validated yet (the jobs of the commit are not run)
    first, second = Submission.objects.order_by("pk")
    Submission.objects.filter(pk=first.pk).update(status=Status.RETURNED, report={"issues": []})
    deliver.deliver_mail(Submission.objects.get(pk=first.pk))
    assert django_smtp_sink.messages == []
    Submission.objects.filter(pk=second.pk).update(
        status=Status.FAILED, failure_reason="worker died"
    )
    deliver.deliver_failed(submission_id=second.pk)
    (reply,) = django_smtp_sink.messages
    body = _body(reply)
    assert "ファイル名: a.csv" in body and "ファイル名: b.csv" in body
    assert "検証を完了できませんでした" in body
