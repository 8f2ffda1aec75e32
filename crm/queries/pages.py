"""
Pages of the contact list, read by keyset, and a count that stops at a cap.

A page is found from the row before it (``after``) or after it
(``before``), named by an opaque cursor, never by its number: an
``OFFSET`` reads and throws away every row before the page, so the middle
of a million contacts would cost what reading half the book does. Here
every page costs what the first does: one row comparison on the sort's
index, ``(key, id) > (cursor's key, cursor's id)``, then a page's worth
of rows. The last page is the first page of the reverse order.

An exact ``COUNT(*)`` reads every matching row on every view; the list
counts up to ``COUNT_CAP`` and says "more than" past it.
"""

import base64
import binascii
import datetime
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import BooleanField, ExpressionWrapper, F, Func, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThan, LessThan

from ..models import Contact
from ..models.contacts import NO_TIME
from .contacts import decorate

# The exact count stops here: past it the list says "more than 1,000". A
# count reads every matching row up to the cap, so its cost grows with the
# cap on a common search (crm/README.md: the list at a million).
COUNT_CAP = 1000

# Longer than any cursor this module writes (a 200-character name, escaped).
MAX_CURSOR_LENGTH = 2000


@dataclass(frozen=True)
class Sort:
    """
    An order of the list: a model field, then the id, so that rows with
    equal values keep one order and a cursor names one place.

    With ``empty_last``, the rows whose field is empty ("" for a contact
    without an organisation) come after all others in both directions: the
    key starts with "is it empty?" ascending, "is it filled?" descending,
    so each direction is one index read one way, every column alike.
    With ``null_last``, the same for the rows whose field is NULL (a contact
    without an interaction); the key holds ``NO_TIME`` for them, since a
    row value holding a NULL compares as unknown.
    """

    label: str
    field: str
    empty_last: bool = False
    null_last: bool = False

    @property
    def _empty(self):
        return {self.field: None if self.null_last else ""}

    def expressions(self, *, descending=False, indexed=True):
        """
        Return the expressions of the order, each ascending or each ``descending``.

        Not ``indexed``, the field is wrapped in an expression no index has
        (``COALESCE(field, field)``, the same value), which keeps the
        planner from walking the sort's index: see ``contact_page()``.
        """
        field = Coalesce(self.field, Value(NO_TIME)) if self.null_last else F(self.field)
        if not indexed:
            field = Coalesce(field, field)
        keys = [field, F("pk")]
        if self.empty_last or self.null_last:
            empty = Q(**self._empty)
            keys.insert(
                0,
                ExpressionWrapper(~empty if descending else empty, output_field=BooleanField()),
            )
        return keys

    def values(self, contact):
        """Return the cursor's values for ``contact``: its field, its id."""
        value = getattr(contact, self.field)
        if isinstance(value, datetime.datetime):
            value = value.isoformat()
        return [value, contact.pk]

    def key_values(self, values, *, descending=False):
        """
        Return the SQL values of a cursor's ``values`` in the order of ``expressions()``.

        Raise ``ValueError`` when they are not what ``values()`` writes.
        """
        if not isinstance(values, list) or len(values) != 2:
            raise ValueError("A cursor holds a value and an id.")
        value, pk = values
        none = value is None and self.null_last
        if not none and (not isinstance(value, str) or "\x00" in value):
            raise ValueError("A cursor's value is text without NUL.")
        if not isinstance(pk, int) or isinstance(pk, bool) or not 0 < pk < 2**63:
            raise ValueError("A cursor's id is a positive integer.")
        model_field = Contact._meta.get_field(self.field)
        try:
            value = NO_TIME if none else model_field.to_python(value)
        except ValidationError as exc:
            raise ValueError(str(exc)) from None
        keys = [Value(value, output_field=model_field), Value(pk)]
        if self.empty_last:
            keys.insert(0, Value((value != "") if descending else (value == "")))
        elif self.null_last:
            keys.insert(0, Value(not none if descending else none))
        return keys


SORTS = {
    "name": Sort("Name", "sort_name"),
    "organization": Sort("Organisation", "organization", empty_last=True),
    "created": Sort("Created", "created"),
    "updated": Sort("Updated", "updated"),
    "last_interaction": Sort("Last interaction", "last_interaction", null_last=True),
}
DEFAULT_SORT = "name"


def sort_of(key):
    """Return the ``Sort`` of ``key`` (``"-created"``…) and whether it descends."""
    return SORTS[key.removeprefix("-")], key.startswith("-")


def ordering(key, *, reverse=False, indexed=True):
    """Return the ``order_by()`` arguments of the sort ``key`` (``"-created"``…), or its reverse."""
    sort, descending = sort_of(key)
    expressions = sort.expressions(descending=descending, indexed=indexed)
    return tuple(e.asc() if descending == reverse else e.desc() for e in expressions)


def cursor_for(contact, sort):
    """Return the opaque, URL-safe cursor that names ``contact``'s place in ``sort``."""
    text = json.dumps(SORTS[sort.removeprefix("-")].values(contact), separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _read(cursor, sort):
    """Return the SQL values of ``cursor`` in ``sort``, or None when it is not a cursor."""
    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        sort, descending = sort_of(sort)
        return sort.key_values(json.loads(text), descending=descending)
    except (binascii.Error, ValueError):  # JSON and Unicode errors are ValueErrors.
        return None


class Row(Func):
    """A row value, ``(a, b, c)``: compared as a whole, it bounds a scan of an index on them."""

    function = ""
    output_field = models.Field()


@dataclass
class ContactPage:
    """A page of list rows, in list order, and whether there are pages either side."""

    contacts: list
    sort: str
    has_next: bool
    has_previous: bool

    @property
    def next_cursor(self):
        return cursor_for(self.contacts[-1], self.sort) if self.has_next else ""

    @property
    def previous_cursor(self):
        return cursor_for(self.contacts[0], self.sort) if self.has_previous else ""


def contact_page(
    contacts,
    *,
    sort=DEFAULT_SORT,
    per_page,
    after="",
    before="",
    last=False,
    few=False,
    filtered=False,
):
    """
    Return the ``ContactPage`` of ``contacts`` in ``sort``: the first page,
    the one after the cursor ``after``, the one before the cursor ``before``,
    or the ``last``, in one query (and a second when the cursor's page is empty).

    An invalid cursor gives the first page. The page's ids are picked by a
    narrow subquery on the sort's index, so phones and cities are collected
    only for the rows shown; one more row than the page tells whether there
    is another page. When the caller knows ``contacts`` are ``few`` (a
    filter that counted at most ``COUNT_CAP``), they are sorted by
    themselves instead: walking the index until a page of them turns up
    reads most of the table when they cluster in it, as the contacts of one
    family name do in the order by name. Many ``filtered`` contacts are
    looked for near the cursor first (see ``_candidates()``).
    """
    sort_obj, descending = sort_of(sort)
    cursor = before or after
    values = _read(cursor, sort) if cursor else None
    backward = last or (values is not None and bool(before))

    def past_cursor(rows, *, indexed=True):
        """``rows`` past the cursor in the page's direction, in that direction's order."""
        rows = rows.order_by(*ordering(sort, reverse=backward, indexed=indexed))
        if values is None:
            return rows
        beyond = LessThan if descending != backward else GreaterThan
        keys = sort_obj.expressions(descending=descending, indexed=indexed)
        return rows.filter(beyond(Row(*keys), Row(*values)))

    if few:
        ids = past_cursor(contacts, indexed=False).values("pk")[: per_page + 1]
    elif filtered and connections[contacts.db].vendor == "postgresql":
        ids = _candidates(contacts, past_cursor, per_page)
    else:
        ids = past_cursor(contacts).values("pk")[: per_page + 1]
    order = ordering(sort, reverse=backward)
    rows = contacts.model._default_manager.filter(pk__in=ids)
    rows = list(rows.for_list(sort_obj.field).order_by(*order)[: per_page + 1])
    more, rows = len(rows) > per_page, rows[:per_page]
    if not rows and values is not None:
        # The rows past the cursor went (deleted, or the cursor was edited):
        # the nearest page that exists is the last one, or the first.
        return contact_page(
            contacts, sort=sort, per_page=per_page, last=not before, few=few, filtered=filtered
        )
    if backward:
        rows.reverse()
    rows = [decorate(row) for row in rows]
    if values is None:
        has_previous, has_next = (more, False) if last else (False, more)
    else:
        has_previous, has_next = (more, True) if backward else (True, more)
    return ContactPage(rows, sort, has_next=has_next, has_previous=has_previous)


# How many rows of the sort's index a filtered page reads before it sorts the
# matches by themselves (see ``_candidates()``), and the share of them it
# reads first to tell whether the rest is worth reading.
WINDOW = 1000
HEAD = 5


def _candidates(contacts, past_cursor, per_page):
    """
    Return the ids among which the page of many filtered ``contacts`` is,
    for a cost that does not grow with the book, as SQL (PostgreSQL's).

    Walking the sort's index until a page of matches turns up costs little
    when they are spread through the order ("example", a tag), and reads
    most of the book when they cluster in it: a family name in the order
    by name, a date range in the order by date. Sorting the matches by
    themselves costs what there are of them, as much for a word in every
    third contact. So the page is looked for among the next ``WINDOW`` rows
    of the index first (``near``); only when fewer than a page of them
    match are the matches sorted by themselves (``far``): PostgreSQL
    evaluates the gate on ``near``'s count once, before ``far`` would
    start, so a page found near costs nothing more. The CTEs are
    materialised: each is read once for the page and for its gate, and
    their references keep ``far`` out of parallel workers, whose start
    alone costs more than a page. The page's rows are the first of both,
    sorted (a row in both is one id).

    ``near`` walks the window in its order and tests each row, stopping at
    a page of matches: its cost is at most the window's, however many
    contacts match. Written as a join, the planner may read every match
    (a bitmap scan of the search index) to intersect them with the window,
    which costs what ``far`` does, twice for a common word; the ``EXISTS``
    with an ``OFFSET`` is kept as a test of each row (a subplan), never
    turned into that join.

    The walk stops after the window's first ``1/HEAD`` (``head``) when
    that part holds fewer than half of its share of a page: the matches
    are too rare there to fill a page in the window (a phone number's
    area code), or cluster elsewhere (a family name), and the rest of the
    walk would only delay ``far``. A filter dense enough to fill a page
    in the window holds twice that share in ``head``, on average.
    """
    book = contacts.model._default_manager.all()
    in_order = past_cursor(book)
    order = in_order.query.order_by
    keys = {f"key{i}": by.expression for i, by in enumerate(order)}
    in_order = in_order.annotate(**keys).values("pk", *keys)
    size = max(1, WINDOW // HEAD)
    head, rest = _sql(in_order[:size]), _sql(in_order[size:WINDOW])
    # Half of the head's share of a page, rounded up.
    enough = -(-(per_page + 1) * size // (2 * WINDOW))
    matches = _sql(contacts.order_by().values("pk"))
    walk = ", ".join(f"w.key{i} {'DESC' if by.descending else 'ASC'}" for i, by in enumerate(order))
    far = _sql(past_cursor(contacts, indexed=False).values("pk")[: per_page + 1])

    def walked(window, gate=("", ())):
        """SQL that walks ``window`` in order, the rows that match, a page of them at most."""
        sql = (
            f"(SELECT w.pk FROM ({window[0]}) w WHERE {gate[0]}"  # noqa: S608
            f"EXISTS (SELECT FROM ({matches[0]}) m WHERE m.pk = w.pk OFFSET 0) "
            f"ORDER BY {walk} LIMIT %s)"
        )
        return sql, (*window[1], *gate[1], *matches[1], per_page + 1)

    head_walk = walked(head)
    rest_walk = walked(
        rest, ("(SELECT COUNT(*) FROM head) BETWEEN %s AND %s AND ", (enough, per_page))
    )
    # Every part is compiled by Django, every value a parameter.
    sql = (
        f"WITH head AS MATERIALIZED {head_walk[0]}, "  # noqa: S608
        f"near AS MATERIALIZED (SELECT pk FROM head UNION ALL {rest_walk[0]}) "
        f"SELECT pk FROM near UNION ALL "
        f"SELECT pk FROM ({far[0]}) far WHERE (SELECT COUNT(*) FROM near) <= %s"
    )
    params = (*head_walk[1], *rest_walk[1], *far[1], per_page)
    return RawSQL(sql, params)  # noqa: S611


def _sql(queryset):
    """Return the SQL and the parameters of ``queryset``."""
    return queryset.query.get_compiler(using=queryset.db).as_sql()


@dataclass(frozen=True)
class Count:
    """How many contacts match: ``number`` exactly, or more than it, or about it."""

    number: int
    exact: bool = True
    estimate: bool = False

    @property
    def capped(self):
        """Whether more than ``number`` match (counted up to the cap, or estimated)."""
        return not self.exact


def contact_count(contacts, *, filtered=True, cap=None, parts=None):
    """
    Return the ``Count`` of ``contacts``: exact up to ``cap`` (``COUNT_CAP``),
    "more than" past it.

    The whole book (not ``filtered``) past the cap on PostgreSQL is "about"
    what the planner's statistics say. They are only a hint (stale until the
    next ANALYZE: a book just emptied may still be "about 3,000"), so the
    capped count always runs first and the estimate only words what is past it.

    ``parts``, filters that split ``contacts`` without overlap (the visible
    contacts' ``crm.visibility.visible_parts()``), are counted one after the
    other in one query (``UNION ALL``), each on its own index, until the cap.
    """
    cap = COUNT_CAP if cap is None else cap
    number = _capped(contacts, parts or [], cap).count()
    if number <= cap:
        return Count(number)
    if not filtered and connections[contacts.db].vendor == "postgresql":
        estimate = _estimated_rows(contacts)
        if estimate > cap:
            return Count(_rounded(estimate), exact=False, estimate=True)
    return Count(cap, exact=False)


def _capped(contacts, parts, cap):
    """Return the pks of ``contacts`` (in each of ``parts`` in turn), ``cap`` + 1 at most."""
    contacts = contacts.order_by().values("pk")
    if len(parts) < 2:
        return contacts.filter(*parts)[: cap + 1]
    queries = [contacts.filter(part) for part in parts]
    if connections[contacts.db].features.supports_slicing_ordering_in_compound:
        # Each part stops at the cap too, so that it is planned as a few rows.
        queries = [query[: cap + 1] for query in queries]
    return queries[0].union(*queries[1:], all=True)[: cap + 1]


def _estimated_rows(contacts):
    with connections[contacts.db].cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)",
            [contacts.model._meta.db_table],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else -1


def _rounded(number):
    # "about 1,234,567" claims a precision the statistics do not have.
    digits = max(len(str(number)) - 2, 0)
    return round(number, -digits)
