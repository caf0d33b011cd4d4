"""Maintenance-window arithmetic in local time (Asia/Tokyo), free of Django."""

import datetime
import functools

import holidays


@functools.cache
def _japan_holidays() -> holidays.HolidayBase:
    # Years are filled in lazily on lookup; one shared object keeps that work to once a year.
    return holidays.country_holidays("JP")


def is_public_holiday(day: datetime.date) -> bool:
    return day in _japan_holidays()


def holiday_name(day: datetime.date) -> str | None:
    return _japan_holidays().get(day)


def is_new_year_closure(day: datetime.date) -> bool:
    """Dec 29 – Jan 3, when government offices close (行政機関の休日)."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def in_weekly_range(
    local: datetime.datetime,
    weekdays: list[int],
    start: datetime.time,
    end: datetime.time,
) -> bool:
    """Whether `local` falls in start–end on one of `weekdays` (all days when empty).

    A range with end <= start crosses midnight and belongs to the day it starts on.
    """
    days = set(weekdays) if weekdays else set(range(7))
    moment = local.time().replace(tzinfo=None)
    if start < end:
        return local.weekday() in days and start <= moment < end
    yesterday = (local.weekday() - 1) % 7
    return (local.weekday() in days and moment >= start) or (yesterday in days and moment < end)


def covers(
    local: datetime.datetime,
    *,
    starts_at: datetime.datetime | None = None,
    ends_at: datetime.datetime | None = None,
    weekdays: list[int] | None = None,
    start_time: datetime.time | None = None,
    end_time: datetime.time | None = None,
    on_public_holidays: bool = False,
    on_new_year: bool = False,
) -> bool:
    """Whether an aware local datetime lies in a window made of any of these parts."""
    if starts_at is not None and ends_at is not None and starts_at <= local < ends_at:
        return True
    if on_public_holidays and is_public_holiday(local.date()):
        return True
    if on_new_year and is_new_year_closure(local.date()):
        return True
    if start_time is not None and end_time is not None:
        return in_weekly_range(local, weekdays or [], start_time, end_time)
    return False
