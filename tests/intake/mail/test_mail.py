"""Mail intake against the loopback dovecot, replies captured by the loopback SMTP sink."""

import mailbox
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.management import call_command

from helpdesk.models import ErrorItem
from intake.mail.lib import RESULT_HEADER
from intake.mail.receive import mail_poll
from intake.models import MailItem, MailMessage
from intake.services import submission_redeliver
from onboarding.models import IntegrationContact
from tests import mailserver
from tests.uploads.submission_helpers import csv_file, full_records
from uploads.lifecycle import submission_release
from uploads.models import Channel, Status, Submission

pytestmark = pytest.mark.django_db

dovecot = mailserver.dovecot
imap_account = mailserver.imap_account
smtp_sink = mailserver.smtp_sink
django_smtp_sink = mailserver.django_smtp_sink
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "uploads" / "mail"
CONTACT_A = "131016@demo.invalid"


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def contacts(cast):
    IntegrationContact.objects.create(integration=cast.integration_a, email=CONTACT_A)
    IntegrationContact.objects.create(integration=cast.integration_b, email="sapporo@demo.invalid")


@pytest.fixture
def box(dovecot, imap_account, settings):
    settings.PMH_MAIL_URL = dovecot.url(imap_account)
    settings.DEFAULT_FROM_EMAIL = "intake@pmh.example"
    return imap_account


def _mail(
    *, sender=CONTACT_A, subject="[131016] 受給者データ", files=(), msgid="<m1@demo.invalid>"
):
    msg = EmailMessage()
    msg["From"] = f"千代田区 担当 <{sender}>"
    msg["To"] = "intake@pmh.example"
    msg["Subject"] = subject
    msg["Message-ID"] = msgid
    msg.set_content("よろしくお願いします。")
    for name, data in files:
        msg.add_attachment(data, maintype="text", subtype="csv", filename=name)
    return msg.as_bytes()


def _body(reply) -> str:
    return reply.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def _poll(jobs):
    with jobs():
        return mail_poll()


def test_good_csv_becomes_a_submission_and_a_threaded_reply(
    cast, contacts, box, dovecot, django_smtp_sink, jobs
):
    dovecot.deliver(box, _mail(files=[("受給者一覧.csv", csv_file(full_records(3)))]))
    done = _poll(jobs)
    submission = Submission.objects.get()
    assert done.submissions == [submission.pk]
    assert submission.channel == Channel.MAIL and submission.sender == CONTACT_A
    assert submission.integration == cast.integration_a
    assert submission.status == Status.RETURNED and submission.delivered_at is not None
    (reply,) = django_smtp_sink.messages
    assert reply["To"] == CONTACT_A
    assert reply["In-Reply-To"] == "<m1@demo.invalid>"
    assert "<m1@demo.invalid>" in reply["References"]
    assert reply[RESULT_HEADER] == str(submission.pk)
    names = [part.get_filename() for part in reply.iter_attachments()]
    assert names == ["受給者一覧.csv.result.json", "受給者一覧.csv.result.csv"]
    body = _body(reply)
    assert "判定: 受理" in body and "件数: 3 件" in body
    assert dovecot.uids(box) == [] and len(dovecot.uids(box, "processed")) == 1
    assert MailItem.objects.get().reply_message_id == reply["Message-ID"]


def test_unknown_sender_is_quarantined_without_reply(
    cast, contacts, box, dovecot, django_smtp_sink, jobs
):
    raw = _mail(sender="stranger@example.com", files=[("a.csv", csv_file(full_records(1)))])
    dovecot.deliver(box, raw)
    done = _poll(jobs)
    assert done.quarantined == ["<m1@demo.invalid>"]
    assert not Submission.objects.exists()
    assert django_smtp_sink.messages == []
    assert len(dovecot.uids(box, "quarantine")) == 1 and dovecot.uids(box) == []
    item = ErrorItem.objects.get()
    assert (item.kind, item.code, item.integration) == ("quarantine", "unknown_sender", None)
    assert item.title == "登録されていない送信者からのメールです。"


def test_ppap_is_quarantined_with_a_reply(cast, contacts, box, dovecot, django_smtp_sink, jobs):
    dovecot.deliver(box, (FIXTURES / "ppap.eml").read_bytes())
    _poll(jobs)
    assert not Submission.objects.exists()
    (reply,) = django_smtp_sink.messages
    assert reply["To"] == CONTACT_A and reply["In-Reply-To"] == "<fixture-0@demo.invalid>"
    assert "パスワード付きZIP" in _body(reply)
    item = ErrorItem.objects.get()
    assert (item.code, item.integration) == ("ppap", cast.integration_a)
    assert len(dovecot.uids(box, "quarantine")) == 1


def test_duplicate_message_is_not_ingested_twice(
    cast, contacts, box, dovecot, django_smtp_sink, jobs
):
    raw = _mail(files=[("a.csv", csv_file(full_records(2)))])
    dovecot.deliver(box, raw)
    _poll(jobs)
    dovecot.deliver(box, raw)
    done = _poll(jobs)
    assert done.duplicates == ["<m1@demo.invalid>"] and done.submissions == []
    assert Submission.objects.count() == 1 and MailMessage.objects.count() == 1
    assert len(dovecot.uids(box, "processed")) == 2
    assert len(django_smtp_sink.messages) == 1


def test_vendor_a_contact_cannot_send_for_vendor_b(
    cast, contacts, box, dovecot, django_smtp_sink, jobs
):
    raw = _mail(subject="[011002] 札幌市分", files=[("a.csv", csv_file(full_records(1)))])
    dovecot.deliver(box, raw)
    _poll(jobs)
    assert not Submission.objects.filter(integration=cast.integration_b).exists()
    assert not Submission.objects.exists()
    assert ErrorItem.objects.get().code == "foreign_integration"
    (reply,) = django_smtp_sink.messages
    assert "[011002]" in _body(reply)


def test_reviewed_result_reply_carries_the_comment(
    cast, contacts, box, dovecot, django_smtp_sink, jobs
):
    cast.integration_a.review_policy = "always"
    cast.integration_a.save()
    dovecot.deliver(box, _mail(files=[("a.csv", csv_file(full_records(2)))]))
    _poll(jobs)
    submission = Submission.objects.get()
    assert submission.status == Status.REVIEW and django_smtp_sink.messages == []
    with jobs():
        submission_release(submission=submission, by=cast.operator, comment="氏名カナを確認")
    (reply,) = django_smtp_sink.messages
    assert "担当者からのコメント:\n氏名カナを確認" in _body(reply)
    submission_redeliver(submission=submission, by=cast.helpdesk)
    assert len(django_smtp_sink.messages) == 2
    assert django_smtp_sink.messages[1]["In-Reply-To"] == "<m1@demo.invalid>"


def test_imaps_with_tls(cast, contacts, dovecot, imap_account, django_smtp_sink, jobs):
    dovecot.deliver(imap_account, _mail(files=[("a.csv", csv_file(full_records(1)))]))
    with jobs():
        done = mail_poll(url=dovecot.url(imap_account, tls=True), ssl_context=dovecot.ssl_context())
    assert len(done.submissions) == 1 and len(django_smtp_sink.messages) == 1


def test_maildir_through_the_command(cast, contacts, settings, tmp_path, transactional_db):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PMH_MAIL_URL = f"maildir://{tmp_path / 'Maildir'}"
    md = mailbox.Maildir(tmp_path / "Maildir", create=True)
    md.add(_mail(files=[("a.csv", csv_file(full_records(1)))]))
    md.add(_mail(sender="stranger@example.com", msgid="<m2@demo.invalid>"))
    call_command("intake_mail", "--once")
    assert Submission.objects.get().status == Status.RETURNED
    assert len(md) == 0
    assert len(md.get_folder("processed")) == 1 and len(md.get_folder("quarantine")) == 1
    from django.core import mail as django_mail

    assert len(django_mail.outbox) == 1
