import pytest

from crm.exceptions import ContactGone, NotRelated, SelfRelationship
from crm.models import Change, Contact, ContactRelationship
from crm.services.relationships import (
    relationship_add,
    relationship_remove,
    relationship_set,
    relationship_set_types,
)

pytestmark = pytest.mark.django_db


def pairs():
    """Return {(from, to): {type names}} for every relationship row."""
    return {
        (row.from_contact.name, row.to_contact.name): {t.name for t in row.types.all()}
        for row in ContactRelationship.objects.select_related("from_contact", "to_contact")
    }


def test_relate_writes_both_rows_with_the_same_types(ada, charles, colleague, friend):
    row, created = relationship_add(contact=ada, other=charles, types=[colleague, friend])
    assert created
    assert (row.from_contact, row.to_contact) == (ada, charles)
    assert pairs() == {
        ("Ada Lovelace", "Charles Babbage"): {"Colleague", "Friend"},
        ("Charles Babbage", "Ada Lovelace"): {"Colleague", "Friend"},
    }


def test_relating_again_from_either_side_adds_types(ada, charles, colleague, friend):
    relationship_add(contact=ada, other=charles, types=[colleague])
    _, created = relationship_add(contact=charles, other=ada, types=[friend])
    assert not created
    assert set(map(frozenset, pairs().values())) == {frozenset({"Colleague", "Friend"})}
    assert ContactRelationship.objects.count() == 2


def test_a_contact_cannot_be_related_to_itself(ada):
    with pytest.raises(SelfRelationship):
        relationship_add(contact=ada, other=ada)
    with pytest.raises(SelfRelationship):
        relationship_set_types(contact=ada, other=ada, types=[])
    assert not ContactRelationship.objects.exists()


def test_relating_a_deleted_contact_says_so(ada, charles):
    Contact.objects.filter(pk=charles.pk).delete()
    with pytest.raises(ContactGone, match="Charles Babbage no longer exists"):
        relationship_add(contact=ada, other=charles)
    assert not ContactRelationship.objects.exists()


def test_set_types_changes_both_rows(ada, charles, colleague, friend):
    relationship_add(contact=ada, other=charles, types=[colleague])
    relationship_set_types(contact=charles, other=ada, types=[friend])
    assert set(map(frozenset, pairs().values())) == {frozenset({"Friend"})}
    relationship_set_types(contact=ada, other=charles, types=[])
    assert set(map(frozenset, pairs().values())) == {frozenset()}


def test_set_types_of_contacts_not_related_says_so(ada, charles, colleague):
    with pytest.raises(NotRelated):
        relationship_set_types(contact=ada, other=charles, types=[colleague])
    assert not ContactRelationship.objects.exists()


def test_unrelate_removes_both_rows_and_is_harmless_twice(ada, charles, colleague):
    relationship_add(contact=ada, other=charles, types=[colleague])
    assert relationship_remove(contact=charles, other=ada)
    assert not ContactRelationship.objects.exists()
    assert not relationship_remove(contact=ada, other=charles)


def test_a_half_pair_made_by_hand_is_repaired(ada, charles, colleague):
    ContactRelationship.objects.create(from_contact=ada, to_contact=charles)
    relationship_set_types(contact=ada, other=charles, types=[colleague])
    assert set(pairs()) == {
        ("Ada Lovelace", "Charles Babbage"),
        ("Charles Babbage", "Ada Lovelace"),
    }
    ContactRelationship.objects.filter(from_contact=charles).delete()
    relationship_add(contact=charles, other=ada)
    assert set(map(frozenset, pairs().values())) == {frozenset({"Colleague"})}


def test_set_relates_or_changes_the_types_to_exactly_those(ada, charles, colleague, friend):
    row, created = relationship_set(contact=ada, other=charles, types=[colleague])
    assert created and (row.from_contact, row.to_contact) == (ada, charles)
    row, created = relationship_set(contact=charles, other=ada, types=[friend])
    assert not created and (row.from_contact, row.to_contact) == (charles, ada)
    assert set(map(frozenset, pairs().values())) == {frozenset({"Friend"})}
    changes = Change.objects.filter(kind="relationship", contact=ada).order_by("id")
    assert [(c.action, c.after["types"]) for c in changes] == [
        ("add", ["Colleague"]),
        ("change", ["Friend"]),
    ]
    with pytest.raises(SelfRelationship):
        relationship_set(contact=ada, other=ada, types=[])
