"""Maildir access (maildir:///path) with Maildir++ folders, also as dovecot sees them."""

import mailbox
import shutil
from pathlib import Path

import pytest

from intake.mail.lib import PROCESSED, QUARANTINE, MailboxError, open_mailbox
from tests import mailserver

dovecot = mailserver.dovecot
imap_account = mailserver.imap_account
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "uploads" / "mail"


@pytest.fixture
def maildir(tmp_path):
    path = tmp_path / "Maildir"
    mailbox.Maildir(path, create=True)
    return path


def test_list_and_move_into_maildirplusplus_folders(maildir):
    store = mailbox.Maildir(maildir, factory=None, create=False)
    raw = (FIXTURES / "plain_csv.eml").read_bytes()
    store.add(raw)
    store.add(b"Subject: second\r\n\r\nx\r\n")
    with open_mailbox(f"maildir://{maildir}") as box:
        found = list(box.list_new())
        assert len(found) == 2 and raw in [r for _, r in found]
        box.move(found[0][0], PROCESSED)
        box.move(found[1][0], QUARANTINE)
        assert list(box.list_new()) == []
    assert (maildir / ".processed" / "maildirfolder").exists()
    assert len(list((maildir / ".processed" / "new").iterdir())) == 1
    assert len(list((maildir / ".quarantine" / "new").iterdir())) == 1
    assert sorted(store.list_folders()) == [PROCESSED, QUARANTINE]


def test_moved_bytes_are_unchanged(maildir):
    raw = (FIXTURES / "raw_cp932_name_8bit.eml").read_bytes()
    mailbox.Maildir(maildir, factory=None).add(raw)
    with open_mailbox(f"maildir://{maildir}") as box:
        ((key, got),) = box.list_new()
        box.move(key, PROCESSED)
    (moved,) = (maildir / ".processed" / "new").iterdir()
    assert got == raw and moved.read_bytes() == raw


def test_limit(maildir):
    store = mailbox.Maildir(maildir, factory=None)
    for i in range(3):
        store.add(b"Subject: %d\r\n\r\nx\r\n" % i)
    with open_mailbox(f"maildir://{maildir}") as box:
        assert len(list(box.list_new(limit=2))) == 2


def test_missing_maildir_is_a_clear_error(tmp_path):
    with pytest.raises(MailboxError):
        open_mailbox(f"maildir://{tmp_path / 'nowhere'}")


def test_dovecot_shows_our_maildir_folders_as_imap_folders(dovecot, imap_account):
    dovecot.deliver(imap_account, (FIXTURES / "plain_csv.eml").read_bytes())
    path = dovecot.maildir(imap_account)
    with open_mailbox(f"maildir://{path}") as box:
        ((key, _raw),) = box.list_new()
        box.move(key, PROCESSED)
    # We ran as root; in production intake runs as the mailbox owner (mail-recipe: root-made
    # directories break dovecot).
    for item in [path, *path.rglob("*")]:
        shutil.chown(item, "dovecot", "dovecot")
    assert dovecot.uids(imap_account) == []
    assert len(dovecot.uids(imap_account, PROCESSED)) == 1
