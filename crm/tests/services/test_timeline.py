"""Timeline workflows: entries on several contacts, last interaction, authors, merges."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from crm.exceptions import ContactGone, EntryGone
from crm.models import Change, Contact, Entry, Participation
from crm.services.duplicates import _take_entries, contact_merge
from crm.services.history import source
from crm.services.timeline import entry_add, entry_change, entry_delete, entry_follow_up_done
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db

T = datetime.datetime(2026, 5, 4, 10, 30, tzinfo=datetime.UTC)


def at(days):
    return T + datetime.timedelta(days=days)


def last(contact):
    return Contact.objects.get(pk=contact.pk).last_interaction


def add(contacts, author, kind="call", when=T, **fields):
    return entry_add(contacts=contacts, author=author, kind=kind, at=when, **fields)


def test_a_meeting_with_three_contacts_is_on_all_three(user, ada, charles):
    grace = make_contact("Grace Hopper")
    meeting = add([ada, charles, grace], user, "meeting", text="Engines")
    for contact in (ada, charles, grace):
        assert list(contact.entries.all()) == [meeting]
        assert last(contact) == T
    assert set(meeting.contacts.all()) == {ada, charles, grace}
    assert set(Participation.objects.values_list("at", flat=True)) == {T}


def test_last_interaction_is_the_latest_entry_that_is_not_a_note(user, ada, charles):
    assert last(ada) is None
    add([ada], user, "note", at(5))
    assert last(ada) is None
    call = add([ada], user, "call", at(1))
    add([ada, charles], user, "email", at(3))
    assert (last(ada), last(charles)) == (at(3), at(3))
    # Going back in time, or becoming a note, the latest left counts.
    email = Entry.objects.get(kind="email")
    entry_change(entry=email, author=user, contacts=[ada], kind="note", at=at(3))
    assert (last(ada), last(charles)) == (at(1), None)
    entry_delete(entry=call, author=user)
    assert last(ada) is None


def test_an_edit_of_the_contact_read_before_an_entry_keeps_the_last_interaction(user, ada):
    stale = Contact.objects.get(pk=ada.pk)
    add([ada], user, "call", T)
    stale.nickname = "Countess"
    stale.save()
    assert last(ada) == T
    assert Contact.objects.get(pk=ada.pk).nickname == "Countess"


def test_changing_the_participants_moves_the_entry_and_its_date(user, ada, charles):
    grace = make_contact("Grace Hopper")
    entry = add([ada, charles], user, "call", T, follow_up=datetime.date(2026, 5, 6))
    entry_follow_up_done(entry=entry, author=user)
    entry = entry_change(
        entry=entry,
        author=user,
        contacts=[ada, grace],
        kind="meeting",
        at=at(2),
        text="Moved",
        follow_up=datetime.date(2026, 5, 9),
    )
    assert set(entry.contacts.all()) == {ada, grace}
    assert (last(ada), last(charles), last(grace)) == (at(2), None, at(2))
    assert set(Participation.objects.values_list("at", flat=True)) == {at(2)}
    # A new follow-up date is open again.
    assert Entry.objects.get().follow_up_done is False


def test_only_the_author_changes_or_deletes_an_entry(user, make_user, ada):
    other = make_user("bob")
    entry = add([ada], user, "note", text="Mine")
    with pytest.raises(EntryGone):
        entry_change(entry=entry, author=other, contacts=[ada], kind="note", at=T, text="His")
    with pytest.raises(EntryGone):
        entry_follow_up_done(entry=entry, author=other)
    entry_delete(entry=entry, author=other)
    assert Entry.objects.get().text == "Mine"


def test_deleting_an_entry_twice_is_harmless(user, ada):
    entry = add([ada], user)
    entry_delete(entry=entry, author=user)
    entry_delete(entry=entry, author=user)
    assert not Entry.objects.exists() and not Participation.objects.exists()


def test_an_entry_on_a_contact_deleted_meanwhile_is_refused(user, ada, charles):
    Contact.objects.filter(pk=charles.pk).delete()
    with pytest.raises(ContactGone):
        add([ada, charles], user)
    assert not Entry.objects.exists()


def test_a_follow_up_is_done_once(user, ada):
    entry = add([ada], user, follow_up=datetime.date(2026, 5, 5))
    assert entry_follow_up_done(entry=entry, author=user).follow_up_done
    assert entry_follow_up_done(entry=entry, author=user).follow_up_done


def test_the_author_leaving_keeps_the_entries(user, ada):
    add([ada], user, text="Kept")
    get_user_model().objects.filter(pk=user.pk).delete()
    assert Entry.objects.get().author is None


def test_a_merge_moves_the_duplicates_entries_to_the_kept_contact(user, ada, charles):
    duplicate = make_contact("Ada  Lovelace")
    both = add([ada, duplicate], user, "meeting", at(1))
    theirs = add([duplicate, charles], user, "call", at(4))
    mine = add([ada], user, "note", at(9))
    merged = contact_merge(keep=ada, duplicate=duplicate)
    assert set(merged.entries.all()) == {both, theirs, mine}
    assert set(theirs.contacts.all()) == {ada, charles}
    # Once in an entry both took part in.
    assert list(both.contacts.all()) == [ada]
    assert last(ada) == at(4)


def entry_changes(**filters):
    """Return (contact, action, before, after, source, author) of the entries' changes."""
    rows = Change.objects.filter(kind="entry", **filters).order_by("id")
    return [(c.contact_id, c.action, c.before, c.after, c.source, c.author_id) for c in rows]


def test_each_write_is_recorded_on_every_contact_it_touches(user, ada, charles):
    grace = make_contact("Grace Hopper")
    entry = add([ada, charles], user, "call", T, text="Hello")
    values = {"kind": "call", "at": T.isoformat(), "text": "Hello", "follow_up": None}
    assert entry_changes(key=str(entry.pk)) == [
        (ada.pk, "add", None, values, "timeline", user.pk),
        (charles.pk, "add", None, values, "timeline", user.pk),
    ]
    Change.objects.all().delete()
    entry_change(entry=entry, author=user, contacts=[ada, grace], kind="call", at=T, text="Bye")
    new = {**values, "text": "Bye"}
    # Only what changed where it stays; the whole entry where it comes and goes.
    assert entry_changes() == [
        (ada.pk, "change", {"text": "Hello"}, {"text": "Bye"}, "timeline", user.pk),
        (charles.pk, "remove", values, None, "timeline", user.pk),
        (grace.pk, "add", None, new, "timeline", user.pk),
    ]
    Change.objects.all().delete()
    entry_change(entry=entry, author=user, contacts=[ada, grace], kind="call", at=T, text="Bye")
    assert entry_changes() == []
    entry = entry_change(
        entry=entry,
        author=user,
        contacts=[ada, grace],
        kind="call",
        at=T,
        text="Bye",
        follow_up=datetime.date(2026, 5, 6),
    )
    entry_follow_up_done(entry=entry, author=user)
    entry_delete(entry=entry, author=user)
    done = ({"follow_up_done": False}, {"follow_up_done": True})
    gone = {**new, "follow_up": "2026-05-06"}
    assert [row[:4] for row in entry_changes()] == [
        (ada.pk, "change", {"follow_up": None}, {"follow_up": "2026-05-06"}),
        (grace.pk, "change", {"follow_up": None}, {"follow_up": "2026-05-06"}),
        (ada.pk, "change", *done),
        (grace.pk, "change", *done),
        (ada.pk, "remove", gone, None),
        (grace.pk, "remove", gone, None),
    ]
    # Each write is one operation.
    assert Change.objects.values("operation").distinct().count() == 3


def test_a_merge_records_the_entries_leaving_the_duplicate_and_coming_to_keep(user, ada, charles):
    duplicate = make_contact("Ada  Lovelace")
    both = add([ada, duplicate], user, "meeting", at(1))
    theirs = add([duplicate, charles], user, "call", at(4))
    Change.objects.all().delete()
    contact_merge(keep=ada, duplicate=duplicate)
    recorded = sorted(
        (c.contact_id, c.key, c.action, c.source) for c in Change.objects.filter(kind="entry")
    )
    expected = [(ada.pk, str(theirs.pk), "add", "merge")]
    # A duplicate deleted for good takes its history with it; one kept in the
    # trash keeps the entries' leaving.
    if Contact._base_manager.filter(pk=duplicate.pk).exists():
        expected += [
            (duplicate.pk, str(both.pk), "remove", "merge"),
            (duplicate.pk, str(theirs.pk), "remove", "merge"),
        ]
    assert recorded == sorted(expected)


def test_take_entries_records_the_duplicates_entries_leaving_it(user, ada):
    duplicate = make_contact("Ada  Lovelace")
    both = add([ada, duplicate], user, "meeting", at(1))
    theirs = add([duplicate], user, "call", at(4))
    Change.objects.all().delete()
    with source("merge", author=user):
        _take_entries(ada, duplicate)
    assert sorted((c.contact_id, c.key, c.action) for c in Change.objects.all()) == sorted(
        [
            (duplicate.pk, str(both.pk), "remove"),
            (duplicate.pk, str(theirs.pk), "remove"),
            (ada.pk, str(theirs.pk), "add"),
        ]
    )
    assert not duplicate.entries.exists()
    assert Contact.objects.get(pk=ada.pk).last_interaction == at(4)


def test_the_same_moment_in_another_time_zone_is_no_change(user, ada):
    entry = add([ada], user, "call", T, text="Hello")
    paris = T.astimezone(datetime.timezone(datetime.timedelta(hours=2)))
    Change.objects.all().delete()
    entry_change(entry=entry, author=user, contacts=[ada], kind="call", at=paris, text="Hello")
    assert not Change.objects.exists()
