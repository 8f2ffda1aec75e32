"""The trash's workflows: move to the trash, restore, delete for good, purge; and merges."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.exceptions import ContactGone
from crm.models import Address, Change, Contact, ContactRelationship, Entry, Phone, Tag
from crm.services import trash
from crm.services.contacts import contact_save
from crm.services.duplicates import contact_merge
from crm.services.relationships import relationship_add
from crm.services.timeline import entry_add
from crm.services.trash import (
    contact_destroy,
    contact_restore,
    contact_trash,
    contacts_trash,
    trash_purge,
)
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def full(friend):
    """Return Ada with a row of every kind, related to Charles, and Charles."""
    ada = make_contact(
        "Ada Lovelace", phones=["555 0100"], addresses=["London"], email="ada@example.org"
    )
    ada.urls.create(url="https://ada.example/")
    ada.dates.create(kind="birthday", year=1815, month=12, day=10)
    ada.tags.add(Tag.objects.create(name="VIP", slug="vip"))
    charles = make_contact("Charles Babbage")
    relationship_add(contact=ada, other=charles, types=[friend])
    return ada, charles


def held(contact):
    """Return what ``contact`` holds, as a restore must bring it back."""
    return {
        "emails": list(contact.emails.values_list("address", "primary")),
        "phones": list(contact.phone_links.values_list("phone__number", "label")),
        "addresses": list(contact.address_links.values_list("address__city", "label")),
        "urls": list(contact.urls.values_list("url", flat=True)),
        "dates": list(contact.dates.values_list("kind", "year", "month", "day")),
        "tags": list(contact.tags.values_list("name", flat=True)),
        "relationships": list(
            ContactRelationship.objects.filter(from_contact=contact).values_list(
                "to_contact", "types__name"
            )
        ),
    }


def test_a_contact_in_the_trash_keeps_everything_and_comes_back_whole(full, user):
    ada, charles = full
    before = held(ada)
    contact_trash(contact=ada, by=user)
    assert list(Contact.objects.all()) == [charles]
    trashed = Contact.all_objects.get(pk=ada.pk)
    assert trashed.trashed is not None and trashed.trashed_by == user
    assert held(ada) == before
    contact_restore(contact=ada)
    restored = Contact.objects.get(pk=ada.pk)
    assert (restored.trashed, restored.trashed_by, restored.merged_into) == (None, None, None)
    assert held(ada) == before
    assert list(Contact.objects.search("london")) == [restored]


def test_a_contact_trashed_or_restored_twice_is_reported_gone(ada):
    contact_trash(contact=ada)
    with pytest.raises(ContactGone, match="Ada Lovelace no longer exists"):
        contact_trash(contact=ada)
    contact_restore(contact=ada)
    with pytest.raises(ContactGone, match="is no longer in the trash"):
        contact_restore(contact=ada)
    with pytest.raises(ContactGone, match="is no longer in the trash"):
        contact_destroy(contact=ada)
    assert Contact.objects.get() == ada


def test_a_restored_contact_is_found_by_what_changed_while_it_was_in_the_trash():
    office = Address.objects.create(city="London", street="1 Main Street")
    ada = make_contact("Ada Lovelace", addresses=[office])
    charles = make_contact("Charles Babbage", addresses=[office])
    contact_trash(contact=ada)
    contact_save(contact=charles, phones=[], addresses=[{"id": office.pk, "city": "Paris"}])
    contact_restore(contact=ada)
    assert set(Contact.objects.search("paris")) == {ada, charles}


def test_deleting_for_good_keeps_rows_other_contacts_use_even_in_the_trash():
    office = Phone.objects.create(number="555 0100")
    ada = make_contact("Ada Lovelace", phones=[office, "555 0200"], addresses=["London"])
    charles = make_contact("Charles Babbage", phones=[office])
    contact_trash(contact=charles)
    contact_trash(contact=ada)
    contact_destroy(contact=ada)
    assert not Contact.all_objects.filter(pk=ada.pk).exists()
    # Charles, in the trash, may come back: his office line stays.
    assert list(Phone.objects.all()) == [office]
    assert not Address.objects.exists()
    contact_restore(contact=charles)
    assert list(Contact.objects.get().phones.all()) == [office]


def test_deleting_for_good_takes_the_entries_nobody_else_took_part_in(user):
    ada, charles = make_contact("Ada Lovelace"), make_contact("Charles Babbage")
    now = timezone.now()
    alone = entry_add(contacts=[ada], author=user, kind="call", at=now, text="Alone")
    shared = entry_add(contacts=[ada, charles], author=user, kind="meeting", at=now)
    contact_trash(contact=ada)
    contact_destroy(contact=ada)
    assert list(Entry.objects.all()) == [shared]
    assert list(shared.contacts.all()) == [charles]
    assert not Entry.objects.filter(pk=alone.pk).exists()


def test_an_entry_does_not_name_a_contact_in_the_trash(user):
    ada, charles = make_contact("Ada Lovelace"), make_contact("Charles Babbage")
    entry = entry_add(contacts=[ada, charles], author=user, kind="call", at=timezone.now())
    contact_trash(contact=charles)
    shown = Entry.objects.filter(pk=entry.pk).with_contacts(user=user).get().contact_list
    assert [row["name"] for row in shown] == ["Ada Lovelace"]


def test_bulk_trash_counts_only_live_contacts_and_records_who(user):
    ada, bob, cy = (make_contact(name) for name in ("Ada", "Bob", "Cy"))
    contact_trash(contact=bob)
    selection = Contact.all_objects.filter(pk__in=[ada.pk, bob.pk])
    # The caller's selection, read again under the locks: Bob is in the trash already.
    assert contacts_trash(contacts=selection.filter(trashed=None), by=user) == 1
    assert list(Contact.objects.all()) == [cy]
    assert Contact.all_objects.get(pk=ada.pk).trashed_by == user
    assert Contact.all_objects.get(pk=bob.pk).trashed_by is None


def test_the_purge_deletes_for_good_only_contacts_past_their_days():
    old, recent = make_contact("Old", phones=["555 0100"]), make_contact("Recent")
    live = make_contact("Live")
    contact_trash(contact=old)
    contact_trash(contact=recent)
    Contact.all_objects.filter(pk=old.pk).update(
        trashed=timezone.now() - datetime.timedelta(days=31)
    )
    calls = []
    assert trash_purge(days=30, progress=lambda done, total: calls.append((done, total))) == 1
    assert calls == [(1, 1)]
    assert set(Contact.all_objects.all()) == {recent, live}
    assert not Phone.objects.exists()
    assert trash_purge(days=30) == 0
    assert trash_purge(days=0) == 1
    assert list(Contact.all_objects.all()) == [live]


def test_the_purge_goes_by_batches(monkeypatch):
    monkeypatch.setattr(trash, "BATCH", 2)
    for i in range(5):
        contact_trash(contact=make_contact(f"Person {i}"))
    calls = []
    assert trash_purge(days=0, progress=lambda done, total: calls.append((done, total))) == 5
    assert calls == [(2, 5), (4, 5), (5, 5)]
    assert not Contact.all_objects.exists()


def test_a_merge_moves_the_duplicate_to_the_trash_holding_nothing(full, friend):
    ada, charles = full
    duplicate = make_contact("Ada Lovelace", phones=["555 0100"], email="ADA@example.org")
    relationship_add(contact=duplicate, other=charles, types=[friend])
    relationship_add(contact=duplicate, other=ada, types=[friend])
    contact_merge(keep=ada, duplicate=duplicate)
    assert set(Contact.objects.all()) == {ada, charles}
    gone = Contact.all_objects.get(pk=duplicate.pk)
    assert gone.trashed is not None and gone.merged_into == ada
    # Not in the trash's list: undoing the merge brings it back.
    assert not Contact.all_objects.in_trash().exists()
    assert all(not rows for rows in held(gone).values())
    assert not ContactRelationship.objects.filter(to_contact=duplicate).exists()
    assert held(ada)["relationships"] == [(charles.pk, "Friend")]
    # A purge deletes it like any contact in the trash; its kept contact stays.
    assert trash_purge(days=0) == 1
    assert set(Contact.all_objects.all()) == {ada, charles}


def test_trash_and_restore_are_recorded_in_the_history(logged_in_client, user):
    ada = make_contact("Ada Lovelace", phones=["555 0100"])
    logged_in_client.post(reverse("crm:contact_delete", args=[ada.pk]))
    trashed = Change.objects.get()
    assert (trashed.kind, trashed.action, trashed.source) == ("contact", "change", "trash")
    assert trashed.author == user
    assert trashed.before == {"trashed": None, "trashed_by_id": None}
    assert trashed.after == {
        "trashed": Contact.all_objects.get().trashed.isoformat(),
        "trashed_by_id": user.pk,
    }
    logged_in_client.post(reverse("crm:trash_restore", args=[ada.pk]))
    restored = Change.objects.latest("id")
    assert (restored.source, restored.author, restored.after) == (
        "restore",
        user,
        {"trashed": None, "trashed_by_id": None},
    )
    assert restored.operation != trashed.operation
    # Deleted for good, the contact takes its history with it.
    contact_trash(contact=ada)
    contact_destroy(contact=ada)
    assert not Change.objects.exists()


def test_a_bulk_trash_records_each_contact_once_in_one_operation(logged_in_client, user):
    contacts = [make_contact(f"Person {i}") for i in range(3)]
    data = {"action": "delete", "ids": [c.pk for c in contacts], "confirmed": "1", "list": ""}
    logged_in_client.post(reverse("crm:contact_bulk"), data)
    rows = Change.objects.all()
    assert sorted(rows.values_list("contact", flat=True)) == [c.pk for c in contacts]
    assert {(c.kind, c.source, c.author_id) for c in rows} == {("contact", "trash", user.pk)}
    assert len({c.operation for c in rows}) == 1
