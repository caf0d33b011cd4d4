"""One driver per intake channel: send a file the way that channel receives it, run what the
product runs (views, the API, the ``intake_folder`` / ``intake_mail`` commands, media import),
and gather what the sender and the console end up with.

Every driver returns an ``Outcome``: the HTTP statuses seen, the texts shown to the sender
(pages, JSON, ``outbox/`` and ``error/`` files, reply mails), the submissions and error items
recorded, and the files kept with the bytes they must hold.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import mailbox
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from django.core import mail as django_mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from helpdesk.models import ErrorItem
from intake.media.receive import media_handover_create
from onboarding.models import IntegrationContact
from onboarding.tokens import api_token_issue
from uploads import services
from uploads.models import Submission

CONTACT = "131016@demo.invalid"
CHANNELS = ("web", "api", "folder", "mail", "media")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Outcome:
    channel: str
    statuses: list[int] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    codes: set[str] = field(default_factory=set)  # issue codes, refusal codes, API error codes
    submissions: list[Submission] = field(default_factory=list)
    errors: list[ErrorItem] = field(default_factory=list)
    kept: list[tuple[Path, str]] = field(default_factory=list)  # (file, the SHA-256 it must have)

    @property
    def text(self) -> str:
        return "\n".join(self.shown)


@dataclass
class Env:
    """What a driver needs from the test: the cast, a client, settings, on-commit capture."""

    cast: object
    client: Client
    settings: object
    capture: Callable
    tmp: Path

    def jobs(self):
        return self.capture(execute=True)


# -- what every channel records ---------------------------------------------------------------


def _gather(env: Env, out: Outcome, before: set[int], before_errors: set[int]) -> Outcome:
    new = Submission.objects.exclude(pk__in=before).order_by("pk")
    out.submissions = list(new.select_related("integration", "duplicate_of"))
    for submission in out.submissions:
        first = submission.duplicate_of or submission
        if first.verdict == "accepted":
            out.codes.add("accepted")
        out.codes.update((first.report or {}).get("counts", {}))
        if first.file_purged_at is None:
            out.kept.append((services.stored_path(first), submission.sha256))
    out.errors = list(ErrorItem.objects.exclude(pk__in=before_errors).order_by("pk"))
    out.codes.update(item.code for item in out.errors)
    return out


def _marks() -> tuple[set[int], set[int]]:
    return (
        set(Submission.objects.values_list("pk", flat=True)),
        set(ErrorItem.objects.values_list("pk", flat=True)),
    )


def _page(response) -> str:
    return html.unescape(response.content.decode("utf-8", "replace"))


def _submission_pages(env: Env, out: Outcome, client: Client) -> None:
    for submission in out.submissions:
        page = client.get(submission.get_absolute_url())
        out.statuses.append(page.status_code)
        out.shown.append(_page(page))
        if submission.verdict or submission.duplicate_of_id:
            for view in ("uploads:result_json", "uploads:result_csv"):
                result = client.get(reverse(view, args=[submission.pk]))
                out.statuses.append(result.status_code)
                out.shown.append(b"".join(result).decode("utf-8-sig", "replace"))


# -- web upload -------------------------------------------------------------------------------


def web(env: Env, name: str, data: bytes, *, files=None, **post) -> Outcome:
    """The integration page's upload form, as vendor A (the uploader sees the result pages)."""
    uploads = files or [SimpleUploadedFile(name, data, content_type="text/csv")]
    url = reverse("intake:upload", args=[env.cast.integration_a.pk])
    return _form_post(env, Outcome("web"), env.cast.alice, url, {"files": uploads, **post})


def _form_post(env: Env, out: Outcome, user, url: str, form: dict) -> Outcome:
    """Post a console form as ``user``, follow it to the page shown, then the result pages."""
    before, before_errors = _marks()
    client = env.client
    client.force_login(user)
    with env.jobs():
        response = client.post(url, form, follow=True)
    out.statuses.append(response.status_code)
    out.shown.append(_page(response))
    _gather(env, out, before, before_errors)
    _submission_pages(env, out, client)
    return out


# -- HTTPS API --------------------------------------------------------------------------------


def api_token(env: Env) -> str:
    return api_token_issue(vendor=env.cast.vendor_a, name=f"bad-{id(env)}")[1]


def api(
    env: Env,
    name: str,
    data: bytes,
    *,
    token: str | None = None,
    content_type: str = "text/csv",
    headers: dict | None = None,
) -> Outcome:
    """``POST /api/v1/submissions`` as a vendor's tool, then status and report."""
    out, (before, before_errors) = Outcome("api"), _marks()
    auth = {"Authorization": f"Bearer {token or api_token(env)}"}
    upload = SimpleUploadedFile(name, data, content_type=content_type)
    with env.jobs():
        response = env.client.post(
            "/api/v1/submissions",
            {"integration": "131016", "file": upload},
            headers={**auth, **(headers or {})},
        )
    api_answer(out, response)
    _gather(env, out, before, before_errors)
    for submission in out.submissions:
        first = submission.duplicate_of or submission
        for path in (f"/api/v1/submissions/{first.pk}", f"/api/v1/submissions/{first.pk}/report"):
            answer = env.client.get(path, headers=auth)
            out.statuses.append(answer.status_code)
            out.shown.append(answer.content.decode("utf-8"))
    return out


def api_answer(out: Outcome, response) -> None:
    """Record an API answer; an error must be the JSON body of console.md §3.3."""
    out.statuses.append(response.status_code)
    body = response.content.decode("utf-8", "replace")
    out.shown.append(body)
    if response.status_code >= 400:
        error = json.loads(body)["error"]
        assert set(error) == {"code", "message"}, body
        out.codes.add(error["code"])


# -- shared folder ----------------------------------------------------------------------------


def folder_path(env: Env, dropbox: str = "131016") -> Path:
    return Path(env.settings.PMH_DROPBOX_ROOT) / dropbox


def folder_run(env: Env) -> None:
    """``python manage.py intake_folder --once``; the jobs it queues run at commit."""
    env.settings.PMH_DROPBOX_STABLE_SECONDS = 0
    with env.jobs():
        call_command("intake_folder", "--once", stdout=io.StringIO())


def folder_put(env: Env, name: str, data: bytes) -> Path:
    inbox = folder_path(env) / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    target = inbox / name
    target.write_bytes(data)
    return target


def folder(env: Env, name: str, data: bytes, *, place: Callable | None = None) -> Outcome:
    """A file dropped in ``inbox/`` (or made there by ``place(inbox)``), then one sweep."""
    out, (before, before_errors) = Outcome("folder"), _marks()
    folder_run(env)  # creates the layout
    if place is None:
        folder_put(env, name, data)
    else:
        place(folder_path(env) / "inbox")
    folder_run(env)
    if place is None and (folder_path(env) / "inbox" / name).exists():
        out.codes.add("ignored")
    return folder_collect(env, out, before, before_errors, sha256(data))


def folder_collect(env: Env, out: Outcome, before, before_errors, digest: str | None) -> Outcome:
    """Submissions, ``outbox/`` results, and refused files with their ``error/`` reasons."""
    _gather(env, out, before, before_errors)
    box = folder_path(env)
    for path in sorted((box / "outbox").iterdir()):
        out.shown.append(path.read_bytes().decode("utf-8-sig", "replace"))
    for path in sorted((box / "error").iterdir()):
        if path.name.endswith(".reason.txt"):
            out.shown.append(path.read_bytes().decode("utf-8-sig"))
        elif digest is not None and path.is_file() and not path.is_symlink():
            out.kept.append((path, digest))
    return out


# -- mail -------------------------------------------------------------------------------------


def contacts(env: Env) -> None:
    IntegrationContact.objects.get_or_create(integration=env.cast.integration_a, email=CONTACT)


def mail_message(name: str, data: bytes, *, subject: str = "[131016] 受給者データ") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"千代田区 担当 <{CONTACT}>"
    msg["To"] = "intake@pmh.example"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{sha256(data + name.encode())[:24]}@demo.invalid>"
    msg.set_content("よろしくお願いします。")
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes()


def mail(env: Env, name: str, data: bytes, *, raw: bytes | None = None) -> Outcome:
    """A message in the Maildir behind ``PMH_MAIL_URL``, then ``intake_mail --once``."""
    out, (before, before_errors) = Outcome("mail"), _marks()
    contacts(env)
    path = env.tmp / "Maildir"
    box = mailbox.Maildir(path, create=True)
    raw = raw if raw is not None else mail_message(name, data)
    box.add(raw)
    env.settings.PMH_MAIL_URL = f"maildir://{path}"
    env.settings.DEFAULT_FROM_EMAIL = "intake@pmh.example"
    sent_before = len(django_mail.outbox)
    with env.jobs():
        call_command("intake_mail", "--once", stdout=io.StringIO())
    assert len(box) == 0, "the message must leave the inbox (processed or quarantine)"
    moved = {sha256(p.read_bytes()) for p in path.glob(".*/*/*") if p.is_file()}
    assert sha256(raw) in moved, "the message is kept, unchanged, in processed or quarantine"
    for reply in django_mail.outbox[sent_before:]:
        parsed = message_from_bytes(reply.message().as_bytes(), policy=policy.default)
        out.shown.append(parsed.get_body(preferencelist=("plain",)).get_content())
        for part in parsed.iter_attachments():
            out.shown.append(part.get_payload(decode=True).decode("utf-8-sig", "replace"))
    _gather(env, out, before, before_errors)
    return out


# -- USB media --------------------------------------------------------------------------------


def media(env: Env, name: str, data: bytes) -> Outcome:
    """An operator records a handover and imports the medium's file on its page."""
    handover = media_handover_create(
        integration=env.cast.integration_a,
        brought_by="千代田区 保健福祉部 山田",
        medium="USBメモリ 管理番号 C-001",
        by=env.cast.operator,
    )
    url = reverse("intake:media_import", args=[handover.pk])
    files = [SimpleUploadedFile(name, data, content_type="text/csv")]
    return _form_post(env, Outcome("media"), env.cast.operator, url, {"files": files})


DRIVERS: dict[str, Callable[..., Outcome]] = {
    "web": web,
    "api": api,
    "folder": folder,
    "mail": mail,
    "media": media,
}
