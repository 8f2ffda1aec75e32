"""Undoing a merge: the merged-away contact comes back with exactly its own."""

import pytest
from django.utils import timezone

from crm.models import Change, Contact, ContactRelationship
from crm.services.contacts import contact_save
from crm.services.duplicates import contact_merge
from crm.services.history import source
from crm.services.relationships import relationship_add
from crm.services.restore import operation_undo
from crm.services.timeline import entry_add
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db


def holdings(contact):
    """Return what ``contact`` holds, as a user sees it."""
    contact = Contact.all_objects.get(pk=contact.pk)
    return {
        "fields": (contact.name, contact.job_title, contact.organization),
        "emails": sorted(contact.emails.values_list("address", "primary")),
        "phones": sorted(contact.phone_links.values_list("phone__number", "label")),
        "addresses": sorted(contact.address_links.values_list("address__city", "label")),
        "tags": sorted(contact.tags.values_list("name", flat=True)),
        "dates": sorted(date.iso for date in contact.dates.all()),
        "entries": sorted(contact.entries.values_list("text", flat=True)),
        "last_interaction": contact.last_interaction,
        "related": sorted(
            (r.to_contact_id, tuple(sorted(t.name for t in r.types.all())))
            for r in ContactRelationship.objects.filter(from_contact=contact)
        ),
    }


@pytest.fixture
def merged(user, colleague, friend):
    """Ada kept, her duplicate merged into her, Charles related to both; and what each held."""
    keep = make_contact("Ada Lovelace", email="ada@example.org", phones=["555 0100"])
    duplicate = make_contact(
        "Ada King",
        email="ada@king.example",
        emails=["ADA@example.org"],
        phones=["555 0100", "555 0199"],
        addresses=["London"],
        job_title="Countess",
    )
    duplicate.tags.create(name="Poet", slug="poet")
    duplicate.dates.create(kind="birthday", year=1815, month=12, day=10)
    charles = make_contact("Charles Babbage")
    relationship_add(contact=duplicate, other=charles, types=[colleague])
    relationship_add(contact=keep, other=duplicate, types=[friend])
    now = timezone.now()
    entry_add(contacts=[duplicate, charles], author=user, kind="call", at=now, text="A call")
    entry_add(contacts=[duplicate, keep], author=user, kind="meeting", at=now, text="Both met")
    entry_add(contacts=[keep], author=user, kind="note", at=now, text="Keep's note")
    before = {c.pk: holdings(c) for c in (keep, duplicate, charles)}
    with source("form", author=user):
        contact_merge(keep=keep, duplicate=duplicate, name="Ada Lovelace")
    return keep, duplicate, charles, before


def test_undoing_a_merge_brings_the_duplicate_back_with_exactly_its_own(merged):
    keep, duplicate, charles, before = merged
    assert not Contact.objects.filter(pk=duplicate.pk).exists()
    operation = Change.objects.filter(contact=keep, source="merge").first().operation
    assert operation_undo(operation=operation) == []
    assert Contact.objects.filter(pk=duplicate.pk).exists()
    for contact in (keep, duplicate, charles):
        assert holdings(contact) == before[contact.pk], contact.name
    back = Contact.objects.get(pk=duplicate.pk)
    assert (back.trashed, back.merged_into) == (None, None)
    # Its history before the merge is its own still.
    assert Change.objects.filter(contact=duplicate, source="command").exists()


def test_a_field_edited_since_the_merge_is_reported_and_kept(merged):
    keep, duplicate, charles, before = merged
    operation = Change.objects.filter(contact=keep, source="merge").first().operation
    keep.refresh_from_db()
    assert keep.job_title == "Countess"  # taken from the duplicate
    keep.job_title = "Analyst"
    with source("form"):
        contact_save(
            contact=keep,
            phones=list(keep.phone_links.values_list("phone__number", "label")),
            addresses=[],
        )
    report = operation_undo(operation=operation)
    assert report == ["Ada Lovelace: the job title changed since, so it was kept."]
    assert Contact.objects.get(pk=keep.pk).job_title == "Analyst"
    assert holdings(duplicate) == before[duplicate.pk]
