import django_filters
from django.utils.translation import gettext_lazy as _

from console.filters import CheckedFilterSet, DayFilter
from console.models import AuditRecord
from uploads.selectors import day_bounds

DATE_INPUT = django_filters.widgets.forms.DateInput(attrs={"type": "date"})


class AuditRecordFilter(CheckedFilterSet):
    user = django_filters.CharFilter(
        label=_("User"), field_name="username", lookup_expr="icontains"
    )
    action = django_filters.ChoiceFilter(
        label=_("Action"), choices=AuditRecord.Action.choices, empty_label=_("All")
    )
    date_from = DayFilter(label=_("From"), method="filter_from", widget=DATE_INPUT)
    date_to = DayFilter(label=_("Until"), method="filter_to", widget=DATE_INPUT)

    class Meta:
        model = AuditRecord
        fields = ["user", "action"]

    # Whole Asia/Tokyo days turned into exact bounds, so the index on `at` serves the range.
    def filter_from(self, queryset, name, value):
        return queryset.filter(at__gte=day_bounds(value)[0])

    def filter_to(self, queryset, name, value):
        return queryset.filter(at__lt=day_bounds(value)[1])
