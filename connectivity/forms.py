from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from connectivity.lib.probe import parse_resolver, parse_target, ssl_context
from connectivity.models import MaintenanceWindow, Probe
from onboarding.forms import ContactsField

TARGET_FIELDS = [
    "integration",
    "name",
    "kind",
    "url",
    "route",
    "expect_status",
    "expect_keyword",
    "interval_seconds",
    "timeout_seconds",
    "retries",
    "failure_threshold",
    "resolver",
    "ca_pem",
    "is_control",
    "paused",
]


# Fields that only some kinds use; every other field applies to all kinds (issue 18.13).
KIND_FIELDS = {
    "expect_status": ("http",),
    "expect_keyword": ("http",),
    "ca_pem": ("http", "tls"),
}


class TargetForm(forms.ModelForm):
    class Meta:
        model = Probe
        fields = TARGET_FIELDS
        widgets = {"ca_pem": forms.Textarea(attrs={"rows": 4, "spellcheck": "false"})}

    def __init__(self, *args, integrations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if integrations is not None:
            self.fields["integration"].queryset = integrations
        self.fields["interval_seconds"].min_value = 30
        self.fields["timeout_seconds"].min_value = 0.5

    def kind_rows(self) -> list[tuple]:
        """(bound field, the kinds it applies to as a space-separated string, or "")."""
        return [(f, " ".join(KIND_FIELDS.get(f.name, ()))) for f in self]

    def clean_interval_seconds(self):
        value = self.cleaned_data["interval_seconds"]
        if value < 30:
            raise ValidationError(_("The interval must be at least 30 seconds."))
        return value

    def clean_timeout_seconds(self):
        value = self.cleaned_data["timeout_seconds"]
        if not 0.5 <= value <= 60:
            raise ValidationError(_("The timeout must be between 0.5 and 60 seconds."))
        return value

    def clean_resolver(self):
        value = self.cleaned_data["resolver"].strip()
        if value:
            try:
                parse_resolver(value)
            except ValueError:
                raise ValidationError(
                    _("Enter the DNS server as an IP address, optionally with a port: %(value)s"),
                    params={"value": value},
                ) from None
        return value

    def clean_ca_pem(self):
        value = self.cleaned_data["ca_pem"].strip()
        if value:
            try:
                ssl_context(value)
            except ValueError:
                raise ValidationError(
                    _("No usable CA certificate in this text; paste PEM (BEGIN CERTIFICATE).")
                ) from None
        return value

    def clean(self):
        data = super().clean()
        url, kind = data.get("url"), data.get("kind")
        if url and kind:
            try:
                parse_target(url, kind)
            except ValueError as exc:
                self.add_error("url", _target_error(kind, str(exc)))
        if data.get("expect_keyword") and kind and kind != "http":
            self.add_error("expect_keyword", _("Only an http target can check a keyword."))
        if data.get("expect_status") and kind and kind != "http":
            self.add_error("expect_status", _("Only an http target can check a status."))
        if data.get("is_control") and data.get("integration"):
            self.add_error(
                "is_control", _("A control target belongs to PMH itself, not to an integration.")
            )
        return data


def _target_error(kind: str, detail: str) -> ValidationError:
    messages = {
        "http": _("An http target needs a URL starting with http:// or https://."),
        "tls": _("A tls target needs an https:// URL or host:port."),
        "tcp": _("A tcp target needs host:port or a URL."),
        "dns": _("A dns target needs a host name."),
    }
    return ValidationError(
        _("%(rule)s (%(detail)s)"), params={"rule": messages[kind], "detail": detail}
    )


class AlertRecipientsForm(forms.Form):
    emails = ContactsField(
        label=_("Alert recipients"),
        required=False,
        help_text=_(
            "One address a line. They get a mail when a target of this integration goes down "
            "and when it is up again; PMH's operators always get it too. Empty: PMH only."
        ),
    )


WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


class MaintenanceWindowForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("weekdays"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: every day."),
    )

    class Meta:
        model = MaintenanceWindow
        fields = [
            "name",
            "integration",
            "starts_at",
            "ends_at",
            "weekdays",
            "start_time",
            "end_time",
            "on_public_holidays",
            "on_new_year",
        ]
        widgets = {
            "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "ends_at": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "start_time": forms.TimeInput(attrs={"type": "time"}),
            "end_time": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if bool(starts) != bool(ends):
            raise ValidationError(_("A one-off window needs both its start and its end."))
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The end must be after the start."))
        if bool(data.get("start_time")) != bool(data.get("end_time")):
            raise ValidationError(_("A daily window needs both its start and its end time."))
        parts = (
            starts,
            data.get("start_time"),
            data.get("on_public_holidays"),
            data.get("on_new_year"),
        )
        if not any(parts):
            raise ValidationError(
                _("Choose when the window applies: a period, daily times, holidays or New Year.")
            )
        return data
