from django import template

from console.access import is_staff_role
from intake.services import can_redeliver, round_trip

register = template.Library()


@register.filter
def redeliverable_by(submission, user) -> bool:
    return is_staff_role(user) and can_redeliver(submission)


register.filter("round_trip", round_trip)
