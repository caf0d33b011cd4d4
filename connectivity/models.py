import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connectivity.explain import ERROR_LABELS, explain
from connectivity.lib import windows
from onboarding.models import Integration


class Kind(models.TextChoices):
    DNS = "dns", _("DNS lookup")
    TCP = "tcp", _("TCP connect")
    TLS = "tls", _("TLS handshake")
    HTTP = "http", _("HTTP request")


class ProbeRoute(models.TextChoices):
    LGWAN = "lgwan", _("LGWAN")
    VPN = "vpn", _("VPN or similar")
    INTERNET = "internet", _("Internet")


class Status(models.TextChoices):
    NEW = "new", _("Not run yet")
    UP = "up", _("Up")
    FAILING = "failing", _("Failing")
    DOWN = "down", _("Down")
    PAUSED = "paused", _("Paused")


class Probe(models.Model):
    """A reachability target (console.md §4); its runs are ProbeResult rows."""

    integration = models.ForeignKey(
        Integration,
        verbose_name=_("integration"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="probes",
        help_text=_("Empty for a target of PMH itself, e.g. a control target."),
    )
    name = models.CharField(_("name"), max_length=100)
    url = models.CharField(
        _("URL or host:port"),
        max_length=500,
        help_text=_("https://host/path for http and tls, host:port for tcp, a host name for dns."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.HTTP)
    route = models.CharField(
        _("route"), max_length=10, choices=ProbeRoute.choices, default=ProbeRoute.LGWAN
    )
    expect_status = models.PositiveSmallIntegerField(
        _("expected HTTP status"),
        null=True,
        blank=True,
        help_text=_("Empty: any status below 400 passes."),
    )
    expect_keyword = models.CharField(_("expected keyword"), max_length=200, blank=True)
    interval_seconds = models.PositiveIntegerField(_("interval (seconds)"), default=300)
    timeout_seconds = models.FloatField(_("timeout (seconds)"), default=10.0)
    retries = models.PositiveSmallIntegerField(
        _("retries"),
        default=1,
        help_text=_("Failed attempts are retried this many times before the run counts as failed."),
    )
    failure_threshold = models.PositiveSmallIntegerField(
        _("failures before an incident"),
        default=3,
        help_text=_("Consecutive failed runs that open an incident and send a notification."),
    )
    resolver = models.CharField(
        _("DNS server"),
        max_length=60,
        blank=True,
        help_text=_("IP address[:port] of the DNS server to ask, e.g. the LGWAN DNS server."),
    )
    ca_pem = models.TextField(
        _("CA certificates (PEM)"),
        blank=True,
        help_text=_("Extra CA certificates to trust, e.g. government PKI (LGWAN)."),
    )
    is_control = models.BooleanField(
        _("control target"),
        default=False,
        help_text=_(
            "A target that should always answer; when every control target fails, the "
            "console assumes its own network is down and does not count the other failures."
        ),
    )
    paused = models.BooleanField(_("paused"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW, editable=False
    )
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    next_due_at = models.DateTimeField(_("next run"), default=timezone.now, editable=False)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True, editable=False)
    last_ok_at = models.DateTimeField(_("last success"), null=True, blank=True, editable=False)
    # No database constraint and DO_NOTHING: pruning millions of old runs must stay one plain
    # DELETE; results_prune() clears the pointer itself before it deletes a run.
    last_result = models.ForeignKey(
        "ProbeResult",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["integration_id", "route", "name"]
        indexes = [models.Index(fields=["paused", "next_due_at"])]

    def __str__(self) -> str:
        return self.name


class Suppression(models.TextChoices):
    NONE = "", _("Counted")
    MAINTENANCE = "maintenance", _("Maintenance window")
    NETWORK = "network", _("Console network down")


class ProbeResult(models.Model):
    """One run of a target. Raw rows are kept for a few days; ProbeRollup keeps the hours."""

    probe = models.ForeignKey(
        Probe, verbose_name=_("target"), on_delete=models.CASCADE, related_name="results"
    )
    started_at = models.DateTimeField(_("started"))
    ok = models.BooleanField(_("passed"))
    error_class = models.CharField(_("error class"), max_length=20, blank=True)
    failed_phase = models.CharField(_("failed phase"), max_length=10, blank=True)
    dns_ms = models.FloatField(_("DNS (ms)"), null=True, blank=True)
    connect_ms = models.FloatField(_("connect (ms)"), null=True, blank=True)
    tls_ms = models.FloatField(_("TLS (ms)"), null=True, blank=True)
    first_byte_ms = models.FloatField(_("first byte (ms)"), null=True, blank=True)
    total_ms = models.FloatField(_("total (ms)"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=45, blank=True)
    tls_version = models.CharField(_("TLS version"), max_length=10, blank=True)
    cert_subject = models.CharField(_("certificate subject"), max_length=300, blank=True)
    cert_days_left = models.IntegerField(_("days to certificate expiry"), null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    suppressed = models.CharField(
        _("not counted because"),
        max_length=12,
        choices=Suppression.choices,
        blank=True,
        default=Suppression.NONE,
    )

    class Meta:
        verbose_name = _("run")
        verbose_name_plural = _("runs")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["probe", "-started_at"], name="probe_result_recent"),
            models.Index(fields=["started_at"], name="probe_result_started"),
        ]

    def __str__(self) -> str:
        return f"{self.probe_id} {self.started_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'fail'}"

    @property
    def counted(self) -> bool:
        return not self.suppressed

    @property
    def error_label(self) -> str:
        return str(ERROR_LABELS.get(self.error_class, self.error_class))

    @property
    def explanation(self):
        return explain(self.error_class, self.http_status)


class ProbeRollup(models.Model):
    """One hour of one target's counted runs, kept after the raw runs are deleted."""

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="rollups")
    hour = models.DateTimeField(_("hour"))
    runs = models.PositiveIntegerField(default=0)
    ok_runs = models.PositiveIntegerField(default=0)
    excluded_runs = models.PositiveIntegerField(default=0)
    avg_dns_ms = models.FloatField(null=True)
    avg_connect_ms = models.FloatField(null=True)
    avg_tls_ms = models.FloatField(null=True)
    avg_first_byte_ms = models.FloatField(null=True)
    avg_total_ms = models.FloatField(null=True)
    max_total_ms = models.FloatField(null=True)

    class Meta:
        verbose_name = _("hourly roll-up")
        verbose_name_plural = _("hourly roll-ups")
        constraints = [
            models.UniqueConstraint(fields=["probe", "hour"], name="probe_rollup_unique_hour")
        ]
        indexes = [models.Index(fields=["hour"], name="probe_rollup_hour")]

    def __str__(self) -> str:
        return f"{self.probe_id} {self.hour:%Y-%m-%d %H}:00"


class ProbeIncident(models.Model):
    """A run of consecutive counted failures of one target; the first success closes it."""

    probe = models.ForeignKey(
        Probe, verbose_name=_("target"), on_delete=models.CASCADE, related_name="incidents"
    )
    opened_at = models.DateTimeField(_("opened"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    first_failure_at = models.DateTimeField(_("first failure"))
    error_class = models.CharField(_("error class"), max_length=20, blank=True)
    last_error_class = models.CharField(_("last error class"), max_length=20, blank=True)
    failures = models.PositiveIntegerField(_("failed runs"), default=0)
    open_notified_at = models.DateTimeField(null=True, blank=True)
    close_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["probe"], condition=Q(closed_at__isnull=True), name="one_open_incident"
            )
        ]

    def __str__(self) -> str:
        return f"{self.probe} {self.opened_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def duration(self, now: datetime.datetime | None = None) -> datetime.timedelta:
        return (self.closed_at or now or timezone.now()) - self.first_failure_at


class MaintenanceWindow(models.Model):
    """Time when failures are recorded but neither counted nor notified.

    One-off (starts_at–ends_at), weekly (weekdays and a local time range, which may cross
    midnight), and/or whole days: Japanese public holidays, the New Year closure (Dec 29–Jan 3).
    """

    name = models.CharField(_("name"), max_length=100)
    integration = models.ForeignKey(
        Integration,
        verbose_name=_("integration"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="maintenance_windows",
        help_text=_("Empty: every target."),
    )
    probe = models.ForeignKey(
        Probe,
        verbose_name=_("target"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="maintenance_windows",
        help_text=_("Empty: every target of the integration (or all targets)."),
    )
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    weekdays = models.JSONField(
        _("weekdays"), default=list, blank=True, help_text=_("0 = Monday … 6 = Sunday.")
    )
    start_time = models.TimeField(_("daily from"), null=True, blank=True)
    end_time = models.TimeField(_("daily until"), null=True, blank=True)
    on_public_holidays = models.BooleanField(_("Japanese public holidays"), default=False)
    on_new_year = models.BooleanField(_("New Year closure (Dec 29 – Jan 3)"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("maintenance window")
        verbose_name_plural = _("maintenance windows")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def covers(self, at: datetime.datetime) -> bool:
        return windows.covers(
            timezone.localtime(at),
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            weekdays=self.weekdays,
            start_time=self.start_time,
            end_time=self.end_time,
            on_public_holidays=self.on_public_holidays,
            on_new_year=self.on_new_year,
        )

    def applies_to(self, probe: Probe) -> bool:
        if self.probe_id is not None:
            return self.probe_id == probe.pk
        return self.integration_id is None or self.integration_id == probe.integration_id


class InboundCheck(models.Model):
    """A one-time URL the municipality calls from its own network (console.md §4)."""

    integration = models.ForeignKey(
        Integration,
        verbose_name=_("integration"),
        on_delete=models.CASCADE,
        related_name="inbound_checks",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued"))
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("called"), null=True, blank=True)
    source_address = models.GenericIPAddressField(_("source address"), null=True, blank=True)
    peer_address = models.GenericIPAddressField(_("direct peer"), null=True, blank=True)
    tls_version = models.CharField(
        _("TLS version"), max_length=16, blank=True, help_text=_("'none' or 'unknown' if so.")
    )
    tls_used = models.BooleanField(
        _("over TLS"), null=True, help_text=_("Empty when a proxy did not say.")
    )
    via_proxy = models.BooleanField(_("through a trusted proxy"), default=False)
    passed = models.BooleanField(_("passed"), null=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("inbound check")
        verbose_name_plural = _("inbound checks")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["integration", "-used_at"], name="inbound_recent")]

    def __str__(self) -> str:
        return f"{self.integration_id} {self.issued_at:%Y-%m-%d %H:%M}"


class ProbeSweep(models.Model):
    """One `probe --due` pass: how many ran, how many failed, whether the guard held them."""

    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    targets = models.PositiveIntegerField(_("targets"), default=0)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    guard_tripped = models.BooleanField(_("network guard tripped"), default=False)
    guard_reason = models.CharField(_("guard reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("sweep")
        verbose_name_plural = _("sweeps")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M:%S} {self.failures}/{self.targets}"


class AlertSettings(models.Model):
    """Who is mailed when a target of the integration goes down or comes back (issue 18.13).

    Without a row the integration's contacts and its vendor's contact address are mailed; with
    one, exactly `emails` (an empty list: the operators' team list only). The operators' team
    list (PMH_PROBE_ALERT_EMAILS) is always added.
    """

    integration = models.OneToOneField(
        "onboarding.Integration",
        verbose_name=_("integration"),
        on_delete=models.CASCADE,
        related_name="alert_settings",
    )
    emails = models.JSONField(_("alert recipients"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("alert settings")
        verbose_name_plural = _("alert settings")

    def __str__(self) -> str:
        return f"{self.integration_id}: {', '.join(self.emails)}"
