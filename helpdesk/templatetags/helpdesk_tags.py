from django import template

from helpdesk.timeline import duration_text, round_trip, submission_steps

register = template.Library()


@register.inclusion_tag("helpdesk/_submission_timeline.html")
def submission_timeline(submission):
    return {
        "steps": submission_steps(submission),
        "round_trip": duration_text(round_trip(submission)),
        "submission": submission,
    }


@register.filter
def duration(delta) -> str:
    return duration_text(delta)
