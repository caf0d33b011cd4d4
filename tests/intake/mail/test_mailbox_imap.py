"""IMAP access against a real dovecot on loopback (tests/mailserver.py), plain and IMAPS."""

import imaplib
import ssl
from pathlib import Path

import pytest

from intake.mail.lib import (
    PROCESSED,
    QUARANTINE,
    Ingest,
    MailboxError,
    MailboxURLError,
    decide,
    open_mailbox,
    parse_mailbox_url,
    parse_message,
)
from tests import mailserver
from tests.mailserver import PASSWORD

dovecot = mailserver.dovecot  # fixtures, shared with the Django wiring's tests
imap_account = mailserver.imap_account
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "uploads" / "mail"


def eml(name):
    return (FIXTURES / name).read_bytes()


# --- URLs (no server) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "imaps://pmh:s%40cr%3At@mail.example.jp:993/INBOX",
            ("imaps", "mail.example.jp", 993, "pmh", "s@cr:t", "INBOX"),
        ),
        ("imaps://u:pw-1@mail.example.jp", ("imaps", "mail.example.jp", 993, "u", "pw-1", "INBOX")),
        (
            "imap://u:pw-2@127.0.0.1:10143/Intake",
            ("imap", "127.0.0.1", 10143, "u", "pw-2", "Intake"),
        ),
        ("IMAP://u:pw-3@localhost/", ("imap", "localhost", 143, "u", "pw-3", "INBOX")),
        ("imap://u:pw-4@[::1]:1143/INBOX", ("imap", "::1", 1143, "u", "pw-4", "INBOX")),
    ],
)
def test_imap_urls(url, expected):
    parsed = parse_mailbox_url(url)
    assert (
        parsed.scheme,
        parsed.host,
        parsed.port,
        parsed.user,
        parsed.password,
        parsed.folder,
    ) == expected
    assert parsed.password not in repr(parsed) and parsed.password not in parsed.redacted()


def test_maildir_url():
    assert parse_mailbox_url("maildir:///var/mail/pmh").path == "/var/mail/pmh"


@pytest.mark.parametrize(
    "url",
    [
        "imap://u:topsecret@mail.example.jp/INBOX",  # clear text off loopback
        "imaps://mail.example.jp/INBOX",  # no credentials
        "imaps://u@mail.example.jp/INBOX",  # no password
        "imaps://u:topsecret@mail.example.jp:99999/INBOX",  # bad port
        "pop3://u:topsecret@mail.example.jp",
        "maildir://relative/path",
        "maildir:relative",
        "",
    ],
)
def test_bad_urls_are_refused_without_showing_the_password(url):
    with pytest.raises(MailboxURLError) as caught:
        parse_mailbox_url(url)
    assert "topsecret" not in str(caught.value)


# --- a real server --------------------------------------------------------------------------


def test_list_new_peeks_and_move_files_into_created_folders(dovecot, imap_account):
    first, second = eml("plain_csv.eml"), eml("ppap.eml")
    dovecot.deliver(imap_account, first)
    dovecot.deliver(imap_account, second)
    with open_mailbox(dovecot.url(imap_account)) as box:
        assert {"MOVE", "UIDPLUS"} <= box.capabilities  # asked again after login
        assert box.uidvalidity
        found = list(box.list_new())
        assert [raw.replace(b"\r\n", b"\n") for _, raw in found] == [
            first.replace(b"\r\n", b"\n"),
            second.replace(b"\r\n", b"\n"),
        ]
        assert dovecot.uids(imap_account, criteria="SEEN") == []  # BODY.PEEK: still unread
        box.move(found[0][0], PROCESSED)
        box.move(found[1][0], QUARANTINE)
        assert list(box.list_new()) == []
    assert dovecot.uids(imap_account) == []
    assert len(dovecot.uids(imap_account, PROCESSED)) == 1
    assert len(dovecot.uids(imap_account, QUARANTINE)) == 1


def test_list_new_limit_and_oldest_first(dovecot, imap_account):
    for i in range(3):
        dovecot.deliver(imap_account, b"Subject: %d\r\n\r\nx\r\n" % i)
    with open_mailbox(dovecot.url(imap_account)) as box:
        assert [raw.split(b"\r\n")[0] for _, raw in box.list_new(limit=2)] == [
            b"Subject: 0",
            b"Subject: 1",
        ]


def test_imaps_with_the_test_ca(dovecot, imap_account):
    dovecot.deliver(imap_account, eml("plain_csv.eml"))
    url = dovecot.url(imap_account, tls=True)
    with open_mailbox(url, ssl_context=dovecot.ssl_context()) as box:
        (uid, raw), *_ = box.list_new()
        box.move(uid, PROCESSED)
    assert len(dovecot.uids(imap_account, PROCESSED)) == 1


def test_imaps_refuses_an_untrusted_certificate(dovecot, imap_account):
    with pytest.raises(ssl.SSLCertVerificationError):
        open_mailbox(dovecot.url(imap_account, tls=True), ssl_context=ssl.create_default_context())


def test_wrong_password_is_a_mailbox_error_without_the_password(dovecot, imap_account):
    url = dovecot.url(imap_account).replace(PASSWORD, "wrong-pass-123")
    with pytest.raises(MailboxError) as caught:
        open_mailbox(url)
    assert "wrong-pass-123" not in str(caught.value)


def _flag_deleted_by_a_person(dovecot, user):
    imap = dovecot.client(user)
    imap.select("INBOX")
    typ, data = imap.uid("SEARCH", "ALL")
    uid = data[0].split()[0]
    imap.uid("STORE", uid, "+FLAGS", r"(\Deleted)")
    imap.logout()
    return uid.decode()


def test_move_without_move_capability_expunges_only_that_uid(dovecot, imap_account):
    dovecot.deliver(imap_account, b"Subject: kept by a person\r\n\r\nx\r\n")
    personal = _flag_deleted_by_a_person(dovecot, imap_account)
    dovecot.deliver(imap_account, eml("plain_csv.eml"))
    with open_mailbox(dovecot.url(imap_account)) as box:
        box.capabilities = box.capabilities - {"MOVE"}  # an older server: COPY + UID EXPUNGE
        ((uid, _raw),) = box.list_new()  # the \Deleted one is not "new"
        box.move(uid, PROCESSED)
    assert len(dovecot.uids(imap_account, PROCESSED)) == 1
    assert dovecot.uids(imap_account) == [personal]  # still there, still flagged


def test_move_without_uidplus_leaves_the_original_flagged_not_expunged(dovecot, imap_account):
    dovecot.deliver(imap_account, eml("plain_csv.eml"))
    with open_mailbox(dovecot.url(imap_account)) as box:
        box.capabilities = box.capabilities - {"MOVE", "UIDPLUS"}
        ((uid, _raw),) = box.list_new()
        box.move(uid, QUARANTINE)
        assert list(box.list_new()) == []
    assert dovecot.uids(imap_account, criteria="DELETED") == [uid]
    assert len(dovecot.uids(imap_account, QUARANTINE)) == 1


def test_unknown_folder_in_the_url(dovecot, imap_account):
    with pytest.raises(MailboxError):
        open_mailbox(dovecot.url(imap_account, folder="NoSuchFolder"))


def test_a_sweep_over_the_fixtures_ends_with_an_empty_inbox(dovecot, imap_account):
    names = ["plain_csv.eml", "ppap.eml", "auto_replied.eml", "forwarded_rfc822.eml"]
    for name in names:
        dovecot.deliver(imap_account, eml(name))
    outcomes = {}
    with open_mailbox(dovecot.url(imap_account)) as box:
        for uid, raw in box.list_new():
            mail = parse_message(raw)
            outcome = decide(mail, dropbox_names_for=lambda a: ["131016"])
            outcomes[mail.subject, len(outcomes)] = type(outcome).__name__
            box.move(uid, PROCESSED if isinstance(outcome, Ingest) else QUARANTINE)
    assert sorted(outcomes.values()) == ["Ingest", "Ingest", "Quarantine", "Quarantine"]
    assert dovecot.uids(imap_account) == []
    assert len(dovecot.uids(imap_account, PROCESSED)) == 2


def test_uids_are_not_reused_after_a_move(dovecot, imap_account):
    dovecot.deliver(imap_account, b"Subject: a\r\n\r\nx\r\n")
    with open_mailbox(dovecot.url(imap_account)) as box:
        ((first, _),) = box.list_new()
        box.move(first, PROCESSED)
    dovecot.deliver(imap_account, b"Subject: b\r\n\r\nx\r\n")
    with open_mailbox(dovecot.url(imap_account)) as box:
        ((second, _),) = box.list_new()
    assert int(second) > int(first)


def test_close_never_expunges(dovecot, imap_account):
    dovecot.deliver(imap_account, b"Subject: a\r\n\r\nx\r\n")
    personal = _flag_deleted_by_a_person(dovecot, imap_account)
    box = open_mailbox(dovecot.url(imap_account))
    box.close()
    assert dovecot.uids(imap_account) == [personal]
    with pytest.raises(imaplib.IMAP4.error):
        dovecot.client(imap_account).login(imap_account, PASSWORD)  # already logged in
