from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.access import assignable_users
from helpdesk.models import BulkAction, ErrorItem, ReplyTemplate, State


class AssigneeField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_username()


class BulkAssignForm(forms.Form):
    items = forms.ModelMultipleChoiceField(queryset=ErrorItem.objects.all())
    assignee = AssigneeField(
        label=_("Assign to"),
        queryset=None,
        required=False,
        empty_label=_("Nobody"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()


def _after_now(value):
    if value is not None and value <= timezone.now():
        raise ValidationError(_("Choose a date and time in the future."))
    return value


def _snooze_field(**kwargs) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=_("Snooze until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        help_text=_("Out of the open queue until then; it comes back by itself."),
        **kwargs,
    )


class BulkForm(forms.Form):
    """One change for every selected item of the queue (issue 18.12)."""

    items = forms.ModelMultipleChoiceField(queryset=ErrorItem.objects.all(), required=False)
    # "Every item matching these filters", not only the ticked ones of this page: the server
    # runs the queue's filters again (`query` is the queue's query string), as Sentry does.
    all_matching = forms.BooleanField(required=False)
    query = forms.CharField(required=False, max_length=2000)
    action = forms.ChoiceField(label=_("Action"), choices=BulkAction.choices)
    state = forms.ChoiceField(label=_("New state"), choices=State.choices, required=False)
    assignee = AssigneeField(
        label=_("Assign to"), queryset=None, required=False, empty_label=_("Nobody")
    )
    until = _snooze_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()

    def clean_until(self):
        return _after_now(self.cleaned_data["until"])

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        if (
            not cleaned.get("all_matching")
            and not cleaned.get("items")
            and "items" not in self.errors
        ):
            self.add_error("items", _("Choose at least one item."))
        if action == "state" and not cleaned.get("state"):
            self.add_error("state", _("Choose the new state."))
        if action == "snooze" and not cleaned.get("until") and "until" not in self.errors:
            self.add_error("until", _("Choose until when to snooze."))
        return cleaned


class ItemUpdateForm(forms.Form):
    """State, assignee, snooze and a comment in one form on the item page (issue 18.12)."""

    state = forms.ChoiceField(label=_("State"), choices=State.choices)
    assignee = AssigneeField(
        label=_("Assignee"), queryset=None, required=False, empty_label=_("Nobody")
    )
    snooze_until = _snooze_field()
    comment = forms.CharField(
        label=_("Comment"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_users()

    def clean_snooze_until(self):
        return _after_now(self.cleaned_data["snooze_until"])


class StateForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=State.choices)


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReplyForm(forms.Form):
    template = forms.ModelChoiceField(
        label=_("Template"),
        queryset=ReplyTemplate.objects.all(),
        required=False,
        empty_label=_("(write freely)"),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(
        label=_("Body"), max_length=20000, widget=forms.Textarea(attrs={"rows": 14})
    )


class ReplyTemplateForm(forms.ModelForm):
    class Meta:
        model = ReplyTemplate
        fields = ["name", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16})}
        help_texts = {
            "body": _(
                "Placeholders: {municipality}, {integration}, {vendor}, {file_name}, "
                "{submission_id}, {received_at}, {issue_summary}, {code}."
            )
        }
