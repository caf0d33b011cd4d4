"""Stored payloads are harmless everywhere (issue #11).

Every free-text field a person or a sender can fill — municipality and vendor names, business
systems, file names, senders, comments, reply templates, target names, handover notes, token
names, audit details… — holds a `<script>` tag that starts with a spreadsheet formula. Then the
access walk visits every URL pattern as each role: no HTML page may carry the tag unescaped,
and no CSV cell may start with a formula character, so the walk covers every table and every
export the URL patterns have, including ones added later.
"""

import csv
import io

import pytest
from django.conf import settings
from django.db import models
from django.utils import timezone

from coderules.csvcell import _FORMULA_LEADS
from connectivity.models import MaintenanceWindow, Probe, ProbeIncident, ProbeResult
from console import audit
from console.models import AuditRecord
from helpdesk.models import ErrorComment, ErrorItem, ErrorOccurrence, ReplyTemplate
from intake.models import FolderItem, MailItem, MailMessage, MediaFile, MediaHandover
from onboarding.models import (
    ApiToken,
    Integration,
    IntegrationContact,
    IntegrationEvent,
    Municipality,
    User,
    Vendor,
)
from tests.security.test_access_walk import PUBLIC, World, _names, _url
from uploads.models import (
    FileDeletion,
    LayoutDiagnosis,
    LayoutMappingVersion,
    Submission,
    SubmissionIssue,
)

pytestmark = pytest.mark.django_db

PAYLOAD = "=cmd|'/C calc'!A0<script>alert(1)</script>"
SHORT = "=2<i>x</i>"  # for fields too short for the whole payload
RAW = ("<script>alert(1)", "<i>x</i>")
ESCAPED = "&lt;script&gt;alert(1)"

# Free text of each model, as people and senders can fill it.
FREE_TEXT = {
    Vendor: ["name", "contact_name", "contact_email", "phone", "notes"],
    User: ["first_name", "last_name"],
    Municipality: ["prefecture", "city", "prefecture_kana", "city_kana"],
    Integration: ["business_system"],
    IntegrationContact: ["email"],
    IntegrationEvent: ["old_value", "new_value", "reason"],
    ApiToken: ["name"],
    Submission: ["original_name", "sender", "failure_reason", "review_comment"],
    SubmissionIssue: ["field", "message", "value"],
    FileDeletion: ["original_name", "reason"],
    Probe: ["name", "expect_keyword"],
    ProbeResult: ["message", "cert_subject"],
    MaintenanceWindow: ["name"],
    ErrorItem: ["title"],
    ErrorOccurrence: ["source", "detail"],
    ErrorComment: ["text"],
    ReplyTemplate: ["name", "subject", "body"],
    MailMessage: ["sender", "subject", "reason", "notes"],
    MailItem: ["filename"],
    MediaHandover: ["brought_by", "medium", "note"],
    MediaFile: ["name"],
    FolderItem: ["name"],
    AuditRecord: ["username", "object_repr"],
    LayoutDiagnosis: ["original_name", "problem"],
    LayoutMappingVersion: ["source_name"],
}


def _value_for(field: models.Field) -> str:
    return PAYLOAD if (field.max_length or 1000) >= len(PAYLOAD) else SHORT


def _more_objects(world: World) -> None:
    """Rows of the kinds the walk's world does not create itself, for vendor A's objects."""
    cast, sub, now = world.cast, world.sub["a"], timezone.now()
    integration = cast.integration_a
    IntegrationContact.objects.create(integration=integration, email="x@example.jp")
    IntegrationEvent.objects.create(integration=integration, kind="choice", field="route")
    SubmissionIssue.objects.create(
        submission=sub, seq=1, row=1, line=2, code="V_KANA", severity="error", message="m"
    )
    Submission.objects.filter(pk=sub.pk).update(errors=1, attempts=1)
    FileDeletion.objects.create(
        submission=sub, sha256="0" * 64, size=1, original_name="x", reason="r"
    )
    probe = world.probe["a"]
    ProbeResult.objects.create(probe=probe, started_at=now, ok=False, error_class="keyword")
    ProbeIncident.objects.create(probe=probe, opened_at=now, first_failure_at=now)
    item = world.error["a"]
    ErrorOccurrence.objects.create(item=item, submission=sub)
    ErrorComment.objects.create(item=item, text="c", by=cast.helpdesk)
    ErrorItem.objects.filter(pk=item.pk).update(last_submission=sub)
    mail_sub = _copy(sub, channel="mail")
    message = MailMessage.objects.create(
        message_id="<m@x>", raw_sha256="1" * 64, outcome="processed", integration=integration
    )
    MailItem.objects.create(message=message, submission=mail_sub)
    MediaFile.objects.create(
        handover=world.media["a"], submission=_copy(sub, channel="media"), name="x", size=1,
        sha256="2" * 64,
    )  # fmt: skip
    FolderItem.objects.create(
        submission=_copy(sub, channel="folder"), dropbox_name="131016", name="x", claimed_path="p"
    )
    # The layout doctor: a diagnosed export whose cells hold the payload, which the
    # 変換仕様書 shows as examples, and a mapping that uses that column.
    export = f"受給者証名称,DV\r\n{PAYLOAD},0\r\n".encode()
    stored = settings.PMH_STORAGE_ROOT / "doctor" / "payload.csv"
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(export)
    LayoutDiagnosis.objects.create(
        integration=integration, original_name="x", size=len(export), sha256="3" * 64,
        storage_name="payload.csv", profile={},
    )  # fmt: skip
    version = integration.layout_mapping.current
    version.document["fields"] = {
        "certificationName": {"column": "受給者証名称"},
        "isNotDisclosed": {"column": "DV"},
    }
    version.save(update_fields=["document"])
    request = type("R", (), {"user": cast.operator, "META": {"REMOTE_ADDR": "10.0.0.9"}})()
    audit.record(request, audit.Action.EXPORT, sub, list="x", filters={"q": PAYLOAD}, rows=1)
    audit.record(None, audit.Action.SIGN_IN_FAILED, username=PAYLOAD)


def _copy(original: Submission, **fields) -> Submission:
    submission = Submission.objects.get(pk=original.pk)
    submission.pk = None
    submission.sha256 = str(Submission.objects.count()) * 64
    for name, value in fields.items():
        setattr(submission, name, value)
    submission.save()
    return Submission.objects.get(pk=submission.pk)


def _poison() -> None:
    for model, names in FREE_TEXT.items():
        fields = [model._meta.get_field(n) for n in names]
        assert model.objects.exists(), f"no {model.__name__} row to carry the payload"
        model.objects.update(**{f.name: _value_for(f) for f in fields if not f.unique})
        for n, pk in enumerate(model.objects.values_list("pk", flat=True)):
            unique = {f.name: f"{_value_for(f)} {n}" for f in fields if f.unique}
            model.objects.filter(pk=pk).update(**unique)
    # Audit details are JSON: the filters a user typed are kept as typed (masked only).
    assert AuditRecord.objects.filter(detail__filters__q=PAYLOAD).exists()


@pytest.fixture
def world(cast):
    world = World(cast)
    _more_objects(world)
    _poison()
    return world


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8-sig", "replace")


def _formula_cells(text: str) -> list[str]:
    return [
        cell
        for row in csv.reader(io.StringIO(text))
        for cell in row
        if cell.startswith(_FORMULA_LEADS)
    ]


# Files generated from the layout, holding no stored value: the vendor's starter files.
GENERATED = {
    "uploads:integration_sample",
    "uploads:record_layout_csv",
    "uploads:general_sample_csv",
}


def test_payloads_are_escaped_in_every_page_and_neutral_in_every_export(client_for, world):
    escaped_pages, exports = set(), set()
    for user in (world.cast.operator, world.cast.helpdesk, world.cast.alice):
        client = client_for(user)
        for name in _names():
            if name == "logout":
                continue
            kwargs = world.kwargs(name)
            response = client.get(_url(name, kwargs["a"] if kwargs else None))
            content_type = response.get("Content-Type", "")
            where = (user.username, name)
            if content_type.startswith("text/html"):
                body = _body(response)
                assert not any(raw in body for raw in RAW), where
                if ESCAPED in body:
                    escaped_pages.add(name)
            elif content_type.startswith("text/csv") and name in GENERATED:
                assert _formula_cells(_body(response)) == [], where
            elif content_type.startswith("text/csv"):
                body = _body(response)
                assert _formula_cells(body) == [], where
                assert "'" + PAYLOAD in body, where  # the payload is there, neutralised
                exports.add(name)
    assert exports == {
        "onboarding:municipality_export",
        "onboarding:integration_export",
        "helpdesk:history_export",
        "dashboard:audit_export",
        "uploads:result_csv",
        "uploads:layout_spec",
    }
    must_show = {
        "dashboard:dashboard", "onboarding:municipality_list", "dashboard:municipality_detail",
        "onboarding:integration_detail", "onboarding:board", "onboarding:vendor_list",
        "onboarding:vendor_detail", "uploads:submission_detail", "helpdesk:history",
        "helpdesk:integration_timeline", "helpdesk:queue", "helpdesk:item",
        "helpdesk:template_list", "connectivity:overview", "connectivity:target",
        "connectivity:maintenance", "intake:media_list", "intake:media_detail", "dashboard:audit",
        "uploads:layout", "onboarding:integration_list", "dashboard:scorecards",
    }  # fmt: skip
    assert must_show - escaped_pages == set()
    assert not PUBLIC & escaped_pages
