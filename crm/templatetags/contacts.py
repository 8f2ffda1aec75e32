"""How the contact pages write a contact's name parts, web addresses and dates."""

import datetime

from django import template
from django.utils.formats import date_format

from ..models import NAME_PARTS, display_name

register = template.Library()

WEB_SCHEMES = ("http://", "https://")


@register.filter
def full_name(contact):
    """Return the contact's name made from its parts alone ("Dr. Ada King Lovelace"), or ""."""
    return display_name(
        {part: getattr(contact, part) for part in (*NAME_PARTS, "honorific_suffix")}
    )


@register.filter
def is_web_address(url):
    """
    Return whether ``url`` is a web page's, safe to link to: a ``javascript:``
    or ``data:`` URL that reached the database some other way is shown as text.
    """
    return url.lower().startswith(WEB_SCHEMES)


@register.filter
def day_month_year(date):
    """
    Return a ``ContactDate`` as people write it, in the site's language:
    "10 December 1815", or "10 December" when the year is not known.
    """
    # A leap year carries a year-less 29 February.
    day = datetime.date(date.year or 2000, date.month, date.day)
    return date_format(day, "j F Y" if date.year else "j F")
