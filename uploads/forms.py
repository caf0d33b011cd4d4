from django import forms
from django.utils.translation import gettext_lazy as _

from uploads.models import Mode


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple) and data:
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        if isinstance(data, list | tuple):
            data = None
        return [super().clean(data, initial)]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Files"),
        allow_empty_file=True,  # an empty file is received and reported (F_EMPTY), not refused
        widget=MultipleFileInput(
            attrs={"accept": ".csv,.json,.jsonl,.txt,.xlsx", "multiple": True}
        ),
    )
    mode = forms.ChoiceField(
        label=_("Mode"),
        required=False,
        choices=[("", _("The integration's data mode"))] + list(Mode.choices),
    )


class ReleaseForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment for the municipality (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
