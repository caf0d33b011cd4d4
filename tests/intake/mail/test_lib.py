"""Mail parsing, classification, decisions and replies on .eml fixtures (bad-inputs.md, Mail/MIME).

Fixtures: tests/fixtures/uploads/mail/*.eml, written by make_fixtures.py there; a test checks
that the committed files still match the generator.
"""

import email
import importlib.util
import re
import time
import unicodedata
from email import policy
from pathlib import Path

import pytest

from intake.mail.lib import (
    RESULT_HEADER,
    Ingest,
    Quarantine,
    build_reply,
    classify,
    decide,
    parse_message,
)
from intake.mail.lib.classify import REASONS, zip_encrypted
from intake.mail.lib.parse import Attachment, subject_tokens

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "uploads" / "mail"
_spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

CONTACTS = {
    "131016@demo.invalid": ["131016"],
    "vendor@demo.invalid": ["131016", "131016-2"],
}


def contacts(address):
    return CONTACTS.get(address, [])


def load(name):
    return parse_message((FIXTURES / name).read_bytes())


def outcome(name, lookup=contacts, **kwargs):
    return decide(load(name), dropbox_names_for=lookup, **kwargs)


def test_committed_fixtures_match_the_generator():
    expected = gen.fixtures()
    on_disk = {p.name: p.read_bytes() for p in FIXTURES.glob("*.eml")}
    assert on_disk == expected


# --- headers --------------------------------------------------------------------------------


def test_plain_message():
    mail = load("plain_csv.eml")
    assert mail.sender == "131016@demo.invalid"
    assert mail.sender_name == "千代田区 担当"
    assert mail.subject == "[131016] 日次"  # ISO-2022-JP encoded word
    assert mail.tokens == ["131016"]
    assert mail.message_id == "<fixture-0@demo.invalid>" and not mail.message_id_synthetic
    assert len(mail.raw_sha256) == 64
    assert mail.dedupe_key == (mail.message_id, mail.raw_sha256)
    assert [(a.filename, a.content) for a in mail.attachments] == [("daily.full.csv", gen.CSV)]


def test_missing_message_id_is_synthesised_from_the_hash():
    mail = load("no_message_id.eml")
    assert mail.message_id_synthetic
    assert mail.message_id == f"<{mail.raw_sha256[:40]}@pmh.invalid>"
    assert load("no_message_id.eml").message_id == mail.message_id  # stable


def test_same_message_id_with_other_bytes_is_not_a_duplicate():
    first = load("plain_csv.eml")
    raw = (FIXTURES / "plain_csv.eml").read_bytes().replace(b"9:00:00", b"9:00:01")
    second = parse_message(raw)
    assert first.message_id == second.message_id
    assert first.dedupe_key != second.dedupe_key


def test_from_and_envelope_sender_are_both_kept():
    mail = load("from_ne_envelope.eml")
    assert mail.sender == "131016@demo.invalid"
    assert mail.envelope_sender == "bounce-123@mailer.demo.invalid"
    assert isinstance(decide(mail, dropbox_names_for=contacts), Ingest)  # From: decides


@pytest.mark.parametrize(
    ("subject", "tokens"),
    [
        ("[131016] 送付", ["131016"]),
        ("[131016-2][diff]", ["131016-2", "diff"]),
        ("【１３１０１６】［ＦＵＬＬ］", ["131016", "full"]),
        ("Re: [ 131016 ] [重要]", ["131016", "重要"]),
        ("no tokens", []),
    ],
)
def test_subject_tokens(subject, tokens):
    assert subject_tokens(subject) == tokens


def test_huge_header_line_and_many_headers_are_handled():
    started = time.monotonic()
    mail = parse_message(gen.huge_header_line())
    assert len(mail.subject) == 2000 and mail.tokens[0] == "131016"
    assert [a.filename for a in mail.attachments] == ["daily.csv"]
    mail = parse_message(gen.huge_header_count())
    assert [a.filename for a in mail.attachments] == ["daily.csv"]
    assert time.monotonic() - started < 30  # a guard against pathological parsing only


def test_header_with_raw_8bit_and_broken_encoded_words_never_raises():
    raw = (
        b"From: \x93\xfa\x96{ <131016@demo.invalid>\r\n"
        b"Subject: =?UTF-8?B?broken!!?= \xe6\x97\xa5\r\n"
        b"Message-ID: <<<>>>\r\n\r\nbody\r\n"
    )
    mail = parse_message(raw)
    assert mail.sender == "131016@demo.invalid"
    assert mail.message_id_synthetic
    assert "日" in mail.subject


# --- attachment names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "name"),
    [
        ("rfc2231_iso2022jp_split.eml", "受給者一覧.csv"),  # split inside an escape sequence
        ("rfc2231_utf8.eml", "受給者一覧.csv"),
        ("rfc2231_sjis.eml", "髙橋一覧.csv"),
        ("rfc2047_iso2022jp_filename.eml", "受給者一覧.csv"),
        ("rfc2047_utf8_name_only.eml", "受給者一覧.csv"),
        ("rfc2047_sjis.eml", "髙橋一覧.csv"),
        ("rfc2047_windows1252.eml", "Größe.csv"),
        ("raw_cp932_name_8bit.eml", "髙橋一覧.csv"),
    ],
)
def test_attachment_names(fixture, name):
    mail = load(fixture)
    assert [a.filename for a in mail.attachments] == [name]
    assert isinstance(decide(mail, dropbox_names_for=contacts), Ingest)


def test_filename_wins_over_name_and_the_other_is_kept():
    (att,) = load("name_filename_disagree.eml").attachments
    assert (att.filename, att.other_name) == ("new-name.csv", "old-name.csv")


def test_rtl_override_name_shows_its_real_extension():
    (att,) = load("rtl_override_name.eml").attachments
    assert att.filename == "data\u202evsc.exe"
    assert classify(att).code == "unsupported"


def test_nfd_name_is_stored_nfc():
    nfd = unicodedata.normalize("NFD", "がっこう.csv")
    att = Attachment(filename=nfd, content=b"a\n", content_type="text/csv")
    assert classify(att).name == "がっこう.csv"


# --- bodies and encodings -------------------------------------------------------------------


def test_8bit_cp932_attachment_without_charset_keeps_its_bytes():
    (att,) = load("raw_cp932_name_8bit.eml").attachments
    assert att.content == gen.CSV_CP932


def test_quoted_printable_soft_break_inside_a_character():
    (att,) = load("qp_soft_break_multibyte.eml").attachments
    assert att.content == gen.CSV


def test_base64_without_padding_is_decoded():
    (att,) = load("base64_no_padding.eml").attachments
    assert att.content == gen.CSV + b"x" and att.decode_problem is None


def test_broken_base64_is_a_clear_reason():
    result = outcome("broken_base64_chars.eml")
    assert isinstance(result, Quarantine) and result.code == "broken_encoding"
    assert "符号化" in result.reason and result.notify


def test_boundary_text_inside_base64_does_not_split_the_part():
    (att,) = load("boundary_in_base64.eml").attachments
    assert att.content == b"QUJD" * 40


def test_missing_boundary_is_quarantined_as_broken_structure():
    result = outcome("missing_boundary.eml")
    assert (result.code, result.notify) == ("broken_mime", True)


def test_uuencoded_part_is_decoded():
    (item,) = outcome("uuencode_cte.eml").items
    assert item.attachment.content == gen.CSV


def test_inline_uuencoded_body_is_quarantined_with_reason():
    result = outcome("uuencode_body.eml")
    assert result.code == "uuencode" and "uuencode" in result.reason


# --- structure limits -----------------------------------------------------------------------


def test_nesting_beyond_the_limit_is_quarantined():
    result = outcome("nested_deep_30.eml")
    assert result.code == "too_deep" and result.notify


def test_nesting_1000_deep_never_raises_recursion_error():
    mail = parse_message(gen.huge_nesting(1000))
    assert mail.problem.code == "too_many_parts"  # 1,001 Content-Type lines: not even parsed
    assert mail.sender == "131016@demo.invalid"  # headers still read for the error queue
    # With the part limit out of the way, the stdlib parser's own recursion is what stops it.
    mail = parse_message(gen.huge_nesting(1000), max_parts=10_000)
    assert mail.problem.code == "too_deep"


def test_nesting_within_the_limit_is_walked():
    (item,) = decide(parse_message(gen.huge_nesting(10)), dropbox_names_for=contacts).items
    assert item.name == "deep.csv"


def test_ten_thousand_parts_are_refused_before_parsing():
    started = time.monotonic()
    mail = parse_message(gen.huge_parts(10_000))
    assert mail.problem.code == "too_many_parts" and mail.attachments == []
    assert time.monotonic() - started < 5
    assert decide(mail, dropbox_names_for=contacts).code == "too_many_parts"


def test_part_limit_also_holds_while_walking():
    mail = parse_message(gen.huge_parts(30), max_parts=20)
    assert mail.problem.code == "too_many_parts"


# --- classification -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "code"),
    [
        ("ppap.eml", "ppap"),
        ("plain_zip.eml", "zip"),
        ("smime_encrypted.eml", "smime"),
        ("tnef.eml", "tnef"),
        ("gateway_stub.eml", "gateway_removed"),
        ("gateway_body.eml", "gateway_removed"),
        ("excel.eml", "excel"),
        ("unsupported_types.eml", "unsupported"),
        ("rtl_override_name.eml", "unsupported"),
    ],
)
def test_no_usable_attachment_is_quarantined_with_the_specific_reason(fixture, code):
    result = outcome(fixture)
    assert isinstance(result, Quarantine)
    assert (result.code, result.reason, result.notify) == (code, REASONS[code], True)
    assert result.dropbox_name == "131016"


def test_ppap_reason_text():
    assert "パスワード付きZIP（PPAP）は受け付けていません" in outcome("ppap.eml").reason


def test_zip_encryption_flag_read_from_local_headers_when_the_directory_is_gone():
    data = gen.zip_bytes(True)
    truncated = data[: data.find(b"PK\x01\x02")]
    assert zip_encrypted(data) and zip_encrypted(truncated)
    assert not zip_encrypted(gen.zip_bytes(False))


def test_signed_mail_attachment_is_taken_and_signature_ignored():
    result = outcome("smime_signed.eml")
    assert [i.name for i in result.items] == ["signed.csv"] and result.skipped == []


def test_declared_csv_that_is_xlsx_goes_to_the_validation_engine():
    (item,) = outcome("xlsx_as_csv.eml").items
    assert item.attachment.content.startswith(b"PK")


def test_upper_case_extension_and_unnamed_csv_are_usable():
    assert [i.name for i in outcome("upper_case_json.eml").items] == ["DATA.JSON"]
    assert [i.name for i in outcome("unnamed_csv.eml").items] == ["attachment.csv"]


def test_same_attachment_twice_gives_one_submission():
    result = outcome("same_attachment_twice.eml")
    assert [i.name for i in result.items] == ["a.csv"]


def test_forwarded_message_attachment_is_taken():
    result = outcome("forwarded_rfc822.eml")
    assert [i.name for i in result.items] == ["inner.csv"]
    assert result.items[0].attachment.forwarded


def test_too_large_attachment():
    result = outcome("plain_csv.eml", max_attachment_bytes=10)
    assert result.code == "too_large"
    assert isinstance(outcome("plain_csv.eml", max_attachment_bytes=len(gen.CSV)), Ingest)


def test_usable_and_unusable_together_ingests_and_lists_the_rest():
    raw = gen.mail(gen.csv_part(b"ok.csv"), gen.csv_part(b"notes.txt", b"memo"))
    result = decide(parse_message(raw), dropbox_names_for=contacts)
    assert [i.name for i in result.items] == ["ok.csv"]
    assert [(s.attachment.filename, s.code) for s in result.skipped] == [
        ("notes.txt", "unsupported")
    ]


# --- loops, bounces, senders ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "code"),
    [
        ("auto_replied.eml", "auto_reply"),
        ("dsn_own_result.eml", "bounce"),
        ("own_result_looped.eml", "own_result"),
        ("auth_fail.eml", "auth_failed"),
    ],
)
def test_automatic_and_suspicious_mail_is_quarantined_silently(fixture, code):
    result = outcome(fixture)
    assert isinstance(result, Quarantine)
    assert (result.code, result.notify) == (code, False)


def test_dsn_of_our_result_is_never_ingested_even_from_a_known_sender():
    def everyone(address):
        return ["131016"]

    assert outcome("dsn_own_result.eml", lookup=everyone).code == "bounce"
    assert load("dsn_own_result.eml").attachments[0].from_own_result


def test_forwarded_result_mail_only_gives_the_new_file():
    result = outcome("own_result_forwarded.eml")
    assert [i.name for i in result.items] == ["fixed.csv"]
    assert {s.code for s in result.skipped} == {"own_result"}


def test_auto_generated_mail_is_taken():
    assert isinstance(outcome("auto_generated.eml"), Ingest)


def test_unknown_sender_is_quarantined_without_reply():
    result = outcome("plain_csv.eml", lookup=lambda address: [])
    assert (result.code, result.notify) == ("unknown_sender", False)


def test_sender_with_several_integrations_needs_the_subject_token():
    raw = gen.mail(gen.csv_part(), subject=b"data", extra=b"")
    mail = parse_message(raw.replace(b"131016@demo.invalid", b"vendor@demo.invalid"))
    result = decide(mail, dropbox_names_for=contacts)
    assert result.code == "integration_required" and "[131016-2]" in result.reason

    mail = load("fullwidth_tokens.eml")
    mail.sender = "vendor@demo.invalid"
    result = decide(mail, dropbox_names_for=contacts)
    assert result.dropbox_name == "131016-2"
    assert [i.mode for i in result.items] == ["diff"]


def test_subject_naming_another_integration_is_refused():
    raw = gen.mail(gen.csv_part(), subject=b"[011002] data")
    result = decide(parse_message(raw), dropbox_names_for=contacts)
    assert (result.code, result.notify) == ("foreign_integration", True)


def test_modes():
    assert outcome("two_modes.eml").code == "modes"
    assert [(i.name, i.mode) for i in outcome("mode_in_name.eml").items] == [
        ("daily.diff.csv", "diff"),
        ("other.csv", None),
    ]
    assert [i.mode for i in outcome("subject_mode_wins.eml").items] == ["full"]
    assert [i.mode for i in outcome("plain_csv.eml").items] == ["full"]  # daily.full.csv


# --- replies --------------------------------------------------------------------------------


def test_reply_threads_marks_and_encodes_japanese_names():
    original = load("rfc2231_iso2022jp_split.eml")
    reply = build_reply(
        original,
        from_addr="PMH <intake@pmh.example>",
        body_ja="受け付けました。エラーはありません。",
        attachments=[
            ("受給者一覧.csv.result.json", b'{"verdict": "accepted"}', "application/json"),
            ("受給者一覧.csv.result.csv", b"\xef\xbb\xbfrow\r\n", "text/csv"),
        ],
    )
    raw = reply.as_bytes(linesep="\r\n")
    assert b"\r\n" in raw and b"\n\n" not in raw.replace(b"\r\n", b"")
    assert re.search(rb"filename\*(0\*)?=utf-8''%E5%8F%97", raw)  # RFC 2231, UTF-8
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["To"] == "131016@demo.invalid"
    assert parsed["Subject"] == "Re: [131016] data"
    assert parsed["In-Reply-To"] == "<fixture-0@demo.invalid>"
    assert parsed["References"] == "<fixture-0@demo.invalid>"
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed[RESULT_HEADER] == "1"
    assert parsed.get_body().get_content().strip() == "受け付けました。エラーはありません。"
    names = [p.get_filename() for p in parsed.iter_attachments()]
    assert names == ["受給者一覧.csv.result.json", "受給者一覧.csv.result.csv"]
    # and our own reply, should it come back, is never ingested
    looped = parse_message(raw)
    assert decide(looped, dropbox_names_for=contacts).code == "own_result"


def test_reply_keeps_the_thread_and_does_not_double_re():
    raw = gen.mail(
        gen.csv_part(),
        subject=b"RE: [131016] data",
        extra=b"References: <a@x> <b@x>\r\nIn-Reply-To: <b@x>\r\n",
    )
    reply = build_reply(parse_message(raw), from_addr="intake@pmh.example", body_ja="x")
    assert reply["Subject"] == "RE: [131016] data"
    assert reply["References"] == "<a@x> <b@x> <fixture-0@demo.invalid>"


def test_reply_to_a_mail_without_message_id_has_no_in_reply_to():
    reply = build_reply(load("no_message_id.eml"), from_addr="intake@pmh.example", body_ja="x")
    assert reply["In-Reply-To"] is None and reply["References"] is None


def test_reply_subject_cannot_inject_headers():
    mail = load("plain_csv.eml")
    mail.subject = "x\r\nBcc: victim@example.com"
    raw = build_reply(mail, from_addr="intake@pmh.example", body_ja="x").as_bytes()
    assert b"\nBcc:" not in raw
