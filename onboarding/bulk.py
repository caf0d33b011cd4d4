"""Work on many integrations at once (issue 22.3): moves, vendor and choice changes over a
selection, and the bulk registration of integrations from a CSV or XLSX file.

Each change goes through the one-integration service (`integration_move`, `integration_update`,
`integration_create`), so every gate, rule and history record holds exactly as it does for a
single integration; the answer says which ones changed and, for the others, why not.
"""

import csv
import io
from dataclasses import dataclass, field

import openpyxl
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from onboarding import rules, services
from onboarding.importer import decode
from onboarding.models import (
    DataFormat,
    DataMode,
    Integration,
    Municipality,
    ReworkMethod,
    Route,
    TestAccess,
    Vendor,
    validate_insurer_number,
    validate_municipality_code,
)

# A selection larger than this is refused: narrow the filters (each item is checked one by one).
BULK_MAX = 2000


@dataclass
class Outcome:
    integration: Integration
    ok: bool
    reasons: list[str] = field(default_factory=list)


def _messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def integrations_bulk_move(*, integrations, to: str, by, reason: str = "") -> list[Outcome]:
    outcomes = []
    for integration in integrations:
        try:
            services.integration_move(integration=integration, to=to, by=by, reason=reason)
        except services.StageRefused as refused:
            outcomes.append(Outcome(integration, False, refused.reasons))
        else:
            outcomes.append(Outcome(integration, True))
    return outcomes


def integrations_bulk_update(*, integrations, values: dict, by) -> list[Outcome]:
    """Set the same values on each integration; one that breaks a rule is left unchanged."""
    outcomes = []
    for integration in integrations:
        try:
            with transaction.atomic():
                changed = services.integration_update(integration=integration, by=by, values=values)
        except ValidationError as exc:
            integration.refresh_from_db()
            outcomes.append(Outcome(integration, False, _messages(exc)))
        else:
            reasons = [] if changed else [_("Already had this value.")]
            outcomes.append(Outcome(integration, bool(changed), reasons))
    return outcomes


# Bulk registration ---------------------------------------------------------------------------

# Column names accepted in the header line: the Japanese ones of the template, or the field names.
COLUMNS = {
    "municipality_code": ("自治体コード", "municipality_code", "code"),
    "business_system": ("業務システム", "business_system"),
    "programs": ("公費負担者番号", "programs"),
    "vendor": ("ベンダー", "vendor"),
    "rework_method": ("改修方法", "rework_method"),
    "route": ("経路", "route"),
    "data_mode": ("連携方式", "data_mode"),
    "test_access": ("テスト環境", "test_access"),
    "data_format": ("形式", "data_format", "format"),
    "contacts": ("連絡先", "contacts"),
}
REQUIRED = ("municipality_code", "business_system", "vendor")
CHOICES = {
    "rework_method": ReworkMethod,
    "route": Route,
    "data_mode": DataMode,
    "test_access": TestAccess,
    "data_format": DataFormat,
}
MAX_ROWS = 5000


class RegistrationFileError(Exception):
    """The file as a whole cannot be read; the message is in Japanese."""


@dataclass
class PlannedRow:
    line: int
    values: dict
    contacts: list[str]
    status: str = "new"  # new, existing, error
    errors: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return (
            f"{self.values.get('municipality_code', '')} {self.values.get('business_system', '')}"
        )


def read_table(data: bytes, name: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of a CSV (UTF-8 or CP932) or an XLSX file's first sheet."""
    if name.lower().endswith(".xlsx"):
        try:
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
            raise RegistrationFileError(_("The file is not a readable XLSX workbook.")) from exc
        rows = []
        for n, row in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            rows.append((n, ["" if v is None else str(v).strip() for v in row]))
            if n > MAX_ROWS + 1:
                break
        return rows
    try:
        text = decode(data)
    except UnicodeDecodeError as exc:
        raise RegistrationFileError(_("The file is neither UTF-8 nor CP932 text.")) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return [(reader.line_num, [c.strip() for c in row]) for row in reader]
    except csv.Error as exc:
        message = _("The CSV file cannot be read: %(error)s") % {"error": exc}
        raise RegistrationFileError(message) from exc


def _header_index(header: list[str]) -> dict[str, int]:
    names = [h.strip().lower() for h in header]
    index = {}
    for key, aliases in COLUMNS.items():
        for alias in aliases:
            if alias.lower() in names:
                index[key] = names.index(alias.lower())
                break
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in index]
    if missing:
        raise RegistrationFileError(
            _("The header line lacks the columns %(missing)s.") % {"missing": "、".join(missing)}
        )
    return index


def _split(value: str) -> list[str]:
    return [v for v in value.replace(";", " ").replace(",", " ").replace("、", " ").split() if v]


def plan_registration(data: bytes, name: str) -> list[PlannedRow]:
    """Read and check every row; nothing is saved. Rows of integrations that exist already
    are marked `existing` (importing the same file again changes nothing)."""
    table = [(n, cells) for n, cells in read_table(data, name) if any(cells)]
    if not table:
        raise RegistrationFileError(_("The file is empty."))
    if len(table) > MAX_ROWS + 1:
        raise RegistrationFileError(
            _("The file has more than %(max)d rows: split it.") % {"max": MAX_ROWS}
        )
    index = _header_index(table[0][1])
    municipalities = {m.code: m for m in Municipality.objects.all()}
    vendors = {v.slug: v for v in Vendor.objects.all()}
    existing = set(
        Integration.objects.values_list("municipality__code", "vendor__slug", "business_system")
    )
    seen: set[tuple] = set()
    planned = []
    for line, cells in table[1:]:

        def cell(key, cells=cells):
            i = index.get(key)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        values = {k: cell(k) for k in COLUMNS if k != "contacts"}
        row = PlannedRow(line, values, _split(cell("contacts")))
        _check_row(row, municipalities, vendors)
        key = (row.values["municipality_code"], row.values["vendor"], row.values["business_system"])
        if not row.errors and key in seen:
            row.errors.append(_("The same integration appears twice in the file."))
        seen.add(key)
        if row.errors:
            row.status = "error"
        elif key in existing:
            row.status = "existing"
        planned.append(row)
    return planned


def _check_row(row: PlannedRow, municipalities: dict, vendors: dict) -> None:
    values, errors = row.values, row.errors
    code = values["municipality_code"]
    try:
        validate_municipality_code(code)
    except ValidationError as exc:
        errors.extend(_messages(exc))
    else:
        if code not in municipalities:
            errors.append(_("Municipality %(code)s is not registered.") % {"code": code})
    if not values["business_system"]:
        errors.append(_("The business system is missing."))
    elif len(values["business_system"]) > 100:
        errors.append(_("The business system name is longer than 100 characters."))
    if values["vendor"] not in vendors:
        errors.append(_("Vendor “%(vendor)s” is not registered.") % {"vendor": values["vendor"]})
    programs = _split(values["programs"])
    for number in programs:
        try:
            validate_insurer_number(number)
        except ValidationError as exc:
            errors.extend(_messages(exc))
    for name, choices in CHOICES.items():
        if values[name] and values[name] not in choices.values:
            label = Integration._meta.get_field(name).verbose_name
            errors.append(
                _("%(field)s “%(value)s” is not one of %(allowed)s.")
                % {"field": label, "value": values[name], "allowed": ", ".join(choices.values)}
            )
    for messages in rules.choice_problems({k: values[k] for k in CHOICES}).values():
        errors.extend(messages)
    values["programs"] = programs


@transaction.atomic
def integrations_register(*, planned: list[PlannedRow], by) -> list[Integration]:
    """Create the `new` rows of a checked plan, all or none; existing ones are left alone."""
    municipalities = {m.code: m for m in Municipality.objects.all()}
    vendors = {v.slug: v for v in Vendor.objects.all()}
    created = []
    for row in planned:
        if row.status != "new":
            continue
        values = dict(row.values)
        municipality = municipalities[values.pop("municipality_code")]
        vendor = vendors[values.pop("vendor")]
        if Integration.objects.filter(
            municipality=municipality, vendor=vendor, business_system=values["business_system"]
        ).exists():
            continue  # registered meanwhile: importing again changes nothing
        created.append(
            services.integration_create(
                by=by, municipality=municipality, vendor=vendor, contacts=row.contacts, **values
            )
        )
    return created
