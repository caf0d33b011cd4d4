import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from console.filters import CheckedFilterSet, DayFilter, IdFilter
from helpdesk.models import CLOSED_STATES, ErrorItem, Kind, State
from onboarding.models import Vendor
from uploads.models import Channel, Mode, Status, Submission
from uploads.selectors import day_bounds

OPEN = "open"
SNOOZED = "snoozed"


class ErrorItemFilter(CheckedFilterSet):
    state = django_filters.ChoiceFilter(
        label=_("State"),
        empty_label=_("All"),
        choices=[(OPEN, _("Open (not resolved)")), (SNOOZED, _("Snoozed")), *State.choices],
        method="filter_state",
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Kind.choices, empty_label=_("All"))
    channel = django_filters.ChoiceFilter(
        label=_("Channel"), choices=Channel.choices, empty_label=_("All")
    )
    # A choice, not a yes/no/unknown select: its default reads "everyone's" (issue 18.7).
    mine = django_filters.ChoiceFilter(
        label=_("Assigned to me"),
        method="filter_mine",
        choices=[("true", _("Only items assigned to me"))],
        empty_label=_("Everyone's items"),
    )
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")

    class Meta:
        model = ErrorItem
        fields = ["state", "kind", "channel"]

    def __init__(self, data=None, *args, user=None, **kwargs):
        if data is not None and "state" not in data:
            data = data.copy()
            data["state"] = OPEN
        self.user = user
        super().__init__(data, *args, **kwargs)

    def filter_state(self, queryset, name, value):
        now = timezone.now()
        if value == OPEN:
            return queryset.exclude(state__in=CLOSED_STATES).exclude(snoozed_until__gt=now)
        if value == SNOOZED:
            return queryset.filter(snoozed_until__gt=now).exclude(state__in=CLOSED_STATES)
        return queryset.filter(state=value)

    def filter_mine(self, queryset, name, value):
        if value and self.user is not None:
            return queryset.filter(assignee=self.user)
        return queryset

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(code__icontains=value)
            | Q(title__icontains=value)
            | Q(integration__municipality__code=value)
        )


class SubmissionFilter(CheckedFilterSet):
    municipality = django_filters.CharFilter(
        label=_("Municipality (code or name)"), method="filter_municipality"
    )
    vendor = django_filters.ModelChoiceFilter(
        label=_("Vendor"),
        field_name="integration__vendor",
        queryset=Vendor.objects.none(),
        empty_label=_("All"),
    )
    integration = IdFilter(
        label=_("Integration"),
        field_name="integration_id",
        widget=django_filters.widgets.forms.HiddenInput,
    )
    channel = django_filters.ChoiceFilter(
        label=_("Channel"), choices=Channel.choices, empty_label=_("All")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Status.choices, empty_label=_("All")
    )
    mode = django_filters.ChoiceFilter(label=_("Mode"), choices=Mode.choices, empty_label=_("All"))
    received_from = DayFilter(
        label=_("Received from"),
        method="filter_from",
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )
    received_to = DayFilter(
        label=_("Received until"),
        method="filter_to",
        widget=django_filters.widgets.forms.DateInput(attrs={"type": "date"}),
    )
    q = django_filters.CharFilter(label=_("File name or SHA-256"), method="filter_q")

    class Meta:
        model = Submission
        fields = ["municipality", "vendor", "channel", "status", "mode"]

    def __init__(self, *args, vendors=None, **kwargs):
        super().__init__(*args, **kwargs)
        if vendors is not None:
            self.filters["vendor"].queryset = vendors

    def filter_municipality(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.isdigit():
            return queryset.filter(integration__municipality__code__startswith=value)
        return queryset.filter(
            Q(integration__municipality__city__icontains=value)
            | Q(integration__municipality__prefecture__icontains=value)
        )

    # Day bounds in Asia/Tokyo as aware datetimes, so the received_at indexes serve the range.
    def filter_from(self, queryset, name, value):
        return queryset.filter(received_at__gte=day_bounds(value)[0])

    def filter_to(self, queryset, name, value):
        return queryset.filter(received_at__lt=day_bounds(value)[1])

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if len(value) == 64 and all(c in "0123456789abcdefABCDEF" for c in value):
            return queryset.filter(sha256=value.lower())
        return queryset.filter(original_name__icontains=value)
