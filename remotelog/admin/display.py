"""What the admin pages show of a record's fields: bounded, escaped."""

import json

from django.contrib import admin
from django.utils.html import format_html

from .. import levels
from ..models import LogMessage

# The most of one field the detail page shows. A row may hold a batch body's
# worth (a megabyte) in each text field; the page stays readable and small.
SHOWN_CHARACTERS = 32 * 1024


def shown(text):
    """Return ``text``, or its first SHOWN_CHARACTERS and how many more it holds."""
    if len(text) <= SHOWN_CHARACTERS:
        return text
    rest = len(text) - SHOWN_CHARACTERS
    return f"{text[:SHOWN_CHARACTERS]}… [{rest:,} more characters not shown]"


def shown_json(value):
    """Return ``value`` as indented JSON, encoding no more than SHOWN_CHARACTERS of it."""
    # Indenting multiplies a deeply nested value's size: encode lazily, stop early.
    encoder = json.JSONEncoder(indent=2, ensure_ascii=False, sort_keys=True)
    chunks, size = [], 0
    for chunk in encoder.iterencode(value):
        chunks.append(chunk)
        size += len(chunk)
        if size > SHOWN_CHARACTERS:
            return "".join(chunks)[:SHOWN_CHARACTERS] + "… [the rest is not shown]"
    return "".join(chunks)


def shown_field(name):
    """Return an admin display of the text field ``name``, cut by `shown`, under its label."""

    @admin.display(description=LogMessage._meta.get_field(name).verbose_name)
    def display(self, obj):
        value = getattr(obj, name)
        return self.get_empty_value_display() if value is None else shown(value)

    return display


def level_swatch(obj):
    """Return the level name of a record or group after a swatch of its colour."""
    # A swatch, not coloured text: the Content-Security-Policy allows no style attribute.
    return format_html(
        '<strong class="remotelog-level"><svg class="remotelog-swatch" width="12" height="12"'
        ' viewBox="0 0 1 1" aria-hidden="true"><rect width="1" height="1" fill="{}"/></svg>'
        "{}</strong>",
        levels.colour(obj.levelno),
        obj.levelname,
    )
