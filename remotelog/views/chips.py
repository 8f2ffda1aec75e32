"""The filters in force, shown as chips a click removes."""

import datetime

from django.utils import formats, timezone

# Cursors place a page; removing a filter starts again from the newest.
CURSORS = ("before", "after", "page")


def url_without(params, *names):
    """Return the query string of ``params`` without ``names`` and page cursors."""
    kept = params.copy()
    for name in (*names, *CURSORS):
        kept.pop(name, None)
    return f"?{kept.urlencode()}"


def shown_value(field, value):
    """Return how the chip of ``field`` writes its cleaned ``value``."""
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "Y-m-d H:i:s")
    choices = dict(getattr(field, "choices", ()))
    return str(choices.get(str(value), value))


def filter_chips(form, filters, *, params, labels=None, skip=()):
    """
    Return a chip for each filter of ``filters`` (from ``form``): its label, value, removal URL.

    ``labels`` overrides how a filter's value reads (a group's template for its id).
    """
    labels = labels or {}
    return [
        {
            "name": name,
            "label": form.fields[name].label,
            "value": labels.get(name) or shown_value(form.fields[name], value),
            "remove_url": url_without(params, name),
        }
        for name, value in filters.items()
        if name not in skip
    ]
