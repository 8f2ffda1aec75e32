"""Restoring a contact to a moment of its history, and undoing an operation."""

import pytest

from crm.exceptions import ConcurrentChange
from crm.models import Change, Contact
from crm.services.contacts import contact_save
from crm.services.history import source
from crm.services.relationships import relationship_add, relationship_remove
from crm.services.restore import contact_restore_to, operation_undo

pytestmark = pytest.mark.django_db


def save(contact, *, phones=(), emails=(), tags=(), addresses=(), **fields):
    """Save ``contact`` through the form's workflow, as one operation; return its last change."""
    for name, value in fields.items():
        setattr(contact, name, value)
    with source("form"):
        contact_save(
            contact=contact,
            phones=list(phones),
            addresses=list(addresses),
            tags=list(tags),
            emails=[{"address": a, "label": "home"} for a in emails],
            urls=[],
            dates=[],
        )
    return Change.objects.filter(contact=contact).first()


def state(contact):
    contact = Contact.objects.get(pk=contact.pk)
    return {
        "name": contact.name,
        "job_title": contact.job_title,
        "phones": sorted(contact.phone_links.values_list("phone__number", "label")),
        "emails": sorted(contact.emails.values_list("address", "primary")),
        "tags": sorted(contact.tags.values_list("name", flat=True)),
    }


@pytest.fixture
def edited():
    """Ada, saved twice: the moment between the saves, and the state then."""
    ada = Contact(name="Ada Lovelace")
    moment = save(ada, phones=[("555 0100", "mobile")], emails=["ada@example.org"], tags=["VIP"])
    then = state(ada)
    save(
        ada,
        name="Ada King",
        job_title="Countess",
        phones=[("555 0100", "office"), ("555 0200", "home")],
        emails=["ada@king.example"],
        tags=["Press"],
    )
    return ada, moment, then


def test_a_contact_is_restored_to_a_moment_with_its_fields_and_links(edited):
    ada, moment, then = edited
    contact_restore_to(contact=ada, change=moment)
    assert state(ada) == then
    restore = Change.objects.filter(contact=ada).first()
    assert (restore.source, restore.ref) == ("restore", str(moment.pk))


def test_a_restore_can_be_undone(edited):
    ada, moment, _ = edited
    before = state(ada)
    contact_restore_to(contact=ada, change=moment)
    restore = Change.objects.filter(contact=ada).first()
    assert operation_undo(operation=restore.operation) == []
    assert state(ada) == before
    assert Change.objects.filter(contact=ada).first().source == "undo"


def test_undoing_an_edit_reports_a_field_changed_since_and_keeps_it(edited):
    ada, _, then = edited
    edit = Change.objects.filter(contact=ada).first()
    save(
        ada,
        job_title="Analyst",
        phones=[("555 0100", "office"), ("555 0200", "home")],
        emails=["ada@king.example"],
        tags=["Press"],
    )
    report = operation_undo(operation=edit.operation)
    assert report == ["Ada King: the job title changed since, so it was kept."]
    now = state(ada)
    assert now["job_title"] == "Analyst"
    assert (now["name"], now["phones"], now["emails"], now["tags"]) == (
        then["name"],
        then["phones"],
        then["emails"],
        then["tags"],
    )


def test_a_restore_refuses_when_the_contact_changed_since_it_was_shown(edited):
    ada, moment, _ = edited
    seen = Change.objects.filter(contact=ada).first().pk
    save(ada, name="Someone Else")
    with pytest.raises(ConcurrentChange):
        contact_restore_to(contact=ada, change=moment, seen=seen)
    assert Contact.objects.get(pk=ada.pk).name == "Someone Else"


def test_a_relationship_comes_back_with_its_types(ada, charles, colleague, friend):
    relationship_add(contact=ada, other=charles, types=[colleague, friend])
    moment = Change.objects.filter(contact=ada).first()
    relationship_remove(contact=ada, other=charles)
    contact_restore_to(contact=ada, change=moment)
    types = ada.relationships.get(to_contact=charles).types.values_list("name", flat=True)
    assert sorted(types) == sorted([colleague.name, friend.name])
    back = charles.relationships.get(to_contact=ada).types.count()
    assert back == 2
