"""Retention covers every copy the console made or moved (issue 17.9).

After ``PMH_RETENTION_DAYS`` the shared folder's ``archive/`` (originals), ``error/`` (refused
files) and ``outbox/`` (result files), and the mailbox's ``processed`` and ``quarantine``
messages are gone like the stored file, each purge an audit record. Real files through the
folder channel; real mail through the loopback dovecot (notes/mail-recipe.md) and a Maildir.
"""

import mailbox
import time
from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.utils import timezone

from console.models import AuditRecord
from intake.folder.receive import folder_sweep
from intake.mail.receive import mail_poll
from intake.retention import copies_purge
from onboarding.models import IntegrationContact
from tests import mailserver
from tests.uploads.submission_helpers import csv_file, full_records
from uploads import services
from uploads.models import Submission

pytestmark = pytest.mark.django_db

dovecot = mailserver.dovecot
imap_account = mailserver.imap_account
CONTACT = "131016@demo.invalid"


def _files(path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if not p.is_dir())


def _purges() -> dict[str, dict]:
    return {
        r.detail["place"]: r.detail
        for r in AuditRecord.objects.filter(action=AuditRecord.Action.COPY_PURGED)
    }


def _later(settings):
    return timezone.now() + timedelta(days=settings.PMH_RETENTION_DAYS + 2)


def test_the_shared_folders_copies_go_with_retention(
    cast, settings, django_capture_on_commit_callbacks
):
    root = settings.PMH_DROPBOX_ROOT
    with django_capture_on_commit_callbacks(execute=True):
        folder_sweep(now=time.time())
    inbox = root / "131016" / "inbox"
    (inbox / "daily.csv").write_bytes(csv_file(full_records(3)))
    (inbox / "photo.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)  # refused: not text
    with django_capture_on_commit_callbacks(execute=True):
        folder_sweep(now=time.time() + 3600)
    folder = root / "131016"
    assert _files(folder / "archive") and _files(folder / "error") and _files(folder / "outbox")

    # Within retention nothing goes.
    assert copies_purge().folder_files == 0
    assert _files(folder / "archive") and not _purges()

    # The stored file, the issues past the database's bound, and every copy go after it.
    submission = Submission.objects.get()
    overflow = settings.PMH_STORAGE_ROOT / "issues" / f"{submission.pk}-1.csv.gz"
    overflow.parent.mkdir(parents=True, exist_ok=True)
    overflow.write_bytes(b"issue lines")
    assert services.files_purge(now=_later(settings)) == 1
    assert not overflow.exists()
    done = copies_purge(now=_later(settings))
    for sub in ("archive", "error", "outbox"):
        assert _files(folder / sub) == [], sub
    assert done.folder_files >= 4
    purges = _purges()
    assert set(purges) == {"131016/archive", "131016/error", "131016/outbox"}
    assert purges["131016/archive"]["files"] == 1 and purges["131016/archive"]["bytes"] > 0
    assert purges["131016/error"]["files"] == 2  # the file and its reason
    assert all(
        p["reason"] == f"retention {settings.PMH_RETENTION_DAYS} days" for p in purges.values()
    )
    assert Submission.objects.get().file_purged_at is not None
    assert (folder / "inbox").is_dir()  # the layout itself stays


def test_a_retired_integrations_folder_is_purged_too(cast, settings):
    from onboarding.models import Integration

    day = settings.PMH_DROPBOX_ROOT / "011002" / "archive" / "20200101"
    day.mkdir(parents=True)
    (day / "7-old.csv").write_bytes(b"old")
    Integration.all_objects.filter(pk=cast.integration_b.pk).update(retired_at=timezone.now())
    copies_purge(now=_later(settings))
    assert not (day / "7-old.csv").exists()
    assert _purges()["011002/archive"]["files"] == 1


def test_a_link_in_the_archive_is_removed_not_followed(cast, settings, tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_bytes(b"not the console's")
    day = settings.PMH_DROPBOX_ROOT / "131016" / "archive" / "20200101"
    day.mkdir(parents=True)
    (day / "1-link.csv").symlink_to(outside)
    copies_purge(now=_later(settings))
    assert not (day / "1-link.csv").is_symlink() and outside.read_bytes() == b"not the console's"


def _mail(sender: str, msgid: str, files=()) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "intake@pmh.example"
    msg["Subject"] = "[131016] 受給者データ"
    msg["Message-ID"] = msgid
    msg.set_content("よろしくお願いします。")
    for name, data in files:
        msg.add_attachment(data, maintype="text", subtype="csv", filename=name)
    return msg.as_bytes()


@pytest.fixture
def contact(cast):
    IntegrationContact.objects.create(integration=cast.integration_a, email=CONTACT)


def test_processed_and_quarantined_mail_go_with_retention(
    contact, dovecot, imap_account, settings, django_capture_on_commit_callbacks
):
    settings.PMH_MAIL_URL = dovecot.url(imap_account)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dovecot.deliver(imap_account, _mail(CONTACT, "<a@x>", [("a.csv", csv_file(full_records(2)))]))
    dovecot.deliver(imap_account, _mail("stranger@example.com", "<b@x>"))
    with django_capture_on_commit_callbacks(execute=True):
        mail_poll()
    assert len(dovecot.uids(imap_account, "processed")) == 1
    assert len(dovecot.uids(imap_account, "quarantine")) == 1
    assert copies_purge().mail_messages == 0
    assert len(dovecot.uids(imap_account, "processed")) == 1

    done = copies_purge(now=_later(settings))
    assert done.mail_messages == 2
    assert dovecot.uids(imap_account, "processed") == []
    assert dovecot.uids(imap_account, "quarantine") == []
    purges = _purges()
    assert purges["mail/processed"]["messages"] == 1
    assert purges["mail/quarantine"]["messages"] == 1
    # The inbox is still the poll's: a new message is taken as before.
    dovecot.deliver(imap_account, _mail(CONTACT, "<c@x>", [("c.csv", csv_file(full_records(1)))]))
    with django_capture_on_commit_callbacks(execute=True):
        assert len(mail_poll().processed) == 1


def test_maildir_copies_go_with_retention(
    contact, settings, tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "Maildir"
    box = mailbox.Maildir(path, create=True)
    box.add(_mail(CONTACT, "<a@x>", [("a.csv", csv_file(full_records(2)))]))
    box.add(_mail("stranger@example.com", "<b@x>"))
    settings.PMH_MAIL_URL = f"maildir://{path}"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        mail_poll()
    assert len(box.get_folder("processed")) == 1 and len(box.get_folder("quarantine")) == 1
    assert copies_purge().mail_messages == 0
    assert copies_purge(now=_later(settings)).mail_messages == 2
    assert len(box.get_folder("processed")) == 0 and len(box.get_folder("quarantine")) == 0
