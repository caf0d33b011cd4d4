from ipaddress import ip_network

import jaconv
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from console.access import Role
from onboarding import rules
from onboarding.models import (
    STAGE_ORDER,
    Integration,
    Municipality,
    Stage,
    User,
    Vendor,
    validate_insurer_number,
)
from onboarding.people import INVITABLE, ROLE_LABELS
from onboarding.services import (
    RESETTING_FIELDS,
    contacts_of_other_vendors,
    contacts_taken_message,
    parse_source_ranges,
)


def _lines(text: str) -> list[str]:
    return [item.strip() for item in text.replace(",", "\n").splitlines() if item.strip()]


class ContactsField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3})

    def clean(self, value):
        emails = _lines(super().clean(value) or "")
        errors = []
        for email in emails:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(_("“%(value)s” is not an e-mail address.") % {"value": email})
        if errors:
            raise ValidationError(errors)
        return emails


class RangesField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3})

    def clean(self, value):
        ranges, errors = parse_source_ranges(super().clean(value) or "")
        if errors:
            raise ValidationError(errors)
        return ranges


class ProgramsField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 2})

    def clean(self, value):
        numbers = _lines(super().clean(value) or "")
        errors = []
        for number in numbers:
            try:
                validate_insurer_number(number)
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return list(dict.fromkeys(numbers))


class CheckProgramsField(forms.CharField):
    """法別番号 (2 digits) or 公費負担者番号 (8 digits) whose check digits are only warnings."""

    widget = forms.Textarea(attrs={"rows": 2})

    def clean(self, value):
        items = _lines(super().clean(value) or "")
        errors = [
            _("“%(value)s” is neither a 2-digit 法別番号 nor an 8-digit 公費負担者番号.")
            % {"value": item}
            for item in items
            if not (len(item) in (2, 8) and item.isascii() and item.isdigit())
        ]
        if errors:
            raise ValidationError(errors)
        return list(dict.fromkeys(items))


class ChoicesMixin:
    """Shows the consistency rules of §1 on the field that breaks one."""

    def clean(self):
        cleaned = super().clean()
        values = {f: cleaned.get(f) or "" for f in rules.CHOICE_FIELDS}
        for field, messages in rules.choice_problems(values).items():
            for message in messages:
                self.add_error(field, message)
        return cleaned


class IntegrationForm(ChoicesMixin, forms.ModelForm):
    municipality_code = forms.CharField(
        label=_("Local government code"),
        max_length=6,
        help_text=_("6 digits with the check digit, e.g. 131016."),
    )
    programs = ProgramsField(
        label=_("Public expense payer numbers"),
        required=False,
        help_text=_("One 8-digit 公費負担者番号 per line."),
    )
    contacts = ContactsField(
        label=_("Contact e-mail addresses"),
        required=False,
        help_text=_("One per line. Mail intake accepts files only from these addresses."),
    )
    source_ranges = RangesField(
        label=_("Source address ranges"),
        required=False,
        help_text=_("One per line, e.g. 192.0.2.0/24. Used by the inbound reachability check."),
    )
    insurer_check_programs = CheckProgramsField(
        label=_("Only for these programs"),
        required=False,
        help_text=_(
            "One 2-digit 法別番号 or 8-digit 公費負担者番号 per line; empty: every program."
        ),
    )

    share_contacts = forms.BooleanField(
        label=_("Share these addresses with another vendor deliberately"),
        required=False,
        help_text=_(
            "Only when an address is already another vendor's contact: the sharing is recorded "
            "in the integration's history."
        ),
    )

    confirm_stage_back = forms.BooleanField(
        label=_("I understand: the integration goes back to “decided”"),
        required=False,
    )

    class Meta:
        model = Integration
        fields = [
            "vendor",
            "business_system",
            "rework_method",
            "route",
            "data_mode",
            "test_access",
            "data_format",
            "dropbox_name",
            "mynumber_check_warning",
            "insurer_check_warning",
            "review_policy",
            "go_live_date",
        ]
        widgets = {
            "rework_method": forms.RadioSelect,
            "route": forms.RadioSelect,
            "data_mode": forms.RadioSelect,
            "test_access": forms.RadioSelect,
            "data_format": forms.RadioSelect,
            "go_live_date": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dropbox_name"].required = False
        self.fields["dropbox_name"].help_text = _(
            "Leave empty for the default: the municipality code, or <code>-<n>."
        )
        for name in rules.CHOICE_FIELDS:
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0] != ""]
            self.fields[name].required = False
        instance = self.instance
        if instance.pk:
            self.fields["municipality_code"].initial = instance.municipality.code
            self.fields["municipality_code"].disabled = True
            self.fields["programs"].initial = "\n".join(instance.programs)
            self.fields["contacts"].initial = "\n".join(
                instance.contacts.values_list("email", flat=True)
            )
            self.fields["source_ranges"].initial = "\n".join(instance.source_ranges)
            self.fields["insurer_check_programs"].initial = "\n".join(
                instance.insurer_check_programs
            )

    @property
    def stage_back_possible(self) -> bool:
        """Saving a changed route or test access would send the stage back to `decided`."""
        instance = self.instance
        return bool(instance.pk) and STAGE_ORDER.index(instance.stage) > STAGE_ORDER.index(
            Stage.DECIDED
        )

    def clean(self):
        cleaned = super().clean()
        vendor = cleaned.get("vendor") if "vendor" in cleaned else self.instance.vendor
        _check_shared_contacts(self, self.instance, cleaned, vendor=vendor, operator=True)
        if not self.stage_back_possible:
            return cleaned
        changed = [
            name
            for name in RESETTING_FIELDS
            if name in cleaned and (cleaned[name] or "") != getattr(self.instance, name)
        ]
        if changed and not cleaned.get("confirm_stage_back"):
            self.add_error(
                "confirm_stage_back",
                _(
                    "Changing the route or the test access sends the stage from “%(stage)s” "
                    "back to “decided”: the network check and the tests start again. "
                    "Tick the box to save anyway."
                )
                % {"stage": self.instance.get_stage_display()},
            )
        return cleaned

    def clean_municipality_code(self):
        code = self.cleaned_data["municipality_code"].strip()
        try:
            return Municipality.objects.get(code=code)
        except Municipality.DoesNotExist:
            raise ValidationError(
                _("No municipality with code %(code)s is registered.") % {"code": code}
            ) from None

    def service_values(self) -> dict:
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        for name in rules.CHOICE_FIELDS:
            values[name] = values[name] or ""
        values["programs"] = self.cleaned_data["programs"]
        values["source_ranges"] = self.cleaned_data["source_ranges"]
        values["insurer_check_programs"] = self.cleaned_data["insurer_check_programs"]
        if not values["dropbox_name"]:
            values.pop("dropbox_name")
        return values

    def _post_clean(self):
        # The model is saved by the service; the default dropbox name is chosen there.
        pass


class VendorContactsForm(forms.Form):
    """What a vendor may edit on its own integrations (console.md §5). A vendor cannot record
    a range wider than the settings' limits (``0.0.0.0/0`` would pass any inbound check):
    that needs an operator (issue 17.12)."""

    contacts = ContactsField(label=_("Contact e-mail addresses"), required=False)
    source_ranges = RangesField(label=_("Source address ranges"), required=False)
    share_contacts = IntegrationForm.base_fields["share_contacts"]

    def __init__(self, *args, operator: bool = False, integration=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.operator = operator
        self.integration = integration
        if not operator:
            del self.fields["share_contacts"]  # only an operator shares an address (17.11)

    def clean(self):
        cleaned = super().clean()
        if self.integration is not None:
            _check_shared_contacts(
                self, self.integration, cleaned, vendor=..., operator=self.operator
            )
        return cleaned

    def clean_source_ranges(self):
        ranges = self.cleaned_data["source_ranges"]
        if self.operator:
            return ranges
        limits = {4: settings.PMH_VENDOR_RANGE_PREFIX_V4, 6: settings.PMH_VENDOR_RANGE_PREFIX_V6}
        wide = [r for r in ranges if ip_network(r).prefixlen < limits[ip_network(r).version]]
        if wide:
            raise ValidationError(
                _(
                    "%(ranges)s: a range wider than /%(v4)s (IPv4) or /%(v6)s (IPv6) "
                    "can only be recorded by a PMH operator."
                )
                % {"ranges": ", ".join(wide), "v4": limits[4], "v6": limits[6]}
            )
        return ranges


def _check_shared_contacts(form, integration, cleaned, *, vendor, operator: bool) -> None:
    """A contact address belongs to one vendor; an operator may share one deliberately."""
    emails = cleaned.get("contacts")
    if not emails:
        return
    current = set(integration.contacts.values_list("email", flat=True)) if integration.pk else set()
    added = [e for e in emails if e.strip().lower() not in current]
    taken = contacts_of_other_vendors(integration, added, vendor=vendor)
    if not taken or (operator and cleaned.get("share_contacts")):
        return
    message = contacts_taken_message(taken)
    if operator:
        message = _(
            "%(emails)s: already a contact address of another vendor's integration "
            "(%(vendors)s). Tick “Share these addresses with another vendor deliberately” to "
            "share it."
        ) % {"emails": ", ".join(sorted(taken)), "vendors": ", ".join(sorted(set(taken.values())))}
    form.add_error("contacts", message)


class StageMoveForm(forms.Form):
    to = forms.ChoiceField(label=_("Move to"), choices=Stage.choices)
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )

    def __init__(self, *args, integration: Integration, **kwargs):
        super().__init__(*args, **kwargs)
        self.integration = integration

    def clean(self):
        cleaned = super().clean()
        to = cleaned.get("to")
        if to and STAGE_ORDER.index(to) < STAGE_ORDER.index(self.integration.stage):
            if not (cleaned.get("reason") or "").strip():
                self.add_error("reason", _("Moving back needs a reason."))
        return cleaned


class VendorForm(forms.ModelForm):
    class Meta:
        model = Vendor
        fields = ["name", "slug", "contact_name", "contact_email", "phone", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class MunicipalityImportForm(forms.Form):
    file = forms.FileField(
        label=_("Code list (XLSX or CSV)"),
        help_text=_(
            "The ministry's XLSX as published (団体コード, 都道府県名（漢字）, "
            "市区町村名（漢字）, …) or CSV with those columns or "
            "code,prefecture,city,prefecture_kana,city_kana (UTF-8 or CP932)."
        ),
    )


class MunicipalityForm(forms.ModelForm):
    class Meta:
        model = Municipality
        fields = ["code", "prefecture", "city", "prefecture_kana", "city_kana"]

    def clean_code(self):
        return self.cleaned_data["code"].strip()

    def clean_prefecture_kana(self):
        return jaconv.h2z(
            self.cleaned_data["prefecture_kana"].strip(), kana=True, ascii=False, digit=False
        )

    def clean_city_kana(self):
        return jaconv.h2z(
            self.cleaned_data["city_kana"].strip(), kana=True, ascii=False, digit=False
        )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        help_text=_("Where the token is used, e.g. “batch uploader, Chiyoda”."),
    )


def _clean_new_username(value: str) -> str:
    username = value.strip()
    User.username_validator(username)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(_("The user name %(name)s is taken."), params={"name": username})
    return username


class MunicipalUserInviteForm(forms.Form):
    username = forms.CharField(label=_("user name"), max_length=150)
    email = forms.EmailField(label=_("e-mail"))

    def clean_username(self):
        return _clean_new_username(self.cleaned_data["username"])


class UserInviteForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(role.value, label) for role, label in ROLE_LABELS.items() if role in INVITABLE],
        widget=forms.RadioSelect,
    )
    username = forms.CharField(label=_("user name"), max_length=150)
    email = forms.EmailField(label=_("e-mail"))
    vendor = forms.ModelChoiceField(
        label=_("vendor"),
        queryset=Vendor.objects.all(),
        required=False,
        help_text=_("For vendor staff: they see only this vendor's integrations."),
    )
    municipality_code = forms.CharField(
        label=_("local government code"),
        max_length=6,
        required=False,
        help_text=_("For municipal staff: the 6-digit code of their municipality."),
    )

    def clean_username(self):
        return _clean_new_username(self.cleaned_data["username"])

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        if role == Role.VENDOR and not cleaned.get("vendor"):
            self.add_error("vendor", _("Choose the vendor of this user."))
        cleaned["municipality"] = None
        if role == Role.MUNICIPALITY:
            code = (cleaned.get("municipality_code") or "").strip()
            cleaned["municipality"] = Municipality.objects.filter(code=code).first()
            if cleaned["municipality"] is None:
                self.add_error(
                    "municipality_code",
                    _("No municipality has the code “%(code)s”.") % {"code": code},
                )
        return cleaned


def _choice_options():
    groups = []
    for name in rules.CHOICE_FIELDS:
        model_field = Integration._meta.get_field(name)
        groups.append(
            (
                model_field.verbose_name,
                [(f"{name}:{value}", label) for value, label in model_field.choices],
            )
        )
    return groups


class IdListField(forms.Field):
    """The ids of the ticked rows (checkboxes named `pk`)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        ids = []
        for item in value or []:
            text = str(item)
            if not (text.isascii() and text.isdigit() and len(text) <= 18):
                raise ValidationError(_("The selection is not valid."))
            ids.append(int(text))
        return ids


class BulkActionForm(forms.Form):
    """One action over the selected integrations, or over every one the filters match."""

    ACTIONS = [
        ("move", _("Move to a stage")),
        ("vendor", _("Set the vendor")),
        ("choice", _("Set a choice")),
        ("export", _("Export CSV")),
    ]
    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    all_matching = forms.BooleanField(label=_("All matching the filters"), required=False)
    query = forms.CharField(required=False, widget=forms.HiddenInput, max_length=4000)
    pk = IdListField(required=False)
    to = forms.ChoiceField(
        label=_("Move to"), choices=[("", "---------"), *Stage.choices], required=False
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)
    vendor = forms.ModelChoiceField(
        label=_("Vendor"), queryset=Vendor.objects.all(), to_field_name="slug", required=False
    )
    choice = forms.ChoiceField(label=_("Choice"), choices=(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = [("", "---------"), *_choice_options()]

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        needs = {"move": "to", "vendor": "vendor", "choice": "choice"}.get(action)
        if needs and not cleaned.get(needs):
            self.add_error(needs, _("Choose what to set for this action."))
        if not cleaned.get("all_matching") and not cleaned.get("pk"):
            raise ValidationError(_("Select integrations first, or all matching the filters."))
        return cleaned

    def values(self) -> dict:
        if self.cleaned_data["action"] == "vendor":
            return {"vendor": self.cleaned_data["vendor"]}
        name, value = self.cleaned_data["choice"].split(":", 1)
        return {name: value}


class RegistrationImportForm(forms.Form):
    file = forms.FileField(
        label=_("Integrations (CSV or XLSX)"),
        help_text=_(
            "Columns 自治体コード, 業務システム, 公費負担者番号, ベンダー (slug), 改修方法, "
            "経路, 連携方式, テスト環境, 形式, 連絡先; CSV in UTF-8 or CP932, or the first "
            "sheet of an XLSX."
        ),
    )

    MAX_BYTES = 5 * 1024 * 1024

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_BYTES:
            raise ValidationError(_("The file is larger than 5 MB: split it."))
        if not upload.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise ValidationError(_("Send a .csv or .xlsx file."))
        return upload
