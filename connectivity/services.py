"""State changes of the reachability checks (console.md §4) and the `network_ok` evidence (§2).

Probe I/O lives in `connectivity.lib.probe` and never touches the database: a sweep claims the
due targets, probes them on a thread pool, then records each run in its own transaction.
"""

import dataclasses
import datetime
import hashlib
import ipaddress
import logging
import secrets
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Avg, Count, Max, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from connectivity.lib.probe import ProbeRun, ProbeSpec, run_probe
from connectivity.models import (
    AlertSettings,
    InboundCheck,
    MaintenanceWindow,
    Probe,
    ProbeIncident,
    ProbeResult,
    ProbeRollup,
    ProbeSweep,
    Status,
    Suppression,
)
from console.jobs import enqueue
from onboarding.models import Integration

log = logging.getLogger(__name__)
# Jobs are named by dotted path (console.jobs.enqueue): connectivity.jobs imports this module.
NOTIFY_JOB = "connectivity.jobs.incident_notify"
PROBE_RUN_JOB = "connectivity.jobs.probe_run"

EVIDENCE_DAYS = 7
INBOUND_TTL = datetime.timedelta(days=7)
CERT_WARNING_DAYS = 30
RAW_SUCCESS_DAYS = 3
RAW_FAILURE_DAYS = 30
ROLLUP_DAYS = 400
# A run that started before an hour ended may be stored a little after: roll up only hours that
# ended at least this long ago, so a late row is never left out of its hour.
ROLLUP_GRACE = datetime.timedelta(minutes=10)

_FIELDS = (
    "dns_ms",
    "connect_ms",
    "tls_ms",
    "first_byte_ms",
    "total_ms",
    "cert_days_left",
    "http_status",
)


# Targets ---------------------------------------------------------------------------------------


@transaction.atomic
def target_create(
    *,
    integration: Integration | None,
    name: str,
    url: str,
    kind: str,
    route: str,
    expect_status: int | None = None,
    expect_keyword: str = "",
    interval_seconds: int = 300,
    timeout_seconds: float = 10.0,
    retries: int = 1,
    failure_threshold: int = 3,
    resolver: str = "",
    ca_pem: str = "",
    is_control: bool = False,
    paused: bool = False,
) -> Probe:
    """Create a target; it is due at once. Inputs are validated by `TargetForm`."""
    return Probe.objects.create(
        integration=integration,
        name=name,
        url=url.strip(),
        kind=kind,
        route=route,
        expect_status=expect_status,
        expect_keyword=expect_keyword,
        interval_seconds=interval_seconds,
        timeout_seconds=timeout_seconds,
        retries=retries,
        failure_threshold=failure_threshold,
        resolver=resolver.strip(),
        ca_pem=ca_pem.strip(),
        is_control=is_control,
        paused=paused,
        status=Status.PAUSED if paused else Status.NEW,
        next_due_at=timezone.now(),
    )


@transaction.atomic
def target_update(*, probe: Probe, **fields) -> Probe:
    """Change a target's settings; a changed check runs at the next sweep."""
    for name, value in fields.items():
        setattr(probe, name, value.strip() if isinstance(value, str) else value)
    if probe.paused:
        probe.status = Status.PAUSED
    elif probe.status == Status.PAUSED:
        probe.status = Status.NEW
    probe.next_due_at = timezone.now()
    probe.save()
    return probe


@transaction.atomic
def target_delete(*, probe: Probe) -> None:
    probe.delete()


def target_try(**values) -> ProbeRun:
    """Run a target once as entered on its form, saving nothing ("test before save")."""
    spec = ProbeSpec(
        values["url"],
        kind=values["kind"],
        timeout=values["timeout_seconds"],
        expect_status=values.get("expect_status"),
        expect_keyword=values.get("expect_keyword") or None,
        ca_pem=values.get("ca_pem") or None,
        resolver=values.get("resolver") or None,
    )
    return run_probe(spec)


def probe_spec(probe: Probe) -> ProbeSpec:
    return ProbeSpec(
        probe.url,
        kind=probe.kind,
        timeout=probe.timeout_seconds,
        expect_status=probe.expect_status,
        expect_keyword=probe.expect_keyword or None,
        ca_pem=probe.ca_pem or None,
        resolver=probe.resolver or None,
    )


# Runs ------------------------------------------------------------------------------------------


def probe_attempt(spec: ProbeSpec, *, retries: int) -> tuple[ProbeRun, int]:
    """Run `spec`, retrying a failure up to `retries` times; no database access (thread-safe)."""
    delay = settings.PMH_PROBE_RETRY_DELAY
    attempt = 1
    run = run_probe(spec)
    while not run.ok and attempt <= retries:
        if delay:
            time.sleep(delay)
        attempt += 1
        run = run_probe(spec)
    return run, attempt


@transaction.atomic
def probe_record_result(
    *,
    probe: Probe,
    run: ProbeRun,
    started_at: datetime.datetime | None = None,
    attempts: int = 1,
    suppressed: str = "",
    windows: Iterable[MaintenanceWindow] | None = None,
) -> ProbeResult:
    """Store one run and move the target's status, incidents and notifications along.

    A failure counts toward an incident unless `suppressed` says why not (the network guard) or
    a maintenance window covers `started_at`; a success always closes the open incident.
    """
    started_at = started_at or timezone.now()
    probe = Probe.objects.select_for_update().get(pk=probe.pk)
    if not run.ok and not suppressed and maintenance_window_for(probe, started_at, windows):
        suppressed = Suppression.MAINTENANCE
    result = ProbeResult.objects.create(
        probe=probe,
        started_at=started_at,
        ok=run.ok,
        error_class=run.error_class or "",
        failed_phase=run.failed_phase or "",
        address=(run.address or "")[:45],
        message=(run.message or "")[:500],
        attempts=attempts,
        suppressed=suppressed,
        tls_version=run.tls_version or "",
        cert_subject=(run.cert_subject or "")[:300],
        **{name: getattr(run, name) for name in _FIELDS},
    )
    probe.last_run_at = started_at
    probe.last_result = result
    if run.ok:
        _record_success(probe, started_at)
    elif not suppressed:
        _record_failure(probe, result)
    probe.save(
        update_fields=[
            "last_run_at",
            "last_result",
            "last_ok_at",
            "status",
            "consecutive_failures",
            "failing_since",
        ]
    )
    return result


def _record_success(probe: Probe, at: datetime.datetime) -> None:
    probe.last_ok_at = at
    probe.consecutive_failures = 0
    probe.failing_since = None
    probe.status = Status.PAUSED if probe.paused else Status.UP
    incident = probe.incidents.filter(closed_at__isnull=True).first()
    if incident is not None:
        incident.closed_at = at
        incident.save(update_fields=["closed_at"])
        enqueue("default", NOTIFY_JOB, incident.pk, "closed")


def _record_failure(probe: Probe, result: ProbeResult) -> None:
    probe.consecutive_failures += 1
    probe.failing_since = probe.failing_since or result.started_at
    incident = probe.incidents.filter(closed_at__isnull=True).first()
    if incident is not None:
        incident.failures += 1
        incident.last_error_class = result.error_class
        incident.save(update_fields=["failures", "last_error_class"])
    elif probe.consecutive_failures >= max(probe.failure_threshold, 1):
        incident = ProbeIncident.objects.create(
            probe=probe,
            opened_at=result.started_at,
            first_failure_at=probe.failing_since,
            error_class=result.error_class,
            last_error_class=result.error_class,
            failures=probe.consecutive_failures,
        )
        enqueue("default", NOTIFY_JOB, incident.pk, "opened")
    probe.status = Status.DOWN if incident is not None else Status.FAILING


def maintenance_window_for(
    probe: Probe,
    at: datetime.datetime,
    windows: Iterable[MaintenanceWindow] | None = None,
) -> MaintenanceWindow | None:
    if windows is None:
        windows = MaintenanceWindow.objects.filter(
            Q(probe=probe)
            | Q(probe__isnull=True, integration__isnull=True)
            | Q(probe__isnull=True, integration_id=probe.integration_id)
        )
    return next((w for w in windows if w.applies_to(probe) and w.covers(at)), None)


@transaction.atomic
def maintenance_window_create(*, by=None, **fields) -> MaintenanceWindow:
    """Add a window; fields as in MaintenanceWindowForm."""
    return MaintenanceWindow.objects.create(created_by=by, **fields)


@transaction.atomic
def maintenance_window_delete(*, window: MaintenanceWindow) -> None:
    window.delete()


# Sweeps ----------------------------------------------------------------------------------------


def run_due(*, now: datetime.datetime | None = None) -> ProbeSweep | None:
    """Run every due target (and the control targets) once; `probe --due` and the scheduler.

    Returns the sweep, or None when nothing was due. Targets are claimed by moving their next
    run forward first, so overlapping sweeps never probe a target twice.
    """
    now = now or timezone.now()
    probes = _claim_due(now)
    if not probes:
        return None
    sweep = ProbeSweep.objects.create(started_at=now, targets=len(probes))
    concurrency = settings.PMH_PROBE_CONCURRENCY
    outcomes = list(_run_all(probes, concurrency))
    guard = _network_guard([(probe, run) for probe, run, _ in outcomes])
    windows = list(MaintenanceWindow.objects.all())
    for probe, run, attempts in outcomes:
        suppressed = Suppression.NETWORK if guard and not run.ok else ""
        probe_record_result(
            probe=probe,
            run=run,
            started_at=now,
            attempts=attempts,
            suppressed=suppressed,
            windows=windows,
        )
    sweep.failures = sum(not run.ok for _, run, _ in outcomes)
    sweep.guard_tripped = bool(guard)
    sweep.guard_reason = guard
    sweep.finished_at = timezone.now()
    sweep.save(update_fields=["failures", "guard_tripped", "guard_reason", "finished_at"])
    if guard:
        log.warning(
            "Network guard held %d failures of sweep %d: %s", sweep.failures, sweep.pk, guard
        )
    return sweep


def _run_all(probes: list[Probe], concurrency: int) -> Iterator[tuple[Probe, ProbeRun, int]]:
    # Threads do probe I/O only; the database is written afterwards from this thread.
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="probe") as pool:
        futures = {
            pool.submit(probe_attempt, probe_spec(probe), retries=probe.retries): probe
            for probe in probes
        }
        for future in as_completed(futures):
            run, attempts = future.result()
            yield futures[future], run, attempts


@transaction.atomic
def _claim_due(now: datetime.datetime) -> list[Probe]:
    due = Q(next_due_at__lte=now) | Q(is_control=True)
    probes = list(
        Probe.objects.select_for_update(skip_locked=True)
        .filter(due, paused=False)
        .order_by("next_due_at")
    )
    if not any(not p.is_control or p.next_due_at <= now for p in probes):
        return []  # only control targets: they ride along with real work, never alone
    for probe in probes:
        probe.next_due_at = now + datetime.timedelta(seconds=probe.interval_seconds)
    Probe.objects.bulk_update(probes, ["next_due_at"])
    return probes


def _network_guard(outcomes: list[tuple[Probe, ProbeRun]]) -> str:
    """Why this sweep's failures say more about the console's network than the targets'."""
    controls = [run for probe, run in outcomes if probe.is_control]
    if controls:
        if any(run.ok for run in controls):
            return ""
        return _("Every control target failed: the console's own network is probably down.")
    failed = sum(not run.ok for _, run in outcomes)
    min_targets = settings.PMH_PROBE_GUARD_MIN_TARGETS
    share = settings.PMH_PROBE_GUARD_FAILED_SHARE
    if len(outcomes) >= min_targets and failed >= share * len(outcomes):
        return _(
            "%(failed)d of %(total)d targets failed at once: the console's own network is "
            "probably down."
        ) % {"failed": failed, "total": len(outcomes)}
    return ""


def run_target(target_id: int) -> ProbeResult:
    """Run one stored target now (`probe --target ID`, the "run now" button)."""
    probe = Probe.objects.get(pk=target_id)
    started_at = timezone.now()
    run, attempts = probe_attempt(probe_spec(probe), retries=probe.retries)
    Probe.objects.filter(pk=probe.pk).update(
        next_due_at=started_at + datetime.timedelta(seconds=probe.interval_seconds)
    )
    return probe_record_result(probe=probe, run=run, started_at=started_at, attempts=attempts)


def probe_run_request(*, probe: Probe) -> None:
    """Queue one run of `probe` ("run now")."""
    enqueue("probes", PROBE_RUN_JOB, probe.pk)


# Incidents and notifications -------------------------------------------------------------------


def _clean_addresses(addresses) -> list[str]:
    return sorted({a.strip().lower() for a in addresses if a and a.strip()})


def integration_alert_recipients(integration: Integration) -> tuple[list[str], bool]:
    """(addresses, chosen): the integration's own recipients without the operators' team list;
    `chosen` is False while they are the defaults (contacts and the vendor's contact)."""
    chosen = AlertSettings.objects.filter(integration=integration).first()
    if chosen is not None:
        return _clean_addresses(chosen.emails), True
    addresses = list(integration.contacts.values_list("email", flat=True))
    if integration.vendor is not None and integration.vendor.contact_email:
        addresses.append(integration.vendor.contact_email)
    return _clean_addresses(addresses), False


@transaction.atomic
def alert_recipients_set(*, integration: Integration, emails: list[str], by) -> bool:
    """Choose exactly who is alerted for the integration; True when the list changed."""
    emails = _clean_addresses(emails)
    current, chosen = integration_alert_recipients(integration)
    if chosen and current == emails:
        return False
    AlertSettings.objects.update_or_create(
        integration=integration, defaults={"emails": emails, "updated_by": by}
    )
    return True


def incident_recipients(probe: Probe) -> list[str]:
    """The integration's alert recipients and the operators' team list."""
    addresses = list(settings.PMH_PROBE_ALERT_EMAILS)
    if probe.integration is not None:
        addresses += integration_alert_recipients(probe.integration)[0]
    return _clean_addresses(addresses)


def incident_notify(*, incident_id: int, event: str) -> bool:
    """Send the "down" or "up again" mail once; False when another worker already did."""
    field = "open_notified_at" if event == "opened" else "close_notified_at"
    claimed = ProbeIncident.objects.filter(pk=incident_id, **{f"{field}__isnull": True}).update(
        **{field: timezone.now()}
    )
    if not claimed:
        return False
    incident = ProbeIncident.objects.select_related(
        "probe__integration__municipality", "probe__integration__vendor", "probe__last_result"
    ).get(pk=incident_id)
    recipients = incident_recipients(incident.probe)
    if not recipients:
        return True
    name = "probe-down" if event == "opened" else "probe-up"
    with translation.override(settings.LANGUAGE_CODE):
        context = _mail_context(incident)
        subject = render_to_string(f"emails/{name}-subject.txt", context).strip()
        body = render_to_string(f"emails/{name}-body.txt", context)
    EmailMessage(" ".join(subject.split()), body, to=recipients).send()
    return True


def _mail_context(incident: ProbeIncident) -> dict:
    from connectivity.explain import ERROR_LABELS, explain

    probe = incident.probe
    result = probe.last_result
    return {
        "incident": incident,
        "probe": probe,
        "integration": probe.integration,
        "result": result,
        "error_label": ERROR_LABELS.get(incident.error_class, incident.error_class),
        "explanation": explain(incident.error_class, result.http_status if result else None),
        "duration_minutes": int(incident.duration().total_seconds() // 60),
    }


# Roll-ups and retention ------------------------------------------------------------------------


def _hour_floor(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)


def rollup_watermark() -> datetime.datetime | None:
    """End of the last rolled-up hour: runs before it are read from roll-ups, later ones raw."""
    last = ProbeRollup.objects.aggregate(last=Max("hour"))["last"]
    return last + datetime.timedelta(hours=1) if last else None


def results_rollup(*, now: datetime.datetime | None = None) -> int:
    """Roll every complete hour since the watermark into ProbeRollup; returns rows written."""
    now = now or timezone.now()
    until = _hour_floor(now - ROLLUP_GRACE)
    start = rollup_watermark()
    if start is None:
        oldest = ProbeResult.objects.order_by("started_at").values_list("started_at", flat=True)
        first = oldest.first()
        if first is None:
            return 0
        start = _hour_floor(first)
    start = max(start, _hour_floor(now - datetime.timedelta(days=RAW_SUCCESS_DAYS)))
    written = 0
    hour = start
    while hour < until:
        written += _rollup_hour(hour)
        hour += datetime.timedelta(hours=1)
    return written


@transaction.atomic
def _rollup_hour(hour: datetime.datetime) -> int:
    end = hour + datetime.timedelta(hours=1)
    counted = Q(suppressed="")
    rows = (
        ProbeResult.objects.filter(started_at__gte=hour, started_at__lt=end)
        .values("probe_id")
        .annotate(
            runs=Count("id", filter=counted),
            ok_runs=Count("id", filter=counted & Q(ok=True)),
            excluded_runs=Count("id", filter=~counted),
            avg_dns_ms=Avg("dns_ms"),
            avg_connect_ms=Avg("connect_ms"),
            avg_tls_ms=Avg("tls_ms"),
            avg_first_byte_ms=Avg("first_byte_ms"),
            avg_total_ms=Avg("total_ms"),
            max_total_ms=Max("total_ms"),
        )
        .order_by()
    )
    rollups = [ProbeRollup(hour=hour, **row) for row in rows]
    if not rollups:
        # An empty hour still moves the watermark, or it would be rolled up again forever.
        marker = Probe.objects.order_by("pk").first()
        if marker is None:
            return 0
        rollups = [ProbeRollup(hour=hour, probe=marker)]
    ProbeRollup.objects.bulk_create(
        rollups,
        update_conflicts=True,
        unique_fields=["probe", "hour"],
        update_fields=[
            "runs",
            "ok_runs",
            "excluded_runs",
            "avg_dns_ms",
            "avg_connect_ms",
            "avg_tls_ms",
            "avg_first_byte_ms",
            "avg_total_ms",
            "max_total_ms",
        ],
        batch_size=1000,
    )
    return len(rollups)


def results_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete raw runs past retention: successes after a few days, failures after a month.

    Only runs already rolled up are deleted, so a stopped roll-up job never loses history.
    """
    now = now or timezone.now()
    mark = rollup_watermark()
    if mark is None:
        return 0
    ok_cut = min(mark, now - datetime.timedelta(days=settings.PMH_PROBE_RAW_DAYS))
    fail_cut = min(mark, now - datetime.timedelta(days=RAW_FAILURE_DAYS))
    deleted = _delete_in_batches(ProbeResult.objects.filter(ok=True, started_at__lt=ok_cut))
    deleted += _delete_in_batches(ProbeResult.objects.filter(ok=False, started_at__lt=fail_cut))
    cut = now - datetime.timedelta(days=ROLLUP_DAYS)
    deleted += ProbeRollup.objects.filter(hour__lt=cut).delete()[0]
    ProbeSweep.objects.filter(
        started_at__lt=now - datetime.timedelta(days=RAW_FAILURE_DAYS)
    ).delete()
    return deleted


def _delete_in_batches(queryset, batch: int = 20_000) -> int:
    # Batches keep each DELETE short so that sweeps writing new runs are not held up.
    total = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        Probe.objects.filter(last_result_id__in=ids).update(last_result=None)
        total += ProbeResult.objects.filter(pk__in=ids).delete()[0]


def results_maintain() -> dict[str, int]:
    """The periodic retention job: roll up complete hours, then prune."""
    return {"rolled_up": results_rollup(), "deleted": results_prune()}


# Inbound check ---------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def inbound_check_issue(
    *,
    integration: Integration,
    by=None,
    now: datetime.datetime | None = None,
    ttl: datetime.timedelta = INBOUND_TTL,
) -> tuple[InboundCheck, str]:
    """A new one-time URL token; only its hash is stored, the token is shown once."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    check = InboundCheck.objects.create(
        integration=integration,
        token_hash=_token_hash(token),
        issued_by=by,
        issued_at=now,
        expires_at=now + ttl,
    )
    return check, token


class InboundTokenError(Exception):
    def __init__(self, reason: str, check: InboundCheck | None = None) -> None:
        super().__init__(reason)
        self.reason = reason  # "unknown", "used" or "expired"
        self.check = check


@transaction.atomic
def inbound_check_record(
    *,
    token: str,
    source_address: str | None,
    peer_address: str | None = None,
    tls_version: str = "unknown",
    via_proxy: bool = False,
    tls_used: bool | None = None,
    now: datetime.datetime | None = None,
) -> InboundCheck:
    """Record the municipality's call of a one-time URL; InboundTokenError when it can't count."""
    now = now or timezone.now()
    check = (
        InboundCheck.objects.select_related("integration")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    if check is None:
        raise InboundTokenError("unknown")
    if check.used_at is not None:
        raise InboundTokenError("used", check)
    if check.expires_at <= now:
        raise InboundTokenError("expired", check)
    passed, detail = _source_allowed(source_address, check.integration.source_ranges)
    claimed = InboundCheck.objects.filter(pk=check.pk, used_at__isnull=True).update(
        used_at=now,
        source_address=source_address,
        peer_address=peer_address,
        tls_version=tls_version or "unknown",
        tls_used=tls_used,
        via_proxy=via_proxy,
        passed=passed,
        detail=detail,
    )
    if not claimed:  # a second call raced this one and won
        raise InboundTokenError("used", check)
    check.refresh_from_db()
    return check


def _source_allowed(address: str | None, ranges: list[str]) -> tuple[bool, str]:
    if not address:
        return False, "source address unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False, f"source address {address!r} is not an IP address"
    for text in ranges or []:
        try:
            network = ipaddress.ip_network(str(text).strip(), strict=False)
        except ValueError:
            continue
        if ip.version == network.version and ip in network:
            return True, f"{ip} is in {network}"
    if not ranges:
        return False, "no source address range is registered"
    return False, f"{ip} is not in the registered ranges"


# Gate evidence (console.md §2) -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class NetworkEvidence:
    ok: bool
    reasons: list[str]
    notes: list[str] = dataclasses.field(default_factory=list)  # facts shown either way


def network_evidence(*, integration: Integration, now: datetime.datetime | None = None):
    """Whether the `network_ok` gate holds: the inbound check passed and every active outbound
    target of the integration's route succeeded, both within the last 7 days."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=EVIDENCE_DAYS)
    reasons: list[str] = []
    inbound = (
        InboundCheck.objects.filter(
            integration=integration, passed=True, used_at__gte=since, used_at__lte=now
        )
        .order_by("-used_at", "-pk")
        .first()
    )
    inbound_ok = inbound is not None
    notes = [inbound_tls_note(inbound)] if inbound is not None else []
    if not inbound_ok:
        reasons.append(_("The inbound check has not passed within the last 7 days."))
    route_label = integration.get_route_display() if integration.route else "—"
    targets = list(
        Probe.objects.filter(integration=integration, route=integration.route, paused=False)
        .order_by("name")
        .only("name", "last_ok_at")
    )
    if not integration.route or not targets:
        reasons.append(_("No outbound target is registered for this route."))
    for probe in targets:
        if probe.last_ok_at is None or not since <= probe.last_ok_at <= now:
            reasons.append(
                _(
                    "The outbound target “%(name)s” of route %(route)s has not succeeded "
                    "within the last 7 days."
                )
                % {"name": probe.name, "route": route_label}
            )
    return NetworkEvidence(ok=not reasons, reasons=reasons, notes=notes)


def inbound_tls_note(check: InboundCheck) -> str:
    """Whether the passed inbound check came over TLS, for the gate (issue 17.12)."""
    values = {
        "at": timezone.localtime(check.used_at).strftime("%Y-%m-%d %H:%M"),
        "address": check.source_address or "—",
        "version": check.tls_version,
    }
    if check.tls_used is None and check.tls_version not in ("", "none", "unknown"):
        used = True  # checks recorded before tls_used: a version means TLS
    else:
        used = check.tls_used
    if used and check.tls_version not in ("", "none", "unknown"):
        return (
            _("The inbound check of %(at)s from %(address)s came over TLS (%(version)s).") % values
        )
    if used:
        return (
            _("The inbound check of %(at)s from %(address)s came over TLS (version not known).")
            % values
        )
    if used is False:
        return (
            _(
                "The inbound check of %(at)s from %(address)s came WITHOUT TLS (plain HTTP): "
                "the municipality's network reached the console unencrypted."
            )
            % values
        )
    return (
        _(
            "The inbound check of %(at)s from %(address)s: whether it came over TLS is not known "
            "(the proxy did not say)."
        )
        % values
    )
