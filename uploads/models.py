import json

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onboarding.models import Integration, Stage


class Channel(models.TextChoices):
    WEB = "web", _("Web upload")
    API = "api", _("Web API")
    FOLDER = "folder", _("Shared folder")
    MAIL = "mail", _("E-mail")
    MEDIA = "media", _("USB media")


class Mode(models.TextChoices):
    FULL = "full", _("Full data set")
    DIFF = "diff", _("Differential")


class Status(models.TextChoices):
    RECEIVED = "received", _("Just received")
    QUEUED = "queued", _("Queued")
    VALIDATING = "validating", _("Validating")
    REVIEW = "review", _("Waiting for review")
    RETURNED = "returned", _("Returned")
    FAILED = "failed", _("Failed")


class Verdict(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


ACTIVE_STATUSES = (Status.RECEIVED, Status.QUEUED, Status.VALIDATING)


class Submission(models.Model):
    """One received file of one integration (console.md §3)."""

    integration = models.ForeignKey(
        Integration,
        verbose_name=_("integration"),
        on_delete=models.PROTECT,
        related_name="submissions",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    sender = models.CharField(_("sender"), max_length=254, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices)
    stage_at_receipt = models.CharField(_("stage at receipt"), max_length=20)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED
    )
    verdict = models.CharField(
        _("verdict"), max_length=10, choices=Verdict.choices, null=True, blank=True
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    # What besides the bytes the verdict depends on (uploads.context, issue 18.4): a duplicate
    # needs the same bytes and the same fingerprint.
    context = models.JSONField(_("verdict context"), null=True, blank=True)
    context_fingerprint = models.CharField(max_length=64, blank=True)
    revalidation_of = models.ForeignKey(
        "self",
        verbose_name=_("re-validation of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="revalidations",
    )
    storage_name = models.CharField(max_length=200, blank=True)
    file_purged_at = models.DateTimeField(_("file purged"), null=True, blank=True)

    received_at = models.DateTimeField(_("received"), default=timezone.now)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True)
    validating_at = models.DateTimeField(_("validation started"), null=True, blank=True)
    validated_at = models.DateTimeField(_("validated"), null=True, blank=True)
    review_at = models.DateTimeField(_("waiting for review since"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed"), null=True, blank=True)

    rows = models.IntegerField(_("records"), null=True, blank=True)
    valid_rows = models.IntegerField(_("valid records"), null=True, blank=True)
    errors = models.IntegerField(_("errors"), null=True, blank=True)
    warnings = models.IntegerField(_("warnings"), null=True, blank=True)
    report = models.JSONField(_("report"), null=True, blank=True)
    progress_bytes = models.BigIntegerField(_("bytes validated"), default=0)

    # Processing is claimed with a lease; the reconciler takes back what a dead worker left.
    job_id = models.CharField(max_length=100, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    failure_reason = models.TextField(_("failure reason"), blank=True)

    # The layout doctor's mapping version the file was converted through (issue 24), if any.
    layout_mapping_version = models.ForeignKey(
        "LayoutMappingVersion",
        verbose_name=_("layout mapping version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    review_comment = models.TextField(_("comment for the municipality"), blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("released by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    released_at = models.DateTimeField(_("released"), null=True, blank=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["integration", "-received_at"], name="submission_int_received"),
            # The history's default order: newest first, read by an index scan, not a sort.
            models.Index(fields=["-received_at", "-id"], name="submission_received"),
            # The dashboard's week by status, channel and verdict and its daily chart read
            # this index alone (an index-only scan on PostgreSQL, issue 22.6).
            models.Index(
                fields=["received_at", "status", "channel", "verdict", "id"],
                name="submission_figures",
            ),
            models.Index(fields=["status", "received_at"], name="submission_status"),
            models.Index(fields=["verdict", "received_at"], name="submission_verdict"),
            models.Index(fields=["channel", "received_at"], name="submission_channel"),
            models.Index(fields=["integration", "sha256"], name="submission_int_sha"),
            # The test store's state for the verdict context (uploads.context): the latest
            # accepted submission of an integration, read on every receive.
            models.Index(
                fields=["integration", "verdict", "-validated_at", "-id"],
                name="submission_int_applied",
            ),
            # The history's other sort orders (each with a tie-breaker) and the SHA-256 search;
            # the file-name search has a trigram index on PostgreSQL (migration 0006).
            models.Index(fields=["sha256"], name="submission_sha"),
            models.Index(fields=["mode", "received_at"], name="submission_mode"),
            models.Index(fields=["original_name", "id"], name="submission_name"),
            models.Index(fields=["rows", "id"], name="submission_rows"),
            models.Index(fields=["errors", "id"], name="submission_errors"),
            models.Index(fields=["warnings", "id"], name="submission_warnings"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"

    def get_absolute_url(self) -> str:
        return reverse("uploads:submission_detail", args=[self.pk])

    @property
    def shown(self) -> "Submission":
        """Whose result this submission shows: the first of the same bytes and context when
        it is a duplicate (issue 18.4), else its own."""
        return self.duplicate_of if self.duplicate_of_id else self

    @property
    def is_finished(self) -> bool:
        return self.status not in ACTIVE_STATUSES

    @property
    def progress_percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.size:
            return 0
        return min(99, int(self.progress_bytes * 100 / self.size))

    @property
    def stage_at_receipt_label(self) -> str:
        if self.stage_at_receipt in Stage.values:
            return Stage(self.stage_at_receipt).label
        return self.stage_at_receipt

    @property
    def diff(self) -> dict | None:
        return (self.report or {}).get("diff")

    @property
    def gone_count(self) -> int | None:
        """Records this file removes (full) or deletes (diff) from the test store."""
        diff = self.diff or {}
        return diff.get("removed", diff.get("deleted"))

    @property
    def mass_removal(self) -> str | None:
        """The message of the mass removal warning, which the report lists first."""
        first = ((self.report or {}).get("issues") or [{}])[0]
        return first.get("message") if first.get("code") == "K_MASS_REMOVAL" else None

    @property
    def diff_labelled(self) -> list[tuple[str, int]]:
        """The report's diff counts with their names in the user's language."""
        return [
            (str(DIFF_LABELS.get(name, name)), count) for name, count in (self.diff or {}).items()
        ]


DIFF_LABELS = {
    "added": _("Added records"),
    "changed": _("Changed records"),
    "unchanged": _("Unchanged records"),
    "removed": _("Removed records"),
    "inserted": _("Inserted records"),
    "updated": _("Updated records"),
    "deleted": _("Deleted records"),
}


class SubmissionIssue(models.Model):
    """Every issue of a submission (the report lists only the first ones), masked as stored."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="issues")
    # Rows from an attempt that lost its lease are removed when the winning attempt commits.
    attempt = models.PositiveSmallIntegerField(default=1)
    seq = models.IntegerField(_("number"))
    row = models.IntegerField(_("record"), null=True, blank=True)
    line = models.IntegerField(_("line"), null=True, blank=True)
    field = models.CharField(_("field"), max_length=200, blank=True)
    code = models.CharField(_("code"), max_length=30)
    severity = models.CharField(_("severity"), max_length=10)
    message = models.TextField(_("message"))
    value = models.TextField(_("value"), null=True, blank=True)
    extra = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("submission issue")
        verbose_name_plural = _("submission issues")
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["submission", "attempt", "seq"], name="issue_order"),
            models.Index(fields=["submission", "code"], name="issue_code"),
            models.Index(fields=["submission", "severity"], name="issue_severity"),
        ]

    def __str__(self) -> str:
        return f"{self.code} row {self.row}"

    def to_dict(self) -> dict:
        data = {
            "row": self.row,
            "line": self.line,
            "field": self.field or None,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "value": self.value,
        }
        if self.extra:
            data.update(self.extra)
        return data


class JSONTextField(models.TextField):
    """JSON kept as plain text: loading a million records is about a quarter faster than into
    ``jsonb``, and nothing queries inside the values in SQL. Python sees the decoded value."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(value)

    def get_prep_value(self, value):
        if value is None:
            return None
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def to_python(self, value):
        return json.loads(value) if isinstance(value, str) else value  # e.g. from loaddata

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))


class StoredRecord(models.Model):
    """The test store: the records PMH would hold for an integration (record-layout §6).

    Nothing personal (issue 17.2): ``key`` is the HMAC-SHA256 of the key fields' text and
    ``key_digest`` a keyed hash of it, under ``settings.PMH_STORE_KEY`` (outside the database);
    ``fingerprint`` stands for the values, which are kept as ``{}``."""

    # No database-level foreign keys: their per-row trigger checks would double the cost of
    # applying a million records; the ORM still cascades deletes of an integration.
    # No separate indexes on the two keys either: the primary key (integration, key hash,
    # key) serves lookups by integration, and nothing looks records up by submission; every
    # index costs time when a million records are copied in.
    integration = models.ForeignKey(
        Integration,
        on_delete=models.CASCADE,
        related_name="stored_records",
        db_constraint=False,
        db_index=False,
    )
    key = models.TextField(_("key"))  # sealed_key() of the key fields joined with U+001F
    key_digest = models.BigIntegerField()  # sealed_digest() of the engine's digest of the key
    fingerprint = models.CharField(_("fingerprint"), max_length=32)
    values = JSONTextField(_("values"))  # compact JSON, written by the staged COPY
    # The keyed hash of the CSV line or JSON element that gives the record's values, under that
    # file's columns and the rules it was checked by (uploads.lib.validation.tally.line_hasher):
    # the text it was last read from; null when unknown. A full file's line with this hash is
    # this record unchanged (and a JSON element, not checked again: validation.jsonrecords).
    line_digest = models.BigIntegerField(null=True, blank=True)
    submission = models.ForeignKey(
        Submission,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    # The primary key is the stored key, led by its 64-bit hash (a function of the key, so the
    # same rule as unique keys): comparing integers, not text, keeps a million inserts into its
    # index cheap, and the engine's index is read in this order. No surrogate id: its sequence
    # and second index took a third of the time of copying a million records in (migration
    # 0015).
    pk = models.CompositePrimaryKey("integration", "key_digest", "key")

    class Meta:
        verbose_name = _("stored record")
        verbose_name_plural = _("stored records")

    def __str__(self) -> str:
        return f"{self.integration_id}: {self.fingerprint}"


class StorePurge(models.Model):
    """A test store emptied: after PMH_RETENTION_DAYS without a submission, or its integration
    retired (deleted). Kept by number so it outlives the integration."""

    integration_id = models.BigIntegerField(_("integration"))
    integration_label = models.CharField(_("integration"), max_length=300)
    records = models.BigIntegerField(_("records"))
    reason = models.CharField(_("reason"), max_length=100)
    purged_at = models.DateTimeField(_("purged"), default=timezone.now)

    class Meta:
        verbose_name = _("test store purge")
        verbose_name_plural = _("test store purges")
        ordering = ["-purged_at"]

    def __str__(self) -> str:
        return f"{self.integration_id} {self.purged_at:%Y-%m-%d}"


class FileDeletion(models.Model):
    """What the retention job (or an operator) purged: the bytes go, this record stays."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="file_deletions"
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.BigIntegerField(_("size"))
    original_name = models.CharField(_("file name"), max_length=255)
    reason = models.CharField(_("reason"), max_length=100)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deleted_at = models.DateTimeField(_("deleted"), default=timezone.now)

    class Meta:
        verbose_name = _("file deletion")
        verbose_name_plural = _("file deletions")
        ordering = ["-deleted_at"]

    def __str__(self) -> str:
        return f"{self.sha256[:12]} {self.deleted_at:%Y-%m-%d}"


class LayoutMapping(models.Model):
    """An integration's layout doctor mapping (issue 24): its export's columns to PMH's layout.

    The document itself lives in versions; ``current`` is the one in use. With
    ``use_for_submissions`` every submission of the integration, on any channel, is converted
    through the current version before the engine validates it.
    """

    integration = models.OneToOneField(
        Integration,
        verbose_name=_("integration"),
        on_delete=models.CASCADE,
        related_name="layout_mapping",
    )
    use_for_submissions = models.BooleanField(_("validate submissions through it"), default=False)
    current = models.ForeignKey(
        "LayoutMappingVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("layout mapping")
        verbose_name_plural = _("layout mappings")

    def __str__(self) -> str:
        return f"{self.integration_id}: v{self.current.number if self.current else 0}"


class LayoutMappingVersion(models.Model):
    """One saved version of a mapping document (never changed once saved)."""

    class How(models.TextChoices):
        EDIT = "edit", _("Saved on the mapping page")
        IMPORT = "import", _("Imported from JSON")

    mapping = models.ForeignKey(LayoutMapping, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    document = models.JSONField(_("mapping document"))
    how = models.CharField(_("how"), max_length=10, choices=How.choices, default=How.EDIT)
    source_name = models.CharField(_("diagnosed file"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saved"), default=timezone.now)

    class Meta:
        verbose_name = _("layout mapping version")
        verbose_name_plural = _("layout mapping versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["mapping", "number"], name="layout_mapping_version")
        ]

    def __str__(self) -> str:
        return f"v{self.number}"


class LayoutDiagnosis(models.Model):
    """A file diagnosed on the 「レイアウト診断」 page: its masked profile, and its bytes (kept for
    the 変換仕様書's examples, which are masked when shown)."""

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, related_name="layout_diagnoses"
    )
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    storage_name = models.CharField(max_length=200, blank=True)
    profile = models.JSONField(_("profile"), null=True, blank=True)  # masked samples only
    problem = models.TextField(_("problem"), blank=True)  # why the file could not be read
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("diagnosed"), default=timezone.now)

    class Meta:
        verbose_name = _("layout diagnosis")
        verbose_name_plural = _("layout diagnoses")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"
