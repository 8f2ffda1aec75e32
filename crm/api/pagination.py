"""
Lists of the API a page at a time, by keyset: ``?cursor=`` and ``?limit=``,
answered as ``{"items": [...], "next": cursor or null}``.

A page starts past the row its cursor names, found by one row comparison
on the list's order, ``(at, id) < (cursor's at, cursor's id)``, which an
index on those columns answers as one range: never an ``OFFSET``, which
reads and throws away every row before the page. A cursor is the values of
the last row's keys as JSON, base64url-encoded: opaque to clients, and
checked when read back (a bad one is a 422, never a 500).
"""

import base64
import binascii
import datetime
import json
from collections.abc import Sequence
from typing import Annotated

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import F, QuerySet, Value
from django.db.models.lookups import GreaterThan, LessThan
from django.utils import timezone
from ninja import Field, Schema
from ninja.errors import ValidationError as RequestInvalid

from ..queries.pages import Row

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Longer than any cursor written here (a 200-character name in UTF-8 and an id).
MAX_CURSOR_LENGTH = 2000


class PageQuery(Schema):
    """Which page of a list: the cursor of the page before's ``next``, and its size."""

    cursor: Annotated[
        str | None,
        Field(
            None,
            max_length=MAX_CURSOR_LENGTH,
            description="The `next` of the page before; leave it out for the first page.",
        ),
    ]
    limit: int = Field(
        DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"How many items, at most {MAX_LIMIT}."
    )


class Page(Schema):
    """The fields every page of a list has besides its items."""

    next: str | None = Field(
        description="The cursor of the next page (pass it as `cursor`); null on the last page."
    )


def _invalid():
    return RequestInvalid(
        [
            {
                "loc": ("query", "cursor"),
                "msg": "Not a cursor of this list: start from the first page.",
            }
        ]
    )


def _field(model, key: str):
    try:
        return model._meta.get_field(key.removeprefix("-"))
    except FieldDoesNotExist:
        raise ValueError(f"{model.__name__} has no field {key!r} to page by.") from None


def encode(values: Sequence) -> str:
    """Return the opaque cursor of a row whose keys are ``values`` (JSON-able, times as ISO)."""
    values = [v.isoformat() if hasattr(v, "isoformat") else v for v in values]
    text = json.dumps(values, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(cursor: str, fields) -> list[Value]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):  # JSON and Unicode errors are ValueErrors.
        raise _invalid() from None
    if not isinstance(values, list) or len(values) != len(fields):
        raise _invalid()
    keys = []
    for field, value in zip(fields, values, strict=True):
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise _invalid()
        if isinstance(value, str) and "\x00" in value:
            raise _invalid()
        if isinstance(value, int) and not 0 <= value < 2**63:
            raise _invalid()
        target = getattr(field, "target_field", field)
        try:
            value = target.to_python(value)
        except ValidationError:
            raise _invalid() from None
        if value is None or (isinstance(value, datetime.datetime) and timezone.is_naive(value)):
            raise _invalid()
        keys.append(Value(value, output_field=target))
    return keys


def past(queryset: QuerySet, keys: Sequence[str], cursor: str | None) -> QuerySet:
    """
    Return ``queryset`` in the order of ``keys`` (model fields, all ascending
    or all descending: ``("-at", "-id")``), past the row ``cursor`` names.

    Raise ninja's ValidationError (a 422 on ``query.cursor``) when ``cursor``
    is not one of this list's.
    """
    descending = {key.startswith("-") for key in keys}
    if len(descending) != 1:
        raise ValueError("Keys page one way: all ascending or all descending.")
    queryset = queryset.order_by(*keys)
    if not cursor:
        return queryset
    fields = [_field(queryset.model, key) for key in keys]
    beyond = LessThan if descending.pop() else GreaterThan
    columns = Row(*(F(field.attname) for field in fields))
    return queryset.filter(beyond(columns, Row(*_decode(cursor, fields))))


def page(rows: list, limit: int, keys) -> tuple[list, str | None]:
    """
    Return the first ``limit`` of ``rows`` (read with one more, to know of a
    next page) and the cursor of the next page: the last row's attributes
    named by ``keys`` (as given to ``past()``), or ``keys(row)`` when it is
    a function.
    """
    more = len(rows) > limit
    rows = rows[:limit]
    if not more:
        return rows, None
    last = rows[-1]
    values = keys(last) if callable(keys) else [getattr(last, k.removeprefix("-")) for k in keys]
    return rows, encode(values)
