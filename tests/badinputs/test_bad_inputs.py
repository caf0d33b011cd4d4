"""bad-inputs.md × intake channels: every item, through every channel it applies to, ends in a
recorded outcome with a Japanese reason; never a 500, a stuck submission or lost bytes.

The catalogue (``catalogue.py`` and one module per transport) says which channels each item
applies to and, for the others, why not: ``NOT_APPLICABLE`` below gathers them, and
``pytest -s -k every_item`` prints them all; ``summary()`` prints the size of the matrix.
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from uploads.models import Status, SubmissionIssue

from .catalogue import ITEMS, NOT_RUN
from .channels import CHANNELS, DRIVERS, Outcome

pytestmark = pytest.mark.django_db

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
SILENT = {"unknown_sender", "bounce", "auto_reply", "auth_failed", "own_result"}
MATRIX = [
    pytest.param(item, channel, id=f"{item.id}@{channel}")
    for item in ITEMS
    for channel in item.channels
]
NOT_APPLICABLE = {
    (item.id, channel): reason for item in ITEMS for channel, reason in item.not_applicable.items()
} | {
    (ident, channel): reason for ident, spec in NOT_RUN.items() for channel, reason in spec.items()
}


def summary() -> str:
    items = {item.id for item in ITEMS} | set(NOT_RUN)
    return (
        f"bad inputs: {len(items)} items × {len(CHANNELS)} channels = "
        f"{len(items) * len(CHANNELS)}: {len(MATRIX)} combinations run, "
        f"{len(NOT_APPLICABLE)} not applicable (each with its reason in NOT_APPLICABLE)"
    )


def test_every_item_names_every_channel():
    for item in ITEMS:
        assert set(item.channels) | set(item.not_applicable) == set(CHANNELS), item.id
        assert not set(item.channels) & set(item.not_applicable), item.id
    for ident, spec in NOT_RUN.items():
        assert set(spec) == set(CHANNELS), ident
    assert len({item.id for item in ITEMS} | set(NOT_RUN)) == len(ITEMS) + len(NOT_RUN)
    assert len(MATRIX) + len(NOT_APPLICABLE) == (len(ITEMS) + len(NOT_RUN)) * len(CHANNELS)
    for (ident, channel), reason in sorted(NOT_APPLICABLE.items()):
        print(f"not applicable: {ident} @ {channel}: {reason}")
    print(summary())


@pytest.mark.parametrize(("item", "channel"), MATRIX)
def test_bad_input(item, channel, env, settings):
    for name, value in item.settings.items():
        setattr(settings, name, value)
    data = item.data()
    drive = item.driver.get(channel, DRIVERS[channel])
    out = drive(env, item.name, data)
    _no_server_error(out)
    _expected(out, item.expected(channel))
    _recorded(out, item.expected(channel))
    _nothing_stuck(out)
    _bytes_kept(out, data if channel not in item.driver else None)
    _reasons_in_japanese(out)
    _no_mynumber_echoed(out, data)


def _no_server_error(out: Outcome) -> None:
    assert all(status < 500 for status in out.statuses), out.statuses


def _expected(out: Outcome, expected: tuple[str, ...]) -> None:
    assert expected, "every combination says what it expects"
    for code in expected:
        if code.startswith("text:"):
            assert code[5:] in out.text, code
        elif code.startswith("http:"):
            assert str(out.statuses[0]) in code[5:].split("|"), (code, out.statuses)
        else:
            assert code in out.codes, (code, sorted(out.codes))


def _recorded(out: Outcome, expected: tuple[str, ...]) -> None:
    """A submission, an error queue item, or a refusal the sender was told of at once."""
    refused = any(400 <= status < 500 for status in out.statuses[:1]) or any(
        code.startswith("text:") for code in expected
    )
    assert out.submissions or out.errors or refused or {"ignored", "deny-framing"} & out.codes


def _nothing_stuck(out: Outcome) -> None:
    for submission in out.submissions:
        submission.refresh_from_db()
        assert submission.status == Status.RETURNED, (submission.status, submission.failure_reason)
        assert submission.verdict or submission.duplicate_of_id


def _bytes_kept(out: Outcome, sent: bytes | None) -> None:
    for path, digest in out.kept:
        assert path.is_file(), path
        if digest:
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, path
    stored = {digest for _, digest in out.kept}
    for submission in out.submissions:
        assert submission.sha256 in stored
    if sent is not None and out.submissions:
        assert {s.sha256 for s in out.submissions} == {hashlib.sha256(sent).hexdigest()}


def _reasons_in_japanese(out: Outcome) -> None:
    text = out.text
    for submission in out.submissions:
        first = submission.duplicate_of or submission
        issues = SubmissionIssue.objects.filter(submission=first, attempt=first.attempts)
        seen = set()
        for issue in issues.order_by("seq").iterator():
            _row_and_field(issue)
            if issue.code in seen:
                continue
            seen.add(issue.code)
            assert JAPANESE.search(issue.message), issue.message
            assert issue.code in text, issue.code
            as_json = json.dumps(issue.message, ensure_ascii=False)[1:-1]
            assert issue.message in text or as_json in text, issue.message
    for item in out.errors:
        assert JAPANESE.search(item.title), item.title
        if item.last_submission_id is None and item.code not in SILENT:
            assert item.title in text, item.title
    if any(status >= 400 for status in out.statuses[:1]):
        assert JAPANESE.search(text), text[:500]


def _row_and_field(issue: SubmissionIssue) -> None:
    if issue.code.startswith("F_"):
        assert issue.row is None, issue
    else:
        assert issue.row is not None and issue.line is not None, issue
    if issue.code.startswith("V_"):
        assert issue.field, issue


def _no_mynumber_echoed(out: Outcome, data: bytes) -> None:
    numbers = set(re.findall(rb"(?<![0-9])[0-9]{12}(?![0-9])", data))
    text = out.text
    for number in numbers:
        assert number.decode() not in text, number
