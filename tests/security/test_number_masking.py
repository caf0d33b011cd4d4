"""Every 12-digit run is masked however it is written, in every text stored or shown (17.4).

Numbers split by any separators, in any Unicode decimal digits, are masked by the shared helper;
file names, Content-Disposition, mail subjects, comments, audit details and log lines built from
texts holding one never carry it in full.
"""

import io
import logging

import pytest
from django.urls import reverse

from coderules.masking import mask_text
from console.logs import MaskedFormatter
from console.models import AuditRecord
from helpdesk.models import ErrorComment, ErrorItem
from intake.models import MailMessage
from tests.uploads.submission_helpers import csv_file, full_records
from uploads.models import Submission

WRITTEN = [
    "1234・5678・9018",
    "1234.5678.9018",
    "1234−5678−9018",  # U+2212
    "1234 - 5678 - 9018",
    "1234/5678/9018",
    "1234_5678_9018",
    "1234\r\n5678\r\n9018",  # a quoted cell split by CRLF
    "1234\n\n5678\n\n9018",
    "١٢٣٤٥٦٧٨٩٠١٨",  # Arabic-Indic
    "۱۲۳۴۵۶۷۸۹۰۱۸",  # extended Arabic-Indic
    "१२३४५६७८९०१८",  # Devanagari
    "１２３４ー５６７８ー９０１８",
]


@pytest.mark.parametrize("text", WRITTEN)
def test_a_number_however_written_keeps_only_its_last_four_digits(text):
    shown = mask_text(f"番号 {text} です")
    digits = [c for c in shown if c.isdecimal()]
    assert len(digits) == 4, shown
    assert shown.count("*") == 8


def test_short_numbers_and_dates_stay(cast):
    assert mask_text("2024-01-15 の 3件") == "2024-01-15 の 3件"


NAME = "個人番号1234・5678・9018の件.csv"


@pytest.mark.django_db
def test_a_number_in_a_file_name_is_never_shown_or_sent(cast, client_for):
    client = client_for(cast.operator)
    upload = io.BytesIO(csv_file(full_records(2)))
    upload.name = NAME
    client.post(reverse("intake:upload", args=[cast.integration_a.pk]), {"files": [upload]})
    submission = Submission.objects.get()
    assert submission.original_name == "個人番号****・****・9018の件.csv"
    pages = [
        reverse("helpdesk:history"),
        reverse("helpdesk:history_export"),
        reverse("uploads:submission_detail", args=[submission.pk]),
        reverse("uploads:original", args=[submission.pk]),
        "/",
    ]
    for url in pages:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", "replace") + str(response.headers)
        assert "5678" not in text and "1234・" not in text, url
    original = client.get(reverse("uploads:original", args=[submission.pk]))
    assert "9018" in original["Content-Disposition"]


@pytest.mark.django_db
def test_subjects_comments_and_audit_details_are_stored_masked(cast):
    mail = MailMessage.objects.create(
        message_id="<x@example>",
        raw_sha256="0" * 64,
        subject="Re: 1234-5678-9018",
        outcome="processed",
    )
    assert mail.subject == "Re: ****-****-9018"
    item = ErrorItem.objects.create(
        fingerprint="f", kind="submission", code="X", title="番号 123456789018"
    )
    comment = ErrorComment.objects.create(item=item, by=cast.operator, text="١٢٣٤٥٦٧٨٩٠١٨ 確認")
    assert item.title == "番号 ********9018"
    assert comment.text == "********٩٠١٨ 確認"
    record = AuditRecord.objects.create(
        action="export", detail={"filters": {"q": "1234/5678/9018"}}
    )
    record.refresh_from_db()
    assert record.detail == {"filters": {"q": "****/****/9018"}}


def test_log_lines_are_masked_but_keep_their_time():
    formatter = MaskedFormatter("%(asctime)s %(message)s")
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "file %s", ("1234 - 5678 - 9018",), None
    )
    line = formatter.format(record)
    assert line.endswith("file **** - **** - 9018")
    assert "*" not in line.split(" file ")[0]


def test_a_uuid_with_hex_letters_is_an_identifier_not_a_number():
    from coderules.masking import mask_numbers

    job = "aca5e168-c362-4548-9873-327e9ebfa562"  # 14 digits across its dashes
    assert mask_numbers(f"requeued {job}") == f"requeued {job}"
    assert mask_text(job) == job
    digits_only = "12345678-1234-1234-1234-123456789018"
    assert mask_numbers(digits_only) == "********-****-****-****-********9018"
    assert mask_text("受給者1234-5678-9018") == "受給者****-****-9018"
