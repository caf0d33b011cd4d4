from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coderules.checkdigits import insurer_number_valid, municipality_code_valid


def validate_municipality_code(value: str) -> None:
    if not (len(value) == 6 and value.isascii() and value.isdigit()):
        raise ValidationError(_("A local government code has exactly 6 digits."))
    if not municipality_code_valid(value):
        raise ValidationError(
            _("The check digit of local government code %(code)s is wrong."),
            params={"code": value},
        )


def validate_insurer_number(value: str) -> None:
    if not (len(value) == 8 and value.isascii() and value.isdigit()):
        raise ValidationError(
            _("A public expense payer number (公費負担者番号) has exactly 8 digits: %(value)s"),
            params={"value": value},
        )
    if not insurer_number_valid(value):
        raise ValidationError(
            _("The check digit of public expense payer number %(value)s is wrong."),
            params={"value": value},
        )


def validate_check_programs(value) -> None:
    """A list of 2-digit 法別番号 or 8-digit 公費負担者番号 (lowered check digits)."""
    if not isinstance(value, list):
        raise ValidationError(_("Give a list of program numbers."))
    for item in value:
        if not (
            isinstance(item, str) and len(item) in (2, 8) and item.isascii() and item.isdigit()
        ):
            raise ValidationError(
                _("“%(value)s” is neither a 2-digit 法別番号 nor an 8-digit 公費負担者番号."),
                params={"value": item},
            )


class Vendor(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True, help_text=_("Used by commands, e.g. vendor-a."))
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("vendor")
        verbose_name_plural = _("vendors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("onboarding:vendor_detail", args=[self.slug])


class User(AbstractUser):
    vendor = models.ForeignKey(
        Vendor,
        verbose_name=_("vendor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_("Required for users of the vendor group: they see only this vendor's data."),
    )
    municipality = models.ForeignKey(
        "Municipality",
        verbose_name=_("municipality"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        help_text=_(
            "Required for users of the municipality group: they see only this municipality's data."
        ),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


class Municipality(models.Model):
    code = models.CharField(
        _("local government code"),
        max_length=6,
        unique=True,
        validators=[validate_municipality_code],
    )
    prefecture = models.CharField(_("prefecture"), max_length=10)
    city = models.CharField(
        _("city"), max_length=50, blank=True, help_text=_("Empty for the prefecture itself.")
    )
    prefecture_kana = models.CharField(_("prefecture (kana)"), max_length=30, blank=True)
    city_kana = models.CharField(_("city (kana)"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("dashboard:municipality_detail", args=[self.code])

    @property
    def name(self) -> str:
        return self.city or self.prefecture

    @property
    def prefecture_code(self) -> str:
        return self.code[:2]


class ReworkMethod(models.TextChoices):
    API = "api", _("Web API (automatic)")
    BATCH = "batch", _("Batch uploader from a file server")
    MANUAL = "manual", _("Manual upload of system output")
    MANUAL_EDIT = "manual_edit", _("Manual upload of hand-edited CSV")


class Route(models.TextChoices):
    LGWAN = "lgwan", _("LGWAN")
    VPN = "vpn", _("VPN or similar")
    USB = "usb", _("USB memory or other media")


class DataMode(models.TextChoices):
    DIFF = "diff", _("Differential")
    FULL = "full", _("Full data set")


class TestAccess(models.TextChoices):
    LGWAN = "lgwan", _("From the municipality over LGWAN")
    INTERNET = "internet", _("Vendor over the internet (HTTPS)")
    OFFLINE = "offline", _("No access (shared folder or e-mail)")


class DataFormat(models.TextChoices):
    CSV = "csv", "CSV"
    JSON = "json", "JSON"


class Stage(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    DECIDED = "decided", _("Choices decided")
    NETWORK_OK = "network_ok", _("Network OK")
    TESTING = "testing", _("Testing")
    TEST_PASSED = "test_passed", _("Test passed")
    READY = "ready", _("Ready")
    LIVE = "live", _("Live")


STAGE_ORDER = list(Stage.values)


class ReviewPolicy(models.TextChoices):
    AUTO = "auto", _("Default (review when test access is offline)")
    ALWAYS = "always", _("Always review before returning")
    NEVER = "never", _("Return at once")


def dropbox_name_validator() -> RegexValidator:
    return RegexValidator(
        r"^[0-9A-Za-z][0-9A-Za-z_-]{0,39}$",
        _("Use half-width letters, digits, '-' and '_' (up to 40)."),
    )


class ActiveIntegrationManager(models.Manager):
    """Integrations still in use: a retired one stays in history but leaves every list."""

    def get_queryset(self):
        return super().get_queryset().filter(retired_at__isnull=True)


class Integration(models.Model):
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="integrations",
    )
    vendor = models.ForeignKey(
        Vendor,
        verbose_name=_("vendor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="integrations",
    )
    business_system = models.CharField(_("business system"), max_length=100)
    programs = models.JSONField(
        _("public expense payer numbers"),
        default=list,
        blank=True,
        help_text=_("The 公費負担者番号 of the subsidy programs this system feeds."),
    )
    rework_method = models.CharField(
        _("rework method"), max_length=20, choices=ReworkMethod.choices, blank=True
    )
    route = models.CharField(_("route"), max_length=10, choices=Route.choices, blank=True)
    data_mode = models.CharField(
        _("data mode"), max_length=10, choices=DataMode.choices, blank=True
    )
    test_access = models.CharField(
        _("test access"), max_length=10, choices=TestAccess.choices, blank=True
    )
    data_format = models.CharField(
        _("format"), max_length=10, choices=DataFormat.choices, blank=True
    )
    dropbox_name = models.CharField(
        _("folder name"),
        max_length=40,
        unique=True,
        validators=[dropbox_name_validator()],
        help_text=_("Names the shared folder and identifies the integration in the API."),
    )
    source_ranges = models.JSONField(
        _("source address ranges"),
        default=list,
        blank=True,
        help_text=_("Addresses the municipality calls from (CIDR), for the inbound check."),
    )
    mynumber_check_warning = models.BooleanField(
        _("個人番号 check digit failures are warnings"),
        default=False,
        help_text=_("For test data with made-up numbers."),
    )
    insurer_check_warning = models.BooleanField(
        _("公費負担者番号 and 受給者番号 check digit failures are warnings"),
        default=False,
        help_text=_("For local programs whose numbers do not keep the check digit."),
    )
    insurer_check_programs = models.JSONField(
        _("programs with lowered check digits"),
        default=list,
        blank=True,
        help_text=_("2-digit 法別番号 or 8-digit 公費負担者番号; empty: every program."),
        validators=[validate_check_programs],
    )
    review_policy = models.CharField(
        _("result review"), max_length=10, choices=ReviewPolicy.choices, default=ReviewPolicy.AUTO
    )
    go_live_date = models.DateField(_("go-live date"), null=True, blank=True)
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.REGISTERED
    )
    stage_changed_at = models.DateTimeField(_("in stage since"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    retired_reason = models.TextField(_("reason for retiring"), blank=True)

    # Retired ones too: their own page, history and the help desk's records.
    all_objects = models.Manager()
    objects = ActiveIntegrationManager()

    class Meta:
        verbose_name = _("integration")
        verbose_name_plural = _("integrations")
        ordering = ["municipality__code", "dropbox_name"]
        indexes = [models.Index(fields=["stage", "stage_changed_at"])]
        # Unique checks, related managers and the admin see retired ones too.
        default_manager_name = "all_objects"
        base_manager_name = "all_objects"
        constraints = [
            # Back, then save again must not register the same system twice.
            models.UniqueConstraint(
                fields=["municipality", "vendor", "business_system"],
                condition=models.Q(retired_at__isnull=True),
                name="integration_unique_system",
                violation_error_message=_(
                    "This municipality already has an integration of this business system "
                    "with this vendor. Open it from the municipality's page instead."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality.name} / {self.business_system}"

    def get_absolute_url(self) -> str:
        return reverse("onboarding:integration_detail", args=[self.pk])

    @property
    def needs_review(self) -> bool:
        if self.review_policy == ReviewPolicy.AUTO:
            return self.test_access == TestAccess.OFFLINE
        return self.review_policy == ReviewPolicy.ALWAYS

    @property
    def skips_network_check(self) -> bool:
        return self.route == Route.USB or self.test_access == TestAccess.OFFLINE


class IntegrationContact(models.Model):
    """A contact address of an integration; mail intake accepts files only from these."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="contacts")
    email = models.EmailField(_("e-mail"), db_index=True)

    class Meta:
        verbose_name = _("contact address")
        verbose_name_plural = _("contact addresses")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["integration", "email"], name="contact_unique_email")
        ]

    def __str__(self) -> str:
        return self.email


class IntegrationEvent(models.Model):
    """The history of an integration: stage moves and changes of its recorded choices."""

    class Kind(models.TextChoices):
        STAGE = "stage", _("Stage move")
        CHOICE = "choice", _("Choice changed")
        RETIRED = "retired", _("Retired")

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    field = models.CharField(_("field"), max_length=40, blank=True)
    old_value = models.TextField(_("before"), blank=True)
    new_value = models.TextField(_("after"), blank=True)
    reason = models.TextField(_("reason"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("integration event")
        verbose_name_plural = _("integration events")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.integration_id} {self.kind} {self.old_value}→{self.new_value}"

    def get_old_stage_display(self) -> str:
        return Stage(self.old_value).label if self.old_value in Stage.values else self.old_value

    def get_new_stage_display(self) -> str:
        return Stage(self.new_value).label if self.new_value in Stage.values else self.new_value

    @property
    def field_label(self) -> str:
        if self.field == "contacts":
            return str(_("contact addresses"))
        try:
            return str(Integration._meta.get_field(self.field).verbose_name)
        except FieldDoesNotExist:
            return self.field


class ApiToken(models.Model):
    """A vendor's bearer token for the HTTPS API; only its SHA-256 is stored."""

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("prefix"), max_length=12, help_text=_("Shown to tell tokens apart.")
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.vendor.slug}/{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ApiIdempotencyKey(models.Model):
    """An Idempotency-Key a token used, and what it answered (console.md §3.3).

    The row is inserted before anything of the request is stored (issue 17.8): while that
    transaction runs, ``submission`` is empty and every other request with the key waits on the
    unique constraint, then answers from the row (the same submission, or 409)."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    submission = models.ForeignKey(
        "uploads.Submission", on_delete=models.CASCADE, related_name="+", null=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="idempotency_unique_token_key")
        ]

    def __str__(self) -> str:
        return f"{self.token_id}:{self.key}"


class StuckDigestRun(models.Model):
    """The day's digest of stuck integrations (issue 22.4): one row per day, claimed before any
    mail goes out, so a restart or a second scheduler never mails the same day twice."""

    day = models.DateField(_("day"), unique=True)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    recipients = models.IntegerField(_("recipients"), default=0)
    integrations = models.IntegerField(_("integrations"), default=0)

    class Meta:
        verbose_name = _("stuck digest run")
        verbose_name_plural = _("stuck digest runs")
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day} ({self.recipients})"
