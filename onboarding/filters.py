import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from console.filters import CheckedFilterSet
from onboarding.models import DataMode, Municipality, ReworkMethod, Route, Stage, Vendor


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
