import django_filters
from django.utils.translation import gettext_lazy as _

from console.filters import CheckedFilterSet
from uploads.models import SubmissionIssue


class IssueFilter(CheckedFilterSet):
    code = django_filters.ChoiceFilter(label=_("Code"), empty_label=_("All codes"))
    severity = django_filters.ChoiceFilter(
        label=_("Severity"),
        empty_label=_("All"),
        choices=[("error", _("error")), ("warning", _("warning"))],
    )
    field = django_filters.CharFilter(label=_("Field"))

    class Meta:
        model = SubmissionIssue
        fields = ["code", "severity", "field"]

    def __init__(self, *args, codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["code"].extra["choices"] = [(c, c) for c in codes]
