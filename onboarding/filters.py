from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from console.filters import CheckedFilterSet
from onboarding import stuck
from onboarding.models import (
    DataMode,
    Integration,
    Municipality,
    ReworkMethod,
    Route,
    Stage,
    Vendor,
)
from onboarding.overview import PREFECTURES


def _prefectures():
    return [
        (p, p)
        for p in Municipality.objects.order_by("code")
        .values_list("prefecture", flat=True)
        .distinct()
    ]


class MunicipalityFilter(CheckedFilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search")
    prefecture = django_filters.ChoiceFilter(label=_("Prefecture"), choices=_prefectures)
    stage = django_filters.ChoiceFilter(
        label=_("Stage"), field_name="integrations__stage", choices=Stage.choices, distinct=True
    )
    vendor = django_filters.ModelChoiceFilter(
        label=_("Vendor"),
        field_name="integrations__vendor",
        queryset=Vendor.objects.all(),
        to_field_name="slug",
        distinct=True,
    )
    method = django_filters.ChoiceFilter(
        label=_("Rework method"),
        field_name="integrations__rework_method",
        choices=ReworkMethod.choices,
        distinct=True,
    )
    route = django_filters.ChoiceFilter(
        label=_("Route"), field_name="integrations__route", choices=Route.choices, distinct=True
    )
    mode = django_filters.ChoiceFilter(
        label=_("Data mode"),
        field_name="integrations__data_mode",
        choices=DataMode.choices,
        distinct=True,
    )

    class Meta:
        model = Municipality
        fields = []

    def __init__(self, *args, vendors=None, **kwargs):
        super().__init__(*args, **kwargs)
        if vendors is not None:
            self.filters["vendor"].queryset = vendors

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(
            Q(code__startswith=value)
            | Q(city__icontains=value)
            | Q(prefecture__icontains=value)
            | Q(city_kana__icontains=value)
        )


def _business_systems(queryset):
    """Only the systems the user may see: another vendor's system names are not shown."""
    names = queryset.order_by("business_system").values_list("business_system", flat=True)
    return [(name, name) for name in names.distinct()]


class WaitingDaysField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 3650)
        super().__init__(**kwargs)


class WaitingFilter(django_filters.NumberFilter):
    field_class = WaitingDaysField


class IntegrationFilter(CheckedFilterSet):
    """The board's and the integration list's filters (issue 22.2); the board leaves out
    `stage` (its columns are the stages)."""

    prefecture = django_filters.ChoiceFilter(
        label=_("Prefecture"),
        field_name="municipality__prefecture",
        choices=[(p, p) for p in PREFECTURES],
    )
    vendor = django_filters.ModelChoiceFilter(
        label=_("Vendor"), queryset=Vendor.objects.all(), to_field_name="slug"
    )
    system = django_filters.ChoiceFilter(label=_("Business system"), field_name="business_system")
    program = django_filters.CharFilter(
        label=_("Public expense payer number"), method="filter_program", max_length=8
    )
    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=Stage.choices)
    method = django_filters.ChoiceFilter(
        label=_("Rework method"), field_name="rework_method", choices=ReworkMethod.choices
    )
    route = django_filters.ChoiceFilter(label=_("Route"), choices=Route.choices)
    waiting = WaitingFilter(label=_("Waiting longer than (days)"), method="filter_waiting")
    stuck = django_filters.BooleanFilter(
        label=_("Stuck only"), method="filter_stuck", widget=forms.CheckboxInput
    )

    class Meta:
        model = Integration
        fields = []

    def __init__(self, *args, vendors=None, board=False, **kwargs):
        super().__init__(*args, **kwargs)
        if vendors is not None:
            self.filters["vendor"].queryset = vendors
        if board:
            del self.filters["stage"]
        self.filters["system"].extra["choices"] = lambda: _business_systems(self.queryset)

    def filter_program(self, queryset, name, value):
        value = value.strip()
        if not (value.isascii() and value.isdigit()):
            return queryset.none()
        # The JSON list as text: 8 digits match one number, fewer its prefix (法別番号).
        return queryset.filter(programs__icontains=f'"{value}')

    def filter_waiting(self, queryset, name, value):
        if value is None:
            return queryset
        since = timezone.now() - timedelta(days=int(value))
        return queryset.filter(stage_changed_at__lt=since).exclude(stage=Stage.LIVE)

    def filter_stuck(self, queryset, name, value):
        return queryset.filter(stuck.stuck_q()) if value else queryset
