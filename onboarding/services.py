"""State changes of the onboarding registry: integrations, their choices and their stages."""

import ipaddress
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from onboarding import evidence, rules, stuck
from onboarding.importer import Rejected, read_file
from onboarding.models import (
    STAGE_ORDER,
    Integration,
    IntegrationContact,
    IntegrationEvent,
    Municipality,
    Stage,
    StuckDigestRun,
)

# Changing one of these after `decided` sends the integration back to `decided` (§2).
RESETTING_FIELDS = ("route", "test_access")
RECORDED_FIELDS = (
    *rules.CHOICE_FIELDS,
    "vendor",
    "business_system",
    "programs",
    "mynumber_check_warning",
    "insurer_check_warning",
    "insurer_check_programs",
    "review_policy",
    "go_live_date",
    "source_ranges",
)


class StageRefused(Exception):
    """A stage move whose gate does not hold; `reasons` say why, in Japanese."""

    def __init__(self, reasons: list[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


@dataclass(frozen=True)
class GateResult:
    ok: bool
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the gate left out, and why


def check_choices(integration: Integration) -> None:
    """Refuse values that break a rule of §1 (undecided choices are allowed until `decided`)."""
    problems = rules.choice_problems(rules.integration_values(integration))
    if problems:
        raise ValidationError(problems)


def next_dropbox_name(municipality: Municipality) -> str:
    """The municipality code for its first integration, `<code>-<n>` for further ones."""
    taken = set(
        Integration.all_objects.filter(dropbox_name__startswith=municipality.code).values_list(
            "dropbox_name", flat=True
        )
    )
    if municipality.code not in taken:
        return municipality.code
    n = 2
    while f"{municipality.code}-{n}" in taken:
        n += 1
    return f"{municipality.code}-{n}"


def _record(integration, *, kind, by, field_name="", old="", new="", reason="", at=None):
    IntegrationEvent.objects.create(
        integration=integration,
        kind=kind,
        field=field_name,
        old_value=old,
        new_value=new,
        reason=reason,
        by=by,
        at=at or timezone.now(),
    )


def _display(integration: Integration, name: str) -> str:
    value = getattr(integration, name)
    if name == "vendor":
        return str(value or "")
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, date):
        return value.isoformat()
    display = getattr(integration, f"get_{name}_display", None)
    return str(display()) if display and value else str(value if value is not None else "")


@transaction.atomic
def integration_create(
    *, by, contacts: list[str] = (), share_contacts: bool = False, **values
) -> Integration:
    integration = Integration(**values)
    if not integration.dropbox_name:
        integration.dropbox_name = next_dropbox_name(integration.municipality)
    integration.full_clean()
    check_choices(integration)
    integration.save()
    _set_contacts(integration, contacts, share=share_contacts)
    _record(
        integration,
        kind=IntegrationEvent.Kind.STAGE,
        by=by,
        new=Stage.REGISTERED,
        reason=_("Integration registered."),
    )
    return integration


@transaction.atomic
def integration_retire(*, integration: Integration, by, reason: str, now=None) -> None:
    """Take a mistaken or ended integration out of every list; its history stays."""
    if integration.retired_at is not None:
        return
    integration.retired_at = now or timezone.now()
    integration.retired_reason = reason
    integration.save(update_fields=["retired_at", "retired_reason", "updated_at"])
    _record(
        integration,
        kind=IntegrationEvent.Kind.RETIRED,
        by=by,
        reason=reason,
        at=integration.retired_at,
    )


@transaction.atomic
def integration_update(
    *,
    integration: Integration,
    by,
    values: dict,
    contacts: list[str] | None = None,
    share_contacts: bool = False,
) -> list[str]:
    """Apply changed fields, record each change, and send the integration back to `decided`
    when its route or test access changes after that stage. Returns the changed field names."""
    before = {name: _display(integration, name) for name in RECORDED_FIELDS}
    old_raw = {name: getattr(integration, name) for name in values}
    for name, value in values.items():
        setattr(integration, name, value)
    integration.full_clean()
    check_choices(integration)
    integration.save()
    changed = [n for n in values if getattr(integration, n) != old_raw[n]]
    for name in changed:
        if name in RECORDED_FIELDS:
            _record(
                integration,
                kind=IntegrationEvent.Kind.CHOICE,
                by=by,
                field_name=name,
                old=before[name],
                new=_display(integration, name),
            )
    if contacts is not None:
        _set_contacts(integration, contacts, by=by, share=share_contacts)
    past_decided = STAGE_ORDER.index(integration.stage) > STAGE_ORDER.index(Stage.DECIDED)
    if past_decided and any(name in RESETTING_FIELDS for name in changed):
        _move(
            integration,
            Stage.DECIDED,
            by=by,
            reason=_("The route or the test access changed: the network and tests start again."),
        )
    return changed


def contacts_of_other_vendors(integration: Integration, emails, vendor=...) -> dict[str, str]:
    """Of ``emails``, those already a contact of another vendor's integration: {email: vendor}.

    A contact address belongs to one vendor (issue 17.11): mail from it is taken as that
    vendor's. ``vendor`` is the integration's vendor as it will be saved (default: as it is)."""
    vendor_id = integration.vendor_id if vendor is ... else getattr(vendor, "pk", None)
    wanted = {e.strip().lower() for e in emails if e.strip()}
    taken = IntegrationContact.objects.filter(email__in=wanted).select_related(
        "integration__vendor"
    )
    if integration.pk:
        taken = taken.exclude(integration_id=integration.pk)
    found = {}
    for contact in taken.order_by("email", "pk"):
        other = contact.integration.vendor_id
        if vendor_id is None or other != vendor_id:
            found.setdefault(contact.email, str(contact.integration.vendor or contact.integration))
    return found


def contacts_taken_message(taken: dict[str, str]) -> str:
    return _(
        "%(emails)s: already a contact address of another vendor's integration. An address "
        "belongs to one vendor (mail from it is taken as that vendor's); ask the PMH operators "
        "if it really must be shared."
    ) % {"emails": ", ".join(sorted(taken))}


def _set_contacts(integration: Integration, emails, by=None, share: bool = False) -> None:
    wanted = {e.strip().lower() for e in emails if e.strip()}
    current = set(integration.contacts.values_list("email", flat=True))
    if wanted == current:
        return
    taken = contacts_of_other_vendors(integration, wanted - current)
    if taken and not share:
        raise ValidationError({"contacts": contacts_taken_message(taken)})
    integration.contacts.exclude(email__in=wanted).delete()
    IntegrationContact.objects.bulk_create(
        [IntegrationContact(integration=integration, email=e) for e in sorted(wanted - current)]
    )
    if by is not None:
        _record(
            integration,
            kind=IntegrationEvent.Kind.CHOICE,
            by=by,
            field_name="contacts",
            old=", ".join(sorted(current)),
            new=", ".join(sorted(wanted)),
        )
    if taken:
        # An operator shares an address with another vendor deliberately: said in the history.
        _record(
            integration,
            kind=IntegrationEvent.Kind.CHOICE,
            by=by,
            field_name="contacts_shared",
            new=", ".join(sorted(taken)),
            reason=_("Shared deliberately with: %(vendors)s")
            % {"vendors": ", ".join(sorted(set(taken.values())))},
        )


@transaction.atomic
def integration_update_contacts(
    *,
    integration: Integration,
    by,
    contacts: list[str],
    source_ranges: list[str],
    share_contacts: bool = False,
) -> None:
    """What a vendor may change (§5): contact addresses and source address ranges."""
    integration_update(
        integration=integration,
        by=by,
        values={"source_ranges": source_ranges},
        contacts=contacts,
        share_contacts=share_contacts,
    )


def parse_source_ranges(text: str) -> tuple[list[str], list[str]]:
    """Lines of CIDR or single addresses → (normalised ranges, Japanese errors)."""
    ranges, errors = [], []
    for n, line in enumerate(text.replace(",", "\n").splitlines(), start=1):
        item = line.strip()
        if not item:
            continue
        try:
            ranges.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            errors.append(
                _("Line %(line)d: “%(value)s” is not an address or a range like 192.0.2.0/24.")
                % {"line": n, "value": item}
            )
    return ranges, errors


# Stages and their gates (§2).


def gate(*, integration: Integration, to: str, now: datetime | None = None) -> GateResult:
    now = now or timezone.now()
    values = rules.integration_values(integration)
    if to == Stage.DECIDED:
        reasons = [
            _("%(field)s is not recorded yet.")
            % {"field": Integration._meta.get_field(f).verbose_name}
            for f in rules.missing_choices(values)
        ]
        for messages in rules.choice_problems(values).values():
            reasons.extend(messages)
        return GateResult(not reasons, reasons)
    if to == Stage.NETWORK_OK:
        if integration.skips_network_check:
            return GateResult(
                False, [_("This integration needs no network check: move it to testing.")]
            )
        return GateResult(*evidence.ask(evidence.NETWORK, integration=integration, now=now))
    if to == Stage.TESTING:
        return GateResult(True)
    if to == Stage.TEST_PASSED:
        return GateResult(*evidence.ask(evidence.TESTS, integration=integration, now=now))
    if to == Stage.READY:
        if integration.go_live_date is None:
            return GateResult(False, [_("Set the go-live date first.")])
        return GateResult(True)
    if to == Stage.LIVE:
        if integration.go_live_date is None or integration.go_live_date > timezone.localdate(now):
            return GateResult(False, [_("The go-live date has not come yet.")])
        return GateResult(True)
    return GateResult(False, [_("Unknown stage.")])


def forward_stage(integration: Integration) -> str | None:
    """The stage after the current one; `decided` goes straight to `testing` when the
    network check is skipped (route usb or test access offline)."""
    index = STAGE_ORDER.index(integration.stage)
    if index + 1 >= len(STAGE_ORDER):
        return None
    nxt = STAGE_ORDER[index + 1]
    if nxt == Stage.NETWORK_OK and integration.skips_network_check:
        return Stage.TESTING
    return nxt


def suggested_stage(integration: Integration, now: datetime | None = None) -> str | None:
    """The next stage when its gate already holds (live always needs an operator's word)."""
    nxt = forward_stage(integration)
    if nxt and nxt != Stage.LIVE and gate(integration=integration, to=nxt, now=now).ok:
        return nxt
    return None


@transaction.atomic
def integration_move(
    *, integration: Integration, to: str, by, reason: str = "", now: datetime | None = None
) -> Integration:
    # Lock the row and read its stage afresh: two operators may move it at the same moment.
    locked = Integration.objects.select_for_update().get(pk=integration.pk)
    integration.stage, integration.stage_changed_at = locked.stage, locked.stage_changed_at
    if to not in STAGE_ORDER:
        raise StageRefused([_("Unknown stage.")])
    current, target = STAGE_ORDER.index(integration.stage), STAGE_ORDER.index(to)
    if target == current:
        raise StageRefused([_("The integration is already in this stage.")])
    if target < current:
        if not reason.strip():
            raise StageRefused([_("Moving back needs a reason.")])
    else:
        if to != forward_stage(integration):
            raise StageRefused(
                [
                    _("Stages are passed one at a time: the next stage is %(stage)s.")
                    % {"stage": Stage(forward_stage(integration)).label}
                ]
            )
        result = gate(integration=integration, to=to, now=now)
        if not result.ok:
            raise StageRefused(result.reasons)
        # The move's record says what the gate left out (paused targets), beside the reason.
        reason = "\n".join(part for part in (reason.strip(), *result.notes) if part)
    _move(integration, to, by=by, reason=reason, now=now)
    return integration


def _move(integration: Integration, to: str, *, by, reason: str, now=None) -> None:
    now = now or timezone.now()
    _record(
        integration,
        kind=IntegrationEvent.Kind.STAGE,
        by=by,
        old=integration.stage,
        new=to,
        reason=reason,
        at=now,
    )
    integration.stage = to
    integration.stage_changed_at = now
    integration.save(update_fields=["stage", "stage_changed_at", "updated_at"])


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[str] = field(default_factory=list)
    # The valid rows as plain values: what a preview keeps until the operator confirms it.
    rows: list[dict] = field(default_factory=list)
    # A few of the rows that would be created or changed, for the preview.
    changes: list[dict] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return self.created + self.updated


_IMPORT_FIELDS = ("prefecture", "city", "prefecture_kana", "city_kana")
_PREVIEW_CHANGES = 50


def municipalities_import(*, data: bytes, dry_run: bool = False) -> ImportResult:
    """Create or update municipalities by code from an XLSX or CSV code list; rows with a bad
    code are rejected by line. `dry_run` only says what would change (the import preview).
    Raises importer.UnreadableFile for bytes that are neither."""
    rows, rejected = [], []
    for row in read_file(data):
        if isinstance(row, Rejected):
            rejected.append(row.message)
        else:
            rows.append(
                {"line": row.line, "code": row.code} | {k: getattr(row, k) for k in _IMPORT_FIELDS}
            )
    result = municipalities_import_rows(rows=rows, dry_run=dry_run)
    result.rejected = rejected
    return result


@transaction.atomic
def municipalities_import_rows(*, rows: list[dict], dry_run: bool = False) -> ImportResult:
    result = ImportResult(rows=rows)
    existing = {m.code: m for m in Municipality.objects.all()}
    to_create, to_update = [], []
    for row in rows:
        values = {name: row[name] for name in _IMPORT_FIELDS}
        current = existing.get(row["code"])
        if current is None:
            current = Municipality(code=row["code"], **values)
            existing[row["code"]] = current
            to_create.append(current)
            kind = "new"
        elif any(getattr(current, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(current, k, v)
            if current.pk:
                to_update.append(current)
            kind = "changed"
        else:
            if current.pk:
                result.unchanged += 1
            continue
        if len(result.changes) < _PREVIEW_CHANGES:
            result.changes.append(row | {"kind": kind})
    if not dry_run:
        Municipality.objects.bulk_create(to_create, batch_size=500)
        Municipality.objects.bulk_update(to_update, _IMPORT_FIELDS, batch_size=500)
    result.created, result.updated = len(to_create), len(to_update)
    return result


# Integrations listed in one digest; a vendor with more is told how many and where to see them.
DIGEST_LIMIT = 200


def stuck_recipients(integration: Integration) -> set[str]:
    """Who hears of a stuck integration: its vendor's contact address and its contacts."""
    emails = {c.email.lower() for c in integration.contacts.all()}
    if integration.vendor and integration.vendor.contact_email:
        emails.add(integration.vendor.contact_email.lower())
    return emails


def stuck_digest_send(*, now: datetime | None = None) -> StuckDigestRun | None:
    """Mail each recipient one digest of its integrations stuck past their stage's threshold,
    once a day (Asia/Tokyo); None when today's digest was already claimed."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            run = StuckDigestRun.objects.create(day=timezone.localdate(now), started_at=now)
    except IntegrityError:
        return None
    stuck_ones = (
        Integration.objects.filter(stuck.stuck_q(now))
        .select_related("municipality", "vendor")
        .prefetch_related("contacts")
        .order_by("stage_changed_at", "pk")
    )
    per_recipient: dict[str, list[Integration]] = {}
    for integration in stuck_ones.iterator(chunk_size=1000):
        integration.days_waiting = stuck.days_waiting(integration, now)
        for email in stuck_recipients(integration):
            per_recipient.setdefault(email, []).append(integration)
    messages = [_digest_message(email, items) for email, items in sorted(per_recipient.items())]
    get_connection().send_messages(messages)
    run.recipients = len(messages)
    run.integrations = len({i.pk for items in per_recipient.values() for i in items})
    run.save(update_fields=["recipients", "integrations"])
    return run


def _digest_message(email: str, items: list[Integration]) -> EmailMessage:
    context = {
        "items": items[:DIGEST_LIMIT],
        "count": len(items),
        "more": max(0, len(items) - DIGEST_LIMIT),
        "thresholds": stuck.thresholds(),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("emails/stuck-digest-subject.txt", context).strip()
        body = render_to_string("emails/stuck-digest-body.txt", context)
    return EmailMessage(" ".join(subject.split()), body, to=[email])
