from django import forms
from django.utils.translation import gettext_lazy as _

from intake.models import MediaHandover
from uploads.forms import MultipleFileField, MultipleFileInput
from uploads.models import Mode


class HandoverForm(forms.ModelForm):
    class Meta:
        model = MediaHandover
        fields = ["brought_by", "received_at", "medium", "note"]
        widgets = {
            "received_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "note": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "brought_by": _("The person who handed the medium over, and their organisation."),
            "medium": _("What was handed over, e.g. USB memory with its label or serial number."),
        }


class MediaFilesForm(forms.Form):
    files = MultipleFileField(
        label=_("Files"),
        allow_empty_file=True,  # an empty file is received and reported (F_EMPTY), not refused
        widget=MultipleFileInput(attrs={"accept": ".csv,.json,.jsonl,.txt", "multiple": True}),
    )
    mode = forms.ChoiceField(
        label=_("Mode"),
        required=False,
        choices=[("", _("The integration's data mode"))] + list(Mode.choices),
    )
