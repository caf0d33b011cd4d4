from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditRecord(models.Model):
    """Who did what sensitive thing, when and from where: sign-ins, downloads, exports and
    reprocessing (issue #11). `detail` holds identifiers and filters, never personal data."""

    class Action(models.TextChoices):
        SIGN_IN = "sign_in", _("Signed in")
        SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
        SIGN_OUT = "sign_out", _("Signed out")
        DOWNLOAD_ORIGINAL = "download_original", _("Original file downloaded")
        DOWNLOAD_RESULT = "download_result", _("Result file downloaded")
        DOWNLOAD_FILE = "download_file", _("File downloaded")
        EXPORT = "export", _("List exported")
        RETRY = "retry", _("Submission queued again")
        RELEASE = "release", _("Reviewed result released")
        REDELIVER = "redeliver", _("Result sent again")
        PROBE_RUN = "probe_run", _("Check run now")
        JOB_REQUEUE = "job_requeue", _("Job queued again")
        MAPPING_SAVED = "mapping_saved", _("Layout mapping saved")
        MAPPING_USE = "mapping_use", _("Layout mapping switched on or off")
        REPORT = "report", _("Evidence report generated")
        USER_INVITE = "user_invite", _("User invited")
        USER_RESET = "user_reset", _("Password link sent again")
        USER_DEACTIVATE = "user_deactivate", _("User deactivated")
        USER_REACTIVATE = "user_reactivate", _("User reactivated")
        MUNICIPALITY_ADD = "municipality_add", _("Municipality added")
        MUNICIPALITY_IMPORT = "municipality_import", _("Code list imported")
        TOKEN_ISSUE = "token_issue", _("API token issued")
        TOKEN_REVOKE = "token_revoke", _("API token revoked")
        ERROR_ITEMS_UPDATE = "error_items_update", _("Error items changed together")
        PROBE_TEST = "probe_test", _("Target tested before saving")
        ALERT_RECIPIENTS = "alert_recipients", _("Alert recipients changed")
        COPY_PURGED = "copy_purged", _("Copies purged after the retention period")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept apart from `user`: a failed sign-in has only a name, and a deleted user stays named.
    username = models.CharField(_("user name"), max_length=150, blank=True, db_index=True)
    action = models.CharField(_("action"), max_length=30, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=50, blank=True)
    object_id = models.CharField(_("object ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("source address"), null=True, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["action", "at"], name="console_audit_action_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.object_repr}"


class UsedFormToken(models.Model):
    """A one-time form token already spent: the same form sent again does nothing twice.

    The unique column makes the check atomic, so two requests of one double click cannot both
    pass; see console.once.
    """

    token = models.CharField(_("token"), max_length=64, unique=True)
    used_at = models.DateTimeField(_("used at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("used form token")
        verbose_name_plural = _("used form tokens")

    def __str__(self) -> str:
        return self.token
