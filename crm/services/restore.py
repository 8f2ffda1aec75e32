"""
Taking changes back: a contact restored to a moment of its history, an
operation (an edit, a merge, a restore) undone.

Both work from the change log (``crm.models.Change``): the state a contact
had is its snapshot now with the changes since taken back, newest first.
What they decide is then written through the same workflows as any edit
(``contact_save``, the relationship workflows), which lock the contacts and
record the restore as a change of its own, which can be undone in turn.
"""

import copy
import uuid
from collections import defaultdict

from django.contrib.auth import get_user_model

from ..exceptions import ConcurrentChange, ContactBookError
from ..models import (
    ADDRESS_FIELDS,
    Change,
    Contact,
    Entry,
    Participation,
    RelationshipType,
    Team,
)
from ..queries.history import latest_change, snapshot
from .contacts import contact_save
from .history import SHOWN_ONLY, changed, source, watching
from .locks import concurrent_change_guard
from .relationships import relationship_add, relationship_remove, relationship_set_types
from .timeline import contacts_remember
from .webhooks import DELETED, RESTORED, contacts_changed

# A contact's fields only the trash sets: restoring a moment never moves a
# contact in or out of the trash; undoing a merge does.
TRASH_FIELDS = {"trashed", "trashed_by_id", "merged_into_id"}


class Conflict(ContactBookError):
    """What was asked cannot be taken back as a whole; nothing was changed."""


def _lock(ids) -> list[int]:
    """Lock the contacts ``ids``, those in the trash too, in id order; return those that exist."""
    rows = Contact._base_manager.select_for_update().filter(pk__in=sorted(set(ids)))
    return list(rows.order_by("pk").values_list("pk", flat=True))


def _check_seen(contacts, seen: int | None) -> None:
    """Refuse when the contacts changed since the history the user acted on (``seen``)."""
    if seen is None:
        return
    if max(latest_change(pk) or 0 for pk in contacts) > seen:
        raise ConcurrentChange(
            "This contact changed since you opened its history; nothing was restored. "
            "Look at its history again."
        )


@concurrent_change_guard
def contact_restore_to(*, contact: Contact, change: Change, seen: int | None = None) -> Contact:
    """
    Restore ``contact``'s fields and links (emails, phones, addresses, URLs,
    dates, tags, relationships) to how they were right after ``change``, one
    of its changes. The restore is a change of its own (source "restore").
    Raise ConcurrentChange when the contact changed since ``seen``, the
    latest change the user saw.
    """
    _lock([contact.pk])
    if not Contact.objects.filter(pk=contact.pk).exists():
        raise ConcurrentChange(f"{contact.name} was deleted meanwhile; nothing was restored.")
    _check_seen([contact.pk], seen)
    now = snapshot([contact.pk])[contact.pk]
    target = copy.deepcopy(now)
    later = Change.objects.filter(contact=contact, id__gt=change.pk).exclude(kind="entry")
    for later_change in later.order_by("-id").iterator():
        _take_back(target, later_change)
    with source("restore", ref=change.pk):
        _write(contact.pk, now, target)
    return Contact.objects.get(pk=contact.pk)


def _take_back(state: dict, change: Change) -> None:
    """Make ``state`` (a contact's snapshot) what it was before ``change``."""
    key = (change.kind, change.key)
    if change.action == Change.Action.ADD:
        state.pop(key, None)
    elif change.action == Change.Action.REMOVE:
        state[key] = dict(change.before)
    else:
        state.setdefault(key, {}).update(change.before)


@concurrent_change_guard
def operation_undo(
    *, operation: uuid.UUID, seen: int | None = None, shown: Contact | None = None
) -> list[str]:
    """
    Undo the changes of ``operation`` (an edit, a merge, a restore) on every
    contact it changed, as one new operation (source "undo"). Raise
    ConcurrentChange when the contact ``shown`` (else any of them) changed
    since ``seen``, the latest change the user saw.

    An object changed again since is left as it is and reported: return
    those reports ("Name: the email x was changed since"). Raise Conflict
    when the operation changed nothing that can be taken back.
    """
    changes = list(Change.objects.filter(operation=operation).order_by("-id"))
    entries = [c for c in changes if c.kind == "entry"]
    changes = [c for c in changes if c.kind != "entry"]
    if not changes and not entries:
        raise Conflict("There is nothing to undo: that change is not in the history.")
    if any(c.kind == "contact" and c.action != Change.Action.CHANGE for c in changes):
        raise Conflict("A contact's creation is undone by moving the contact to the trash.")
    contacts = sorted({c.contact_id for c in changes + entries})
    _lock(contacts)
    _check_seen([shown.pk] if shown is not None else contacts, seen)
    now = snapshot(contacts)
    targets, report = copy.deepcopy(now), []
    by_contact = defaultdict(list)
    for change in changes:
        by_contact[change.contact_id].append(change)
    for pk, its_changes in by_contact.items():
        name = now[pk][("contact", "")].get("name") or ""
        for change in its_changes:
            if kept := _undo_one(targets[pk], now[pk], change):
                report.append(f"{name}: {change.subject(kept)} changed since, so it was kept.")
    with source("undo", ref=changes[0].source):
        # Out of the trash first: a merged contact takes its links back after.
        for pk in sorted(contacts, key=lambda pk: now[pk][("contact", "")].get("trashed") is None):
            _write(pk, now[pk], targets[pk])
        _undo_entries(entries)
    return report


def _undo_entries(changes: list[Change]) -> None:
    """
    Take back who took part in timeline entries (a merge moves them): a
    contact taken off an entry is put back, one put on is taken off. An
    entry deleted since stays deleted; its text and times are the timeline's
    own to edit.
    """
    moves = [c for c in changes if c.action != Change.Action.CHANGE]
    if not moves:
        return
    ids = {int(c.key) for c in moves}
    entries = {e.pk: e for e in Entry.objects.select_for_update().filter(pk__in=ids)}
    links = Participation.objects.filter(entry__in=list(entries))
    have = set(links.values_list("entry_id", "contact_id"))
    # Put back first: an entry is never left without anyone on it.
    for change in sorted(moves, key=lambda c: c.action != Change.Action.REMOVE):
        entry = entries.get(int(change.key))
        if entry is None:
            continue
        on = (entry.pk, change.contact_id) in have
        if change.action == Change.Action.REMOVE and not on:
            Participation.objects.create(entry=entry, contact_id=change.contact_id, at=entry.at)
            changed(
                contacts=[change.contact_id],
                kind="entry",
                key=change.key,
                after=entry.history_values(),
            )
        elif change.action == Change.Action.ADD and on:
            links.filter(entry=entry, contact_id=change.contact_id).delete()
            changed(
                contacts=[change.contact_id],
                kind="entry",
                key=change.key,
                before=entry.history_values(),
            )
    contacts_remember(ids={c.contact_id for c in moves})


def _undo_one(target: dict, now: dict, change: Change) -> list[str]:
    """
    Take ``change`` back in ``target`` where ``now`` still has what it made;
    return the names of the fields changed since (["*"]: the whole object).
    """
    key, shown = (change.kind, change.key), SHOWN_ONLY.get(change.kind, set())
    have = now.get(key)
    if change.action == Change.Action.REMOVE:
        if have is None:
            target[key] = dict(change.before)
        return []
    if have is None:
        # Removed since: an addition is undone already, a change cannot be.
        return [] if change.action == Change.Action.ADD else ["*"]
    if change.action == Change.Action.ADD:
        if any(have.get(n) != v for n, v in change.after.items() if n not in shown):
            return ["*"]
        target.pop(key, None)
        return []
    kept = [n for n, v in change.after.items() if n not in shown and have.get(n) != v]
    for name, value in change.before.items():
        if name not in kept:
            target[key][name] = value
    return kept


def _write(pk: int, now: dict, target: dict) -> None:
    """Make the contact ``pk`` what ``target`` (a snapshot) says, where it differs from ``now``."""
    if now == target:
        return
    own_now, own = now[("contact", "")], target[("contact", "")]
    trash = {f: own[f] for f in TRASH_FIELDS & own.keys() if own[f] != own_now.get(f)}
    if trash:
        with watching([pk], kinds=["contact"]):
            Contact._base_manager.filter(pk=pk).update(**trash)
        if "trashed" in trash:
            contacts_changed(DELETED if trash["trashed"] else RESTORED, [pk])
    contact = Contact._base_manager.get(pk=pk)
    fields = {f: v for f, v in own.items() if f not in TRASH_FIELDS and own_now.get(f) != v}
    rows = {
        kind
        for kind, key in now.keys() | target.keys()
        if now.get((kind, key)) != target.get((kind, key))
    }
    if fields or rows - {"contact", "relationship"}:
        for field, value in {**fields, **_assignment(now, target)}.items():
            setattr(contact, field, value)
        contact_save(contact=contact, **_save_arguments(now, target))
    if "relationship" in rows:
        _write_relationships(contact, now, target)


def _assignment(now: dict, target: dict) -> dict:
    """
    Return the owner and team ``target`` gives the contact where they differ
    from ``now``: a user or team gone since (deleted) is left as it is now.
    """
    models = {"owner": get_user_model(), "team": Team}
    fields = {}
    for kind, model in models.items():
        was, want = now.get((kind, "")), target.get((kind, ""))
        if was == want:
            continue
        pk = want and want["id"]
        if pk is None or model._default_manager.filter(pk=pk).exists():
            fields[f"{kind}_id"] = pk
    return fields


def _of(state: dict, kind: str) -> list[tuple[str, dict]]:
    return [(key, values) for (k, key), values in state.items() if k == kind]


def _save_arguments(now: dict, target: dict) -> dict:
    """Return the rows ``contact_save`` takes to give a contact those of ``target``."""
    return {
        "phones": [(v["number"], v["label"]) for _, v in _of(target, "phone")],
        "addresses": [
            {field: v[field] for field in ADDRESS_FIELDS}
            | {"label": v["label"], "id": int(key) if ("address", key) in now else None}
            for key, v in _of(target, "address")
        ],
        "tags": [v["name"] for _, v in _of(target, "tag")],
        "emails": [
            {"address": v["address"], "label": v["label"], "primary": v["primary"]}
            for _, v in _of(target, "email")
        ],
        "urls": [{"url": v["url"], "label": v["label"]} for _, v in _of(target, "url")],
        # Teams removed since are left out: the removal took their sharing with it.
        "shared_with": list(
            Team.objects.filter(pk__in=[int(key) for key, _ in _of(target, "sharing")])
        ),
        "dates": [
            {name: v[name] for name in ("kind", "label", "year", "month", "day")}
            for _, v in _of(target, "date")
        ],
    }


def _write_relationships(contact: Contact, now: dict, target: dict) -> None:
    """Relate ``contact`` as ``target`` says: to contacts still in the book, with the types."""
    mine, wanted = dict(_of(now, "relationship")), dict(_of(target, "relationship"))
    for key in sorted(mine.keys() | wanted.keys()):
        had, want = mine.get(key), wanted.get(key)
        if _types(had) == _types(want):
            continue
        other = Contact.objects.filter(pk=int(key)).first()
        if other is None:
            continue  # in the trash, or deleted for good: nothing to relate to
        if want is None:
            relationship_remove(contact=contact, other=other)
            continue
        types = RelationshipType.objects.filter(name__in=want["types"])
        if had is None:
            relationship_add(contact=contact, other=other, types=types)
        else:
            relationship_set_types(contact=contact, other=other, types=types)


def _types(relationship: dict | None) -> list[str] | None:
    return None if relationship is None else relationship["types"]
