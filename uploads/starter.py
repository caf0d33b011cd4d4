"""What a vendor needs to start (issue 15.6): a sample file that passes the integration's rules
and the record layout as a table, both generated from the layout data, never written by hand.
"""

import csv
import io
from typing import Any

from django.utils.translation import gettext as _

from coderules.csvcell import csv_safe
from onboarding.models import DataMode, Integration
from uploads.lib.validation import samples
from uploads.lib.validation.layout import FieldSpec, Layout, load_layout

SAMPLE_RECORDS = 10
CERTIFICATE_ITEMS = 2


def place_of(integration: Integration) -> dict[str, str]:
    """The municipality's 都道府県番号, an 実施機関番号 of its own and its name for addresses."""
    municipality = integration.municipality
    return {
        "prefecture": municipality.code[:2],
        "agency": municipality.code[2:5],
        # Stored names reach a spreadsheet here: never a formula.
        "place": csv_safe(f"{municipality.prefecture}{municipality.city}"),
    }


def sample_records(
    integration: Integration, n: int = SAMPLE_RECORDS, *, seed: int | None = None, mode=None
) -> list[dict[str, Any]]:
    """``n`` made-up records valid for this integration (its prefecture and data mode)."""
    mode = mode or integration.data_mode or DataMode.FULL
    seed = int(integration.municipality.code) if seed is None else seed
    return samples.records(n, seed=seed, mode=mode, **place_of(integration))


# The general sample of the API documentation: 千代田区's numbers, full mode.
GENERAL_PLACE = {"prefecture": "13", "agency": "101", "place": "東京都千代田区"}


def _records_of(integration: Integration | None) -> list[dict[str, Any]]:
    if integration is None:
        return samples.records(SAMPLE_RECORDS, seed=131016, **GENERAL_PLACE)
    return sample_records(integration)


def sample_csv(integration: Integration | None) -> bytes:
    """CP932 with the Japanese headers, CRLF: what a municipal system exports for Excel."""
    records = _records_of(integration)
    text = "".join(samples.csv_text(records, aliases=True, items=CERTIFICATE_ITEMS))
    # A name outside CP932 (a 外字 typed into the registry) becomes "?", never an error page.
    return text.encode("cp932", errors="replace")


def sample_json(integration: Integration | None) -> bytes:
    return samples.json_bytes(_records_of(integration)) + b"\n"


def _rule(spec: FieldSpec) -> str:
    """The field's rule in words, from the layout data."""
    parts = []
    kind = {
        "alnum": _("half-width letters and digits"),
        "digits": _("half-width digits"),
        "text": _("text"),
        "multiline": _("text (line breaks allowed)"),
        "kana": _("full-width katakana (half-width kana is an error)"),
        "date": _("date (YYYY-MM-DD; in CSV also YYYYMMDD or YYYY/M/D)"),
        "boolean": _("true/false (in CSV 1/0)"),
        "integer": _("integer without thousands separators"),
        "conditions": _("ITEM-CODE pairs joined by ; (e.g. A01-1;B02-3)"),
    }.get(spec.kind)
    if spec.kind == "code":
        kind = " / ".join(f"{code} {name}" for code, name in spec.codes.items())
    if kind:
        parts.append(kind)
    if spec.length:
        parts.append(_("exactly %(n)d characters") % {"n": spec.length})
    elif spec.max_length:
        parts.append(
            _("%(lo)d to %(hi)d characters") % {"lo": spec.min_length or 0, "hi": spec.max_length}
        )
    if spec.min is not None and spec.max is not None:
        parts.append(_("%(lo)d to %(hi)d") % {"lo": spec.min, "hi": spec.max})
    if spec.check_digit:
        parts.append(_("with a valid check digit"))
    if spec.not_future:
        parts.append(_("not in the future"))
    if spec.true_forbidden_in:
        parts.append(_("true only in differential files"))
    return "、".join(parts)


def _required(required: str) -> str:
    return {
        "always": _("required"),
        "diff": _("required in differential files"),
    }.get(required, _("optional"))


def layout_rows(layout: Layout | None = None) -> list[list[str]]:
    """Header row, then one row per field: field, Japanese name, required, rule."""
    layout = layout or load_layout()
    rows = [[_("Field (JSON path)"), _("Japanese name (CSV header)"), _("Required"), _("Rule")]]
    for spec in layout.fields:
        rows.append([spec.path, spec.label, _required(spec.required), _rule(spec)])
    for item in layout.list.items:
        rows.append(
            [
                layout.list.item_field(1, item.path).replace("[1]", "[N]"),
                item.label.replace("{n}", "N"),
                _("optional"),
                _("%(rule)s; N = 1 to %(max)d (items printed on the certificate)")
                % {"rule": _rule(item), "max": layout.list.max_items},
            ]
        )
    return rows


def layout_csv() -> bytes:
    """UTF-8 with BOM so that Excel opens it."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(layout_rows())
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def layout_xlsx() -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Record layout")
    for row in layout_rows():
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCD", (40, 28, 18, 70), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
