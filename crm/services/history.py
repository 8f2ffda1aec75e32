"""
Recording the history of contacts: who changed what, when, through what.

Every workflow that writes a contact or what hangs on it records its
changes here, in the same transaction: ``watching()`` compares the
contacts' snapshots (``crm.queries.history``) before and after the write
and stores one ``Change`` per object that differs; ``changed()`` stores a
change the caller already knows (a timeline entry, a tag put on a hundred
thousand contacts in one statement). ``source()`` says who and through
what: a middleware opens one for every web request, the worker one per
import or bulk job, and a workflow its own (a merge, a restore).

Why by hand: django-simple-history records from ``post_save`` signals, so
it misses what the contact book writes set-wise (``bulk_create``,
``QuerySet.update()``, INSERT ... SELECT of bulk tagging and imports), and
django-pghistory's triggers, which see those, exist on PostgreSQL only. A
snapshot compared where the workflow holds its contacts' locks sees every
path on both databases, and one table keyed by contact gives the contact
page its history in one index range.
"""

import contextlib
import json
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from ..models import Change, Contact
from ..queries.history import Snapshot, snapshot, written_snapshots

# Values stored for the user to read, not compared: a related contact's name
# changes with that contact, not with the relationship; a user's or team's
# name with that user or team.
SHOWN_ONLY = {"relationship": {"name"}, "owner": {"name"}, "team": {"name"}, "sharing": {"name"}}
# Kinds whose changes keep those values too: an owner's id alone says nothing.
SHOWN_IN_CHANGES = {"owner", "team"}


@dataclass(frozen=True)
class Source:
    """Who, through what, and in which operation the writes happen."""

    name: str
    ref: str = ""
    author: object = None
    operation: uuid.UUID = field(default_factory=uuid.uuid4)

    @property
    def author_id(self):
        """Return the id of the author when it is a signed-in user (a lazy request.user works)."""
        author = self.author
        if author is None or not getattr(author, "is_authenticated", False):
            return None
        return author.pk


_current: ContextVar[Source | None] = ContextVar("crm_history_source", default=None)


@contextlib.contextmanager
def source(name: str, *, ref: str = "", author=None):
    """
    Attribute the changes recorded inside to ``name`` (a ``Change.Source``),
    ``ref`` (an import's id) and ``author`` (inherited from the enclosing
    source when not given), as one new operation.
    """
    if name not in Change.Source.values:
        raise ValueError(f"Unknown history source {name!r}: one of {Change.Source.values}.")
    outer = _current.get()
    if author is None and outer is not None:
        author = outer.author
    token = _current.set(Source(name, str(ref), author))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def current_source() -> Source:
    """Return the source changes are recorded with now; outside any, a command's."""
    return _current.get() or Source(Change.Source.COMMAND)


class Watch:
    """
    The contacts a write is about to change, snapshotted: ``finish()``
    records what changed since. ``add()`` watches more contacts, such as one
    just created (its snapshot before is empty: everything is added).
    """

    def __init__(self, ids: Iterable[int] = (), *, kinds: Iterable[str] | None = None):
        self.kinds = None if kinds is None else set(kinds)
        self.before: Snapshot = {}
        self.known: Snapshot = {}  # after, as the writer knows it
        self.add(ids)

    def add(self, ids: Iterable[int]) -> None:
        """Watch the contacts ``ids`` too, from now on."""
        new = {pk for pk in ids if pk is not None} - set(self.before)
        taken = snapshot(new, self.kinds)
        self.before.update({pk: taken.get(pk, {}) for pk in new})

    def created(self, ids: Iterable[int]) -> None:
        """Watch the contacts ``ids``, just created: all they hold is added."""
        self.before.update(dict.fromkeys(ids, {}))

    def written(self, written: Iterable[tuple[Contact, list]]) -> None:
        """
        Watch contacts just created, and take what they hold from what was
        written, each contact and its rows (see ``written_snapshots()``)
        rather than reading it back; those it cannot tell are read back.
        """
        written = list(written)
        self.created(contact.pk for contact, _ in written)
        shots = written_snapshots(written)
        if self.kinds is not None:
            shots = {
                pk: {(kind, key): v for (kind, key), v in shot.items() if kind in self.kinds}
                for pk, shot in shots.items()
            }
        self.known.update(shots)

    def finish(self) -> None:
        """Record one change per object of the watched contacts that differs now."""
        after = snapshot(self.before.keys() - self.known.keys(), self.kinds) | self.known
        rows = []
        for contact, objects in self.before.items():
            # A contact deleted for good took its history with it.
            if contact not in after:
                continue
            if objects:
                rows += _compare(contact, objects, after[contact])
            else:  # created: all it holds is added, nothing to compare
                rows += [
                    (contact, *object_, None, new)
                    for object_, new in sorted(after[contact].items())
                ]
        _store(rows)


@contextlib.contextmanager
def watching(ids: Iterable[int] = (), *, kinds: Iterable[str] | None = None):
    """
    Record the changes made inside to the contacts ``ids`` (and to any the
    yielded ``Watch`` is given later), to the objects of ``kinds`` only when
    given (``"contact"`` for their own fields, ``"relationship"``...). Use it
    inside the transaction, after the contacts' locks: what it compares then
    is what this write changed.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("watching() records in the write's transaction: open one first.")
    watch = Watch(ids, kinds=kinds)
    yield watch
    watch.finish()


def changed(*, contacts: Iterable[int], kind: str, key: str, before=None, after=None) -> None:
    """
    Record one change of the object ``kind``/``key`` on each of ``contacts``:
    added when there is nothing ``before``, removed when nothing ``after``.
    """
    _store((pk, kind, key, before, after) for pk in contacts)


def record(changes: Iterable[Change]) -> None:
    """Record ``changes`` (unsaved, with contact, kind, key, before and after), in one statement."""
    _store((c.contact_id, c.kind, c.key, c.before, c.after) for c in changes)


# A change as it is compared and stored: (contact id, kind, key, before, after);
# model instances cost more to make than the rest of a change's recording.
Row = tuple[int, str, str, dict | None, dict | None]


def _compare(contact: int, before: dict, after: dict) -> list[Row]:
    """Return the changes between two snapshots of ``contact``."""
    rows = []
    for kind, key in sorted(before.keys() | after.keys()):
        old, new = before.get((kind, key)), after.get((kind, key))
        if old is not None and new is not None:
            shown = SHOWN_ONLY.get(kind, set())
            names = [n for n in (old.keys() | new.keys()) - shown if old.get(n) != new.get(n)]
            if not names:
                continue
            if kind in SHOWN_IN_CHANGES:
                names += shown
            old = {n: old.get(n) for n in sorted(names)}
            new = {n: new.get(n) for n in sorted(names)}
        elif old is None and new is None:
            continue
        rows.append((contact, kind, key, old, new))
    return rows


def _action(before, after) -> str:
    if before is None:
        return Change.Action.ADD
    return Change.Action.REMOVE if after is None else Change.Action.CHANGE


def _store(rows: Iterable[Row]) -> None:
    """
    Stamp ``rows`` with the time and the current source, and insert them in
    one INSERT ... SELECT from a JSON list of them, for ten or a hundred
    thousand (a tag put on every contact the list matched): ``bulk_create()``
    splits them into a statement every few dozen on SQLite.
    """
    rows = [
        {"contact": c, "kind": k, "key": key, "action": _action(b, a), "before": b, "after": a}
        for c, k, key, b, a in rows
    ]
    if not rows:
        return
    where = current_source()
    stamp = Change(at=timezone.now(), operation=where.operation, source=where.name, ref=where.ref)
    stamp.author_id = where.author_id
    meta, quote = Change._meta, connection.ops.quote_name
    common = ("at", "operation", "source", "ref", "author")
    params = [
        meta.get_field(name).get_db_prep_save(
            getattr(stamp, meta.get_field(name).attname), connection
        )
        for name in common
    ]
    varying = ("contact", "kind", "key", "action", "before", "after")
    if connection.vendor == "postgresql":
        types = {"contact": "bigint", "before": "jsonb", "after": "jsonb"}
        fields = ", ".join(f"{quote(name)} {types.get(name, 'text')}" for name in varying)
        source = f"jsonb_to_recordset(%s::jsonb) AS v({fields})"
    else:
        fields = ", ".join(f"json_extract(value, '$.{name}') AS {quote(name)}" for name in varying)
        source = f"(SELECT {fields} FROM json_each(%s)) AS v"  # noqa: S608 - our own names
    columns = ", ".join(quote(meta.get_field(name).column) for name in (*common, *varying))
    selected = ", ".join(["%s"] * len(common) + [f"v.{quote(name)}" for name in varying])
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT {selected} FROM {source}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, json.dumps(rows)])
