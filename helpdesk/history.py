"""The upload history export: every column as text, results hidden while a vendor waits."""

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from uploads.models import Channel, Mode, Status, Verdict

EXPORT_HEADER = [
    "id",
    _("Received"),
    _("Municipality code"),
    _("Municipality"),
    _("Integration"),
    _("Vendor"),
    _("File"),
    _("Size"),
    "SHA-256",
    _("Channel"),
    _("Mode"),
    _("Status"),
    _("Verdict"),
    _("Records"),
    _("Valid records"),
    _("Errors"),
    _("Warnings"),
    _("Returned"),
]
_FIELDS = (
    "pk",
    "received_at",
    "integration__municipality__code",
    "integration__municipality__prefecture",
    "integration__municipality__city",
    "integration__business_system",
    "integration__vendor__name",
    "original_name",
    "size",
    "sha256",
    "channel",
    "mode",
    "status",
    "verdict",
    "rows",
    "valid_rows",
    "errors",
    "warnings",
    "returned_at",
)
# A duplicate's results are the first's (issue 18.4).
_RESULT_FIELDS = ("status", "verdict", "rows", "valid_rows", "errors", "warnings", "returned_at")
_SOURCE_FIELDS = ("duplicate_of_id", *(f"duplicate_of__{f}" for f in _RESULT_FIELDS))


def _label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else (value or "")


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def export_rows(submissions: QuerySet, *, show_results: bool) -> Iterator[list]:
    """Rows streamed in chunks of values, never whole model instances."""
    fields = (*_FIELDS, *_SOURCE_FIELDS)
    rows = submissions.order_by("-received_at", "-id").values_list(*fields)
    duplicate = str(_("duplicate"))
    for values in rows.iterator(chunk_size=2000):
        row = dict(zip(fields, values, strict=True))
        status = _label(Status, row["status"])
        if row["duplicate_of_id"]:
            status = f"{duplicate} #{row['duplicate_of_id']}"
            row.update({f: row[f"duplicate_of__{f}"] for f in _RESULT_FIELDS})
        hidden = not show_results and row["status"] == Status.REVIEW
        results = (
            ["", "", "", "", "", ""]
            if hidden
            else [
                _label(Verdict, row["verdict"]),
                row["rows"],
                row["valid_rows"],
                row["errors"],
                row["warnings"],
                _when(row["returned_at"]),
            ]
        )
        yield [
            row["pk"],
            _when(row["received_at"]),
            row["integration__municipality__code"],
            row["integration__municipality__city"] or row["integration__municipality__prefecture"],
            row["integration__business_system"],
            row["integration__vendor__name"] or "",
            row["original_name"],
            row["size"],
            row["sha256"],
            _label(Channel, row["channel"]),
            _label(Mode, row["mode"]),
            status,
            *results,
        ]
