"""What the list's bulk bar carries from the list's URL."""

from django import template

from ..forms import bulk

register = template.Library()


@register.filter
def list_filters(query):
    """Return the (name, value) pairs of the list's search, filters and sort in ``query``."""
    return bulk.list_filters(query)
