"""The URL converter for ids of the contact book's rows."""

from django.urls.converters import IntConverter

# The largest value of a 64-bit id column (BigAutoField).
MAX_ID = 2**63 - 1


class IdConverter(IntConverter):
    """Match an id a row can have: digits, at most ``MAX_ID``.

    A longer number is no page (404) rather than a value the database refuses:
    SQLite raises OverflowError for an integer beyond 64 bits.
    """

    def to_python(self, value):
        value = int(value)
        if value > MAX_ID:
            raise ValueError(f"{value} is larger than any id.")
        return value
