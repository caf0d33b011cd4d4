import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from connectivity.models import Kind, Probe, ProbeRoute, Status
from console.filters import CheckedFilterSet


class TargetFilter(CheckedFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices)
    route = django_filters.ChoiceFilter(label=_("Route"), choices=ProbeRoute.choices)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Kind.choices)
    problem = django_filters.BooleanFilter(
        label=_("Only problems"),
        method="only_problems",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Probe
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(url__icontains=value)
            | Q(integration__municipality__code__startswith=value)
            | Q(integration__municipality__city__icontains=value)
            | Q(integration__business_system__icontains=value)
        )

    def only_problems(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Q(status__in=[Status.FAILING, Status.DOWN]) | Q(last_result__cert_days_left__lte=30)
        )
