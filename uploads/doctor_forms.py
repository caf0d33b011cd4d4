"""Forms of the 「レイアウト診断」 pages: the file to diagnose, the mapping editor, the JSON
import and the switch that validates submissions through the mapping."""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from uploads.lib.doctor.conversions import DATE_FORM_NAMES, table_key
from uploads.lib.doctor.mapping import SCHEMA
from uploads.lib.validation import Layout

# Conversions without parameters, in the order the editor applies them.
SIMPLE_OPS = ("excel_text", "trim", "halfwidth", "exponent", "integer", "kana")
SIMPLE_LABELS = {
    "excel_text": _("Remove Excel's text marks (=\"…\" and a leading ')"),
    "trim": _("Remove spaces before and after"),
    "halfwidth": _("Full-width letters and digits to half-width"),
    "exponent": _("Repair numbers in exponent form (1.23456789018E+11)"),
    "integer": _("Remove commas and 円 from amounts"),
    "kana": _("Half-width kana and hiragana to full-width katakana"),
}
ORDER = ("excel_text", "trim", "halfwidth", "remove", "exponent", "integer", "kana", "date")
ORDER += ("map", "pad")
_TABLE_KINDS = ("code", "boolean")
_PAD_KINDS = ("digits", "alnum")


class DiagnoseForm(forms.Form):
    file = forms.FileField(
        label=_("Export file (CSV in UTF-8 or Shift_JIS, or Excel .xlsx)"),
        allow_empty_file=True,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx"}),
    )


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Mapping file (JSON)"), widget=forms.ClearableFileInput(attrs={"accept": ".json"})
    )


class UseForm(forms.Form):
    use = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1", widget=forms.HiddenInput
    )


def _table_text(table: dict[str, str]) -> str:
    return "\n".join(f"{k}={v}" for k, v in table.items())


class MappingForm(forms.Form):
    """One row of inputs per field of the layout: a column or a fixed value, and conversions.

    ``base`` is the document the editor starts from (the saved version or the diagnosis's
    proposal); what the form does not edit (券面項目, the sheet) is carried over from it.
    """

    base_version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    diagnosis = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, layout: Layout, columns: list[str], base: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.layout, self.base = layout, base
        self.rows: list[dict[str, Any]] = []
        column_choices = [("", _("(not assigned)"))] + [(c, c) for c in columns]
        entries = base.get("fields", {})
        for i, spec in enumerate(layout.fields):
            prefix = f"f{i}"
            entry = entries.get(spec.path, {})
            ops = {c["op"]: c for c in entry.get("conversions", [])}
            names = {
                "column": forms.ChoiceField(
                    label=_("Source column"), choices=column_choices, required=False
                ),
                "value": forms.CharField(label=_("Fixed value"), required=False, max_length=1000),
                "simple": forms.MultipleChoiceField(
                    label=_("Conversions"),
                    choices=list(SIMPLE_LABELS.items()),
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                ),
                "remove": forms.CharField(
                    label=_("Characters to remove"), required=False, max_length=20, strip=False
                ),
            }
            initial = {
                "column": entry.get("column", ""),
                "value": entry.get("value", ""),
                "simple": [op for op in SIMPLE_OPS if op in ops],
                "remove": ops.get("remove", {}).get("chars", ""),
            }
            if spec.kind == "date":
                names["dates"] = forms.MultipleChoiceField(
                    label=_("Date forms in the export"),
                    choices=list(DATE_FORM_NAMES.items()),
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )
                initial["dates"] = ops.get("date", {}).get("forms", [])
            if spec.kind in _TABLE_KINDS or "map" in ops:
                names["table"] = forms.CharField(
                    label=_("Value table (one “export value=PMH value” a line)"),
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 3}),
                    max_length=4000,
                    strip=False,
                )
                names["keep"] = forms.BooleanField(
                    label=_("Keep values not in the table as they are"), required=False
                )
                initial["table"] = _table_text(ops.get("map", {}).get("table", {}))
                initial["keep"] = ops.get("map", {}).get("other") == "keep"
            if spec.kind in _PAD_KINDS or "pad" in ops:
                names["pad"] = forms.IntegerField(
                    label=_("Pad with leading zeros to this many digits"),
                    required=False,
                    min_value=1,
                    max_value=30,
                )
                initial["pad"] = ops.get("pad", {}).get("width")
            row = {"spec": spec, "prefix": prefix, "joined": entry.get("columns")}
            for name, field in names.items():
                key = f"{prefix}-{name}"
                field.initial = initial.get(name)
                self.fields[key] = field
                row[name] = key
            self.rows.append(row)

    def bound_rows(self) -> list[dict[str, Any]]:
        """Each field's row with its bound fields, for the template."""
        result = []
        for row in self.rows:
            bound = {k: self[v] for k, v in row.items() if k not in ("spec", "prefix", "joined")}
            result.append(
                {"spec": row["spec"], "prefix": row["prefix"], "joined": row["joined"], **bound}
            )
        return result

    def clean(self):
        cleaned = super().clean()
        for row in self.rows:
            if cleaned.get(row["column"]) and cleaned.get(row["value"]):
                self.add_error(row["value"], _("Choose a column or a fixed value, not both."))
            if "table" in row:
                try:
                    _parse_table(cleaned.get(row["table"]) or "")
                except ValueError as exc:
                    self.add_error(row["table"], str(exc))
        return cleaned

    def document(self) -> dict[str, Any]:
        """The mapping document the form describes (check it with ``check_mapping``)."""
        data = self.cleaned_data
        doc = copy.deepcopy(self.base) if self.base else {}
        doc["schema"] = SCHEMA
        doc.setdefault("layout", self.layout.id)
        doc.setdefault("source", {"sheet": None})
        fields = {
            path: entry
            for path, entry in (doc.get("fields") or {}).items()
            if path not in self.layout.by_path  # 券面項目 entries are kept as they are
        }
        for row in self.rows:
            path = row["spec"].path
            column = data.get(row["column"]) or ""
            value = data.get(row["value"]) or ""
            if value:
                fields[path] = {"value": value}
                continue
            if not column:
                joined = (self.base.get("fields") or {}).get(path, {})
                if "columns" in joined:  # joined columns (from JSON) are kept as they are
                    fields[path] = joined
                continue
            conversions = _conversions(data, row)
            fields[path] = {"column": column, "conversions": conversions}
        ordered = {p: fields[p] for p in self.layout.by_path if p in fields}
        ordered.update({p: e for p, e in fields.items() if p not in ordered})
        doc["fields"] = ordered
        return doc


def _conversions(data: dict, row: dict) -> list[dict]:
    found: dict[str, dict] = {op: {"op": op} for op in data.get(row["simple"]) or []}
    if "kana" in found:
        found["kana"] = {"op": "kana", "hiragana": True, "space": True}
    chars = data.get(row["remove"]) or ""
    if chars:
        found["remove"] = {"op": "remove", "chars": chars}
    if "dates" in row and data.get(row["dates"]):
        found["date"] = {"op": "date", "forms": list(data[row["dates"]])}
    if "table" in row:
        table = _parse_table(data.get(row["table"]) or "")
        if table:
            found["map"] = {"op": "map", "table": table}
            if data.get(row["keep"]):
                found["map"]["other"] = "keep"
    if "pad" in row and data.get(row["pad"]):
        found["pad"] = {"op": "pad", "width": data[row["pad"]]}
    return [found[op] for op in ORDER if op in found]


def _parse_table(text: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if "=" not in line:
            raise ValueError(
                _("Line %(n)d of the value table has no “=” (write “男=1”).") % {"n": n}
            )
        key, value = line.split("=", 1)
        key, value = key.strip(), value.strip()
        if table_key(key) in {table_key(k) for k in table}:
            raise ValueError(
                _("Line %(n)d of the value table repeats the value “%(key)s”.")
                % {"n": n, "key": key}
            )
        table[key] = value
    if len(table) > 200:
        raise ValueError(_("A value table holds at most 200 pairs."))
    return table
