"""Result replies through a loopback SMTP sink: plain smtplib and Django's SMTP backend."""

import smtplib
from pathlib import Path

from django.core import mail as django_mail

from intake.mail.lib import RESULT_HEADER, build_reply, decide, parse_message
from tests import mailserver

smtp_sink = mailserver.smtp_sink
django_smtp_sink = mailserver.django_smtp_sink
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "uploads" / "mail"


def _reply():
    original = parse_message((FIXTURES / "rfc2231_iso2022jp_split.eml").read_bytes())
    return build_reply(
        original,
        from_addr="intake@pmh.example",
        body_ja="受給者一覧.csv を受け付けました。",
        attachments=[
            ("受給者一覧.csv.result.json", b'{"verdict": "accepted"}', "application/json"),
            ("受給者一覧.csv.result.csv", "\ufeff行,コード\r\n".encode(), "text/csv"),
        ],
    )


def _check(received):
    assert received["In-Reply-To"] == "<fixture-0@demo.invalid>"
    assert received[RESULT_HEADER] == "1"
    names = [part.get_filename() for part in received.iter_attachments()]
    assert names == ["受給者一覧.csv.result.json", "受給者一覧.csv.result.csv"]
    csv = list(received.iter_attachments())[1]
    assert csv.get_payload(decode=True) == "\ufeff行,コード\r\n".encode()
    assert csv.get_content_charset() == "utf-8"


def test_reply_through_smtplib(smtp_sink):
    reply = _reply()
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port, timeout=10) as smtp:
        smtp.send_message(reply)
    (received,) = smtp_sink.messages
    _check(received)
    assert smtp_sink.envelopes == [("intake@pmh.example", ["131016@demo.invalid"])]


class PreparedReply(django_mail.EmailMessage):
    """How the Django wiring can send a built reply without re-encoding it."""

    def __init__(self, reply, connection=None):
        super().__init__(from_email=reply["From"], to=[reply["To"]], connection=connection)
        self.reply = reply

    def message(self):
        return self.reply


def test_reply_through_djangos_smtp_backend(django_smtp_sink):
    assert PreparedReply(_reply()).send() == 1
    (received,) = django_smtp_sink.messages
    _check(received)
    # Should the reply ever come back to the intake mailbox, it is refused silently.
    looped = parse_message(received.as_bytes())
    assert decide(looped, dropbox_names_for=lambda a: ["131016"]).code == "own_result"
