"""How the contact list shows a search: its matches marked, and what it did with the query."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from ..search import highlight_spans, search_terms

register = template.Library()


@register.filter(needs_autoescape=True)
def highlight(value, query, autoescape=True):
    """
    Return ``value``, escaped, with each match of the search ``query`` in
    ``<mark>``, ignoring case and accents as search does: ``"Müller"|highlight:"muller"``
    is ``<mark>Müller</mark>``.
    """
    escape = conditional_escape if autoescape else str
    value = "" if value is None else str(value)
    spans = highlight_spans(value, search_terms(query)) if query else []
    if not spans:
        return escape(value)
    pieces, shown = [], 0
    for start, stop in spans:
        pieces.append(escape(value[shown:start]))
        pieces.append(f"<mark>{escape(value[start:stop])}</mark>")
        shown = stop
    pieces.append(escape(value[shown:]))
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of the value is escaped


@register.simple_tag
def search_notice(query):
    """Return what the user should know about how ``query`` was searched, or ""."""
    return search_terms(query).notice if query else ""
