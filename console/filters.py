"""List filters that check what they are given (issue 17.13).

A crafted value (a date in year 1 or 9999, an id of 10^23, a NUL) must get the form's Japanese
error, never a 500: dates are bounded to years the console can hold as aware datetimes, ids to
PostgreSQL's bigint, and a list whose filter does not validate shows no rows instead of all.
"""

import datetime as dt

import django_filters
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2099, 12, 31)
MAX_ID = 2**63 - 1


class DayField(forms.DateField):
    default_validators = [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]


class IdField(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class DayFilter(django_filters.DateFilter):
    field_class = DayField


class IdFilter(django_filters.NumberFilter):
    field_class = IdField


class CheckedFilterSet(django_filters.FilterSet):
    """A filter set whose invalid form selects nothing (its errors are shown with the form)."""

    @property
    def qs(self):
        if self.is_bound and not self.form.is_valid():
            return self.queryset.none()
        return super().qs
