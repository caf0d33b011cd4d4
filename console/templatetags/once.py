from django import template
from django.utils.html import format_html

from console import once

register = template.Library()


@register.simple_tag
def once_token() -> str:
    """The hidden one-time token of a form that changes something (see console.once)."""
    return format_html('<input type="hidden" name="{}" value="{}">', once.FIELD, once.new_token())
