"""
What a contact is at one moment, as history compares it: its snapshot.

A snapshot maps each object of a contact to its values: ``("contact", "")``
to its own fields, ``("email", "ada@example.com")`` to an email's label and
whether it is primary, and so on for URLs, dates, phone and address links,
tags, relationships, the owner, the team and the teams it is shared
with. Objects are keyed by what identifies them to a user
(an email by its address, a date by its kind), not by row id: the contact
form writes emails, URLs and dates afresh on every save, and an unchanged
email must compare equal. Phones, addresses and tags are shared rows, keyed
by their id, with the values a restore needs to find or make them again.
"""

import datetime
import json
from collections.abc import Iterable

from django.db import connection
from django.db.models import CharField, DateTimeField, F, Value
from django.db.models.functions import Cast, JSONObject, Lower
from django.db.models.lookups import LessThan
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..models import (
    ADDRESS_FIELDS,
    Change,
    Contact,
    ContactAddress,
    ContactDate,
    ContactPhone,
    ContactRelationship,
    Email,
    Url,
)
from ..visibility import sees_all
from .contacts import UNSEEN
from .ids import ids_subquery
from .pages import Row

# A contact's own fields history leaves out: keys derived from the others,
# times every write changes, and the owner and team, which are objects of
# their own below (named, not just numbered, in the history).
UNTRACKED = {
    *["id", "name_key", "sort_name", "search_text", "created", "updated", "last_interaction"],
    *["owner", "owner_id", "team", "team_id"],
}

Snapshot = dict[int, dict[tuple[str, str], dict]]


def tracked_fields() -> list[str]:
    """Return the columns (attnames) of a contact's own fields that history records."""
    return [
        field.attname
        for field in Contact._meta.concrete_fields
        if field.name not in UNTRACKED and field.attname not in UNTRACKED
    ]


def _times(values: dict) -> dict:
    """
    Return a contact's own ``values`` with its times in ISO 8601 with their
    offset, as PostgreSQL's JSON writes them (SQLite's has neither T nor offset).
    """
    for field in Contact._meta.concrete_fields:
        value = values.get(field.attname)
        if isinstance(field, DateTimeField) and isinstance(value, str):
            moment = parse_datetime(value)
            if moment is not None and timezone.is_naive(moment):
                moment = timezone.make_aware(moment, datetime.UTC)
            values[field.attname] = moment.isoformat() if moment else value
    return values


def date_key(kind: str, label: str, iso: str) -> str:
    """Return the key of a contact's date: its kind, and for another date its label and day."""
    return kind if kind != ContactDate.Kind.OTHER else f"{kind}:{label}:{iso}"


def snapshot(ids: Iterable[int], kinds: Iterable[str] | None = None) -> Snapshot:
    """
    Return the snapshots of the contacts ``ids`` (those that exist), limited
    to the objects of ``kinds`` when given (a contact's own fields are
    ``"contact"``), in one query whatever their number: a UNION ALL of a
    part per kind, each row a contact, a kind, a key and the values as JSON.
    """
    ids = sorted(set(ids))
    if not ids:
        return {}
    kinds = frozenset(PARTS if kinds is None else kinds)
    sql, params, placeholder = _statement(kinds)
    given = ids_subquery(ids).params[0]
    with connection.cursor() as cursor:
        cursor.execute(sql, [given if param == placeholder else param for param in params])
        rows = [
            {"of": of, "part": part, "ident": ident, "n": n, "values": _json(values)}
            for of, part, ident, n, values in cursor.fetchall()
        ]
    own = "contact" in kinds
    shots: Snapshot = {}
    relationships = []
    for row in sorted(rows, key=lambda row: (row["part"] != "contact", row["n"])):
        contact, kind, values = row["of"], row["part"], row["values"]
        if kind == "contact":
            shots[contact] = {("contact", ""): _times(values)} if own else {}
        elif kind == "relationship":
            relationships.append(row)
        elif contact in shots:
            shots[contact][(kind, _key(kind, row["ident"], values))] = values
    for row in relationships:
        values = shots[row["of"]].setdefault(
            ("relationship", row["ident"]), {"name": row["values"]["name"], "types": []}
        )
        if row["values"]["type"] is not None:
            values["types"] = sorted([*values["types"], row["values"]["type"]])
    return shots


# The snapshot's statement by database and kinds, compiled once: Django's
# compiler took ten times what the database takes to run it. The ids are
# one parameter (crm.queries.ids), put in place of this one's.
_statements = {}
PLACEHOLDER = -1


def _statement(kinds: frozenset) -> tuple[str, list, object]:
    """Return the SQL of a snapshot of ``kinds``, its parameters and the ids' placeholder."""
    key = (connection.vendor, kinds)
    if key not in _statements:
        ids = ids_subquery([PLACEHOLDER])
        own = {f: f for f in tracked_fields()} if "contact" in kinds else {}
        # The base manager: a contact in the trash has a history too.
        contacts = Contact._base_manager.filter(pk__in=ids)
        parts = [_part(contacts, "pk", "contact", Value(""), own)]
        parts += [PARTS[kind](ids) for kind in PARTS if kind in kinds and kind != "contact"]
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        sql, params = rows.query.sql_with_params()
        _statements[key] = (sql, list(params), ids.params[0])
    return _statements[key]


def _json(value):
    """Return a JSON value as the database driver gives it, decoded."""
    return json.loads(value) if isinstance(value, str) else value


def _part(rows, contact: str, kind: str, key, data: dict):
    """Return ``rows`` as a part of a snapshot's UNION: contact, kind, key, n, data."""
    # Named apart from every model's fields, which values() refuses to shadow.
    return rows.order_by().values(
        of=F(contact), part=Value(kind), ident=key, n=F("pk"), values=JSONObject(**data)
    )


def _key(kind: str, key: str, values: dict) -> str:
    if kind == "email":
        values["primary"] = bool(values["primary"])  # SQLite's JSON has no booleans
    if kind != "date":
        return key
    # Added here rather than in SQL: the same on both databases.
    values["iso"] = ContactDate(**{n: values[n] for n in ("year", "month", "day")}).iso
    return date_key(values["kind"], values["label"], values["iso"])


def _text(field: str):
    return Cast(field, output_field=CharField())


# Each kind of object of a contact, and the part of the snapshot's query that reads it.
PARTS = {
    "contact": None,
    "email": lambda ids: _part(
        Email.objects.filter(contact__in=ids),
        "contact_id",
        "email",
        Lower("address"),
        {"address": "address", "label": "label", "primary": "primary"},
    ),
    "url": lambda ids: _part(
        Url.objects.filter(contact__in=ids),
        "contact_id",
        "url",
        F("url"),
        {"url": "url", "label": "label"},
    ),
    "date": lambda ids: _part(
        ContactDate.objects.filter(contact__in=ids),
        "contact_id",
        "date",
        Value(""),
        {name: name for name in ("kind", "label", "year", "month", "day")},
    ),
    "phone": lambda ids: _part(
        ContactPhone.objects.filter(contact__in=ids),
        "contact_id",
        "phone",
        _text("phone_id"),
        {"number": "phone__number", "label": "label"},
    ),
    "address": lambda ids: _part(
        ContactAddress.objects.filter(contact__in=ids),
        "contact_id",
        "address",
        _text("address_id"),
        {**{field: f"address__{field}" for field in ADDRESS_FIELDS}, "label": "label"},
    ),
    "tag": lambda ids: _part(
        Contact.tags.through.objects.filter(contact__in=ids),
        "contact_id",
        "tag",
        _text("tag_id"),
        {"name": "tag__name"},
    ),
    # The owner and the team: one each at most, keyed "", with their id and name.
    "owner": lambda ids: _part(
        Contact._base_manager.filter(pk__in=ids, owner__isnull=False),
        "pk",
        "owner",
        Value(""),
        {"id": "owner_id", "name": "owner__username"},
    ),
    "team": lambda ids: _part(
        Contact._base_manager.filter(pk__in=ids, team__isnull=False),
        "pk",
        "team",
        Value(""),
        {"id": "team_id", "name": "team__name"},
    ),
    # The teams it is shared with, keyed by the team's id.
    "sharing": lambda ids: _part(
        Contact.shared_with.through.objects.filter(contact__in=ids),
        "contact_id",
        "sharing",
        _text("team_id"),
        {"name": "team__name"},
    ),
    "relationship": lambda ids: _part(
        ContactRelationship.objects.filter(from_contact__in=ids),
        "from_contact_id",
        "relationship",
        _text("to_contact_id"),
        {"name": "to_contact__name", "type": "types__name"},
    ),
}


# What each row a writer inserts is in a snapshot, as its part above reads it
# back: (kind, key, values), with the phone, address or tag it links in hand.
WRITTEN = {
    Email: lambda r: (
        "email",
        r.address.lower(),
        {"address": r.address, "label": r.label, "primary": r.primary},
    ),
    Url: lambda r: ("url", r.url, {"url": r.url, "label": r.label}),
    ContactDate: lambda r: (
        "date",
        date_key(r.kind, r.label, r.iso),
        {"kind": r.kind, "label": r.label, "year": r.year, "month": r.month, "day": r.day}
        | {"iso": r.iso},
    ),
    ContactPhone: lambda r: (
        "phone",
        str(r.phone_id),
        {"number": r.phone.number, "label": r.label},
    ),
    ContactAddress: lambda r: (
        "address",
        str(r.address_id),
        {**{field: getattr(r.address, field) for field in ADDRESS_FIELDS}, "label": r.label},
    ),
    Contact.tags.through: lambda r: ("tag", str(r.tag_id), {"name": r.tag.name}),
}

# Values the databases' JSON gives back as they are: a time comes back in
# each database's own format, so a contact with one is read back instead.
PLAIN = (str, int, type(None))


def written_snapshots(written: Iterable[tuple[Contact, list]]) -> Snapshot:
    """
    Return the snapshots of contacts just created, as ``snapshot()`` would
    read them back, from what was written: each contact and its rows
    (emails, URLs, dates, links to phones, addresses and tags, with the row
    they link to). Leave out a contact a snapshot could read otherwise: one
    with a value other than text, a number or nothing, or an email that is
    not ASCII (SQL's LOWER() folds only ASCII on SQLite, more by locale on
    PostgreSQL).
    """
    fields = tracked_fields()
    shots: Snapshot = {}
    for contact, rows in written:
        shot = {("contact", ""): {name: getattr(contact, name) for name in fields}}
        if contact.owner_id:
            shot[("owner", "")] = {"id": contact.owner_id, "name": contact.owner.username}
        if contact.team_id:
            shot[("team", "")] = {"id": contact.team_id, "name": contact.team.name}
        for row in rows:
            kind, key, values = WRITTEN[type(row)](row)
            shot[(kind, key)] = values
        plain = all(isinstance(v, PLAIN) for values in shot.values() for v in values.values())
        ascii = all(row.address.isascii() for row in rows if isinstance(row, Email))
        if plain and ascii:
            shots[contact.pk] = shot
    return shots


def history_page(contact_id: int, *, before: int | None = None, size: int = 50):
    """
    Return ``size`` changes of the contact ``contact_id``, newest first,
    older than its change ``before`` when given, and whether more follow.

    By time then id, as the index on (contact, -at, -id) holds them: one
    range of it, however long the history. Ordered by id alone, PostgreSQL
    may walk the primary key backwards instead, past every change of every
    other contact since this one's last (found: 8,500 rows for 51).
    """
    changes = Change.objects.filter(contact_id=contact_id).select_related("author")
    if before is not None:
        mark = changes.filter(pk=before).values_list("at", flat=True).first()
        if mark is None:
            return [], False
        start = Row(Value(mark, output_field=DateTimeField()), Value(before))
        changes = changes.filter(LessThan(Row(F("at"), F("id")), start))
    rows = list(changes.order_by("-at", "-id")[: size + 1])
    return rows[:size], len(rows) > size


def latest_change(contact_id: int) -> int | None:
    """Return the id of the contact's latest change, read as ``history_page()`` reads."""
    changes = Change.objects.filter(contact_id=contact_id).order_by("-at", "-id")
    return changes.values_list("id", flat=True).first()


def unseen_unnamed(changes: list, user) -> list:
    """
    Name in ``changes`` no related contact that ``user`` cannot see
    (crm.visibility): a relationship's other contact reads "a contact you
    cannot see", on the page only; return ``changes``.
    """
    keys = {int(c.key) for c in changes if c.kind == "relationship" and c.key.isdigit()}
    if not keys or sees_all(user):
        return changes
    seen = set(
        Contact.all_objects.visible_to(user).filter(pk__in=keys).values_list("pk", flat=True)
    )
    for change in changes:
        if change.kind == "relationship" and change.key.isdigit() and int(change.key) not in seen:
            for values in (change.before, change.after):
                if values and "name" in values:
                    values["name"] = UNSEEN["name"]
    return changes
