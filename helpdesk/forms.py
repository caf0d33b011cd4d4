from django import forms
from django.utils.translation import gettext_lazy as _

from helpdesk.access import assignable_users
from helpdesk.models import ErrorItem, ReplyTemplate, State


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
