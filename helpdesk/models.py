from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    REJECTED = "rejected", _("Rejected file")
    FAILURE = "failure", _("Processing failure")
    QUARANTINE = "quarantine", _("Quarantined input")


class State(models.TextChoices):
    NEW = "new", _("New")
    INVESTIGATING = "investigating", _("Investigating")
    WAITING_VENDOR = "waiting_vendor", _("Waiting for the vendor")
    RESOLVED = "resolved", _("Resolved")
    # Known and accepted (a test file broken on purpose): it stays out of the open queue even
    # when it recurs; reopened only by hand.
    IGNORED = "ignored", _("Ignored")


class BulkAction(models.TextChoices):
    """What one change of the error queue does to every selected item (issue 18.12); the audit
    record of the change names it, and the audit pages show its label."""

    STATE = "state", _("Change the state")
    ASSIGN = "assign", _("Assign")
    SNOOZE = "snooze", _("Snooze")
    IGNORE = "ignore", _("Ignore")


# States that leave the open queue.
CLOSED_STATES = (State.RESOLVED, State.IGNORED)


class ErrorItem(models.Model):
    """One problem of the error queue, however often it recurs.

    Occurrences with the same fingerprint (integration × kind × reason or top issue code) join
    the item instead of making a new one, so a vendor sending the same broken file twenty
    times raises one item with twenty occurrences; a resolved item that recurs is reopened.
    """

    fingerprint = models.CharField(max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    integration = models.ForeignKey(
        "onboarding.Integration",
        verbose_name=_("integration"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="error_items",
    )
    channel = models.CharField(_("channel"), max_length=10, blank=True)
    code = models.CharField(_("reason code"), max_length=40)
    title = models.CharField(_("summary"), max_length=300)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_error_items",
    )
    occurrences = models.PositiveIntegerField(_("occurrences"), default=0)
    reopened = models.PositiveIntegerField(_("times reopened"), default=0)
    first_seen = models.DateTimeField(_("first seen"), default=timezone.now)
    last_seen = models.DateTimeField(_("last seen"), default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    # Out of the open queue until then, whatever happens; back by itself afterwards.
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    last_submission = models.ForeignKey(
        "uploads.Submission",
        verbose_name=_("latest submission"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("error item")
        verbose_name_plural = _("error items")
        ordering = ["-last_seen"]
        indexes = [models.Index(fields=["state", "last_seen"])]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"


class ErrorOccurrence(models.Model):
    item = models.ForeignKey(ErrorItem, on_delete=models.CASCADE, related_name="occurrence_set")
    at = models.DateTimeField(_("at"), default=timezone.now)
    submission = models.ForeignKey(
        "uploads.Submission",
        verbose_name=_("submission"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="error_occurrences",
    )
    source = models.CharField(
        _("source"),
        max_length=500,
        blank=True,
        help_text=_("Where the input is kept: mailbox folder and Message-ID, or a folder path."),
    )
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        verbose_name = _("occurrence")
        verbose_name_plural = _("occurrences")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.item_id} @ {self.at:%Y-%m-%d %H:%M}"


class ErrorComment(models.Model):
    item = models.ForeignKey(ErrorItem, on_delete=models.CASCADE, related_name="comments")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    text = models.TextField(_("comment"))

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.text[:50]


class ReplyTemplate(models.Model):
    """A Japanese reply to the sender, with {placeholders} filled in from the error item."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
