"""What the remote channels keep beside a submission: where its file came from and how its
result goes back (console.md §3.1, §3.2), and the chain of custody of handed-over media."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onboarding.models import Integration
from uploads.models import Submission


class FolderItem(models.Model):
    """A file taken from a shared folder: the claimed path until the result archives it."""

    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, related_name="folder_item"
    )
    dropbox_name = models.CharField(_("folder name"), max_length=40)
    name = models.CharField(_("file name"), max_length=1024)  # as on disk, for outbox/
    claimed_path = models.CharField(max_length=4096, unique=True)
    archived_path = models.CharField(max_length=4096, blank=True)
    outbox_written_at = models.DateTimeField(_("result written"), null=True, blank=True)

    class Meta:
        verbose_name = _("shared-folder file")
        verbose_name_plural = _("shared-folder files")

    def __str__(self) -> str:
        return f"{self.dropbox_name}/{self.name}"


class FolderScan(models.Model):
    """What the last sweep of one shared folder saw in ``inbox/`` (``intake.folder.lib.ScanState``):
    the second stability rule compares a file with the sweep before, in whichever process ran it.

    File names are kept as hex of their bytes: a name need not be valid UTF-8."""

    dropbox_name = models.CharField(max_length=40, unique=True)
    seen = models.JSONField(default=list)  # [name hex, size, mtime_ns, inode, first seen]
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.dropbox_name


class MailMessage(models.Model):
    """One message taken from the intake mailbox, de-duplicated on Message-ID + raw hash."""

    class Outcome(models.TextChoices):
        PROCESSED = "processed", _("Processed")
        QUARANTINED = "quarantined", _("Quarantined")

    message_id = models.CharField(_("Message-ID"), max_length=998)
    message_id_synthetic = models.BooleanField(default=False)
    raw_sha256 = models.CharField(_("SHA-256"), max_length=64)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=2000, blank=True)
    references = models.TextField(blank=True)  # space-separated, for threading the reply
    integration = models.ForeignKey(
        Integration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    code = models.CharField(_("reason code"), max_length=40, blank=True)
    reason = models.TextField(_("reason"), blank=True)  # Japanese, as replied
    notes = models.TextField(blank=True)  # skipped attachments, for the result reply
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("intake mail")
        verbose_name_plural = _("intake mails")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(fields=["message_id", "raw_sha256"], name="mail_dedupe")
        ]

    def __str__(self) -> str:
        return self.message_id


class MailItem(models.Model):
    """An attachment of a message that became a submission; its result is a threaded reply."""

    message = models.ForeignKey(MailMessage, on_delete=models.CASCADE, related_name="items")
    submission = models.OneToOneField(
        Submission, on_delete=models.CASCADE, related_name="mail_item"
    )
    filename = models.CharField(_("attachment name"), max_length=1000, blank=True)
    reply_message_id = models.CharField(max_length=998, blank=True)
    replied_at = models.DateTimeField(_("replied"), null=True, blank=True)

    class Meta:
        verbose_name = _("mail attachment")
        verbose_name_plural = _("mail attachments")

    def __str__(self) -> str:
        return f"{self.message_id} {self.filename}"


class MediaHandover(models.Model):
    """A USB medium handed over to PMH: who brought it, when, and who imported its files."""

    integration = models.ForeignKey(
        Integration,
        verbose_name=_("integration"),
        on_delete=models.PROTECT,
        related_name="media_handovers",
    )
    brought_by = models.CharField(_("brought by"), max_length=200)
    received_at = models.DateTimeField(_("handed over"), default=timezone.now)
    medium = models.CharField(_("medium"), max_length=200)
    note = models.TextField(_("note"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        verbose_name = _("media handover")
        verbose_name_plural = _("media handovers")
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.medium} ({self.brought_by})"

    def get_absolute_url(self) -> str:
        return reverse("intake:media_detail", args=[self.pk])


class MediaFile(models.Model):
    """One file imported from a medium: the custody record (hash at import, by whom)."""

    handover = models.ForeignKey(MediaHandover, on_delete=models.PROTECT, related_name="files")
    submission = models.OneToOneField(
        Submission, on_delete=models.PROTECT, related_name="media_file"
    )
    name = models.CharField(_("file name"), max_length=255)
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)

    class Meta:
        verbose_name = _("media file")
        verbose_name_plural = _("media files")
        ordering = ["imported_at", "id"]

    def __str__(self) -> str:
        return f"{self.name} {self.sha256[:12]}"


class Redelivery(models.Model):
    """A result sent again by the help desk (the original delivery time is kept)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("redelivery")
        verbose_name_plural = _("redeliveries")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.submission_id} {self.at:%Y-%m-%d %H:%M}"
