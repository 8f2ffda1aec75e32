"""Template filters of the log pages."""

from django import template
from django.utils import timezone

from .. import levels

register = template.Library()


@register.filter
def level_colour(levelno):
    """Return the colour of level ``levelno`` (remotelog.levels owns the table)."""
    return levels.colour(levelno)


@register.filter
def to_the_millisecond(moment):
    """Return ``moment`` in the current time zone as "2026-12-02 16:05:09.123"."""
    local = timezone.localtime(moment)
    return f"{local:%Y-%m-%d %H:%M:%S}.{local.microsecond // 1000:03d}"
