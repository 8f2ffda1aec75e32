import pytest

from crm.exceptions import ContactGone, SelfRelationship
from crm.models import (
    Address,
    Contact,
    ContactRelationship,
    Phone,
    RelationshipType,
)
from crm.phones import normalize_phone
from crm.services.duplicates import contact_merge
from crm.services.relationships import relationship_add

pytestmark = pytest.mark.django_db


def contact(name, phones=(), addresses=(), **fields):
    contact = Contact.objects.create(name=name, **fields)
    contact.phones.add(
        *[
            Phone.objects.get_or_create(digits=normalize_phone(n), defaults={"number": n})[0]
            for n in phones
        ]
    )
    contact.addresses.add(*[Address.objects.create(city=city) for city in addresses])
    return contact


@pytest.fixture
def kinds():
    return {
        name: RelationshipType.objects.create(name=name, slug=name.lower())
        for name in ["Colleague", "Friend", "Mentor"]
    }


def relationships():
    """Return {(from, to): {type names}} for every relationship row."""
    return {
        (row.from_contact.name, row.to_contact.name): {t.name for t in row.types.all()}
        for row in ContactRelationship.objects.select_related("from_contact", "to_contact")
    }


def test_merge_keeps_chosen_values_and_every_phone_and_address():
    keep = contact("Ada Lovelace", ["555 0100", "555 0101"], ["London"], email="ada@example.org")
    duplicate = contact("Ada  Lovelace", ["555-0101", "555 0199"], ["Paris"], notes="Met in Paris")
    merged = contact_merge(keep=keep, duplicate=duplicate, notes="Met in Paris")
    assert list(Contact.objects.all()) == [merged]
    assert (merged.name, merged.email, merged.notes) == (
        "Ada Lovelace",
        "ada@example.org",
        "Met in Paris",
    )
    assert sorted(merged.phones.values_list("digits", flat=True)) == [
        "5550100",
        "5550101",
        "5550199",
    ]
    assert sorted(merged.addresses.values_list("city", flat=True)) == ["London", "Paris"]
    # Nothing is left without a contact.
    assert not Phone.objects.filter(contacts=None).exists()
    assert not Address.objects.filter(contacts=None).exists()


def test_merge_moves_relationships_drops_the_self_one_and_unions_colliding_types(kinds):
    keep, duplicate = contact("Ada"), contact("Ada L.")
    babbage, byron = contact("Babbage"), contact("Byron")
    relationship_add(contact=keep, other=duplicate, types=[kinds["Friend"]])
    relationship_add(contact=duplicate, other=babbage, types=[kinds["Colleague"]])
    relationship_add(contact=keep, other=byron, types=[kinds["Friend"]])
    relationship_add(contact=byron, other=duplicate, types=[kinds["Mentor"]])

    contact_merge(keep=keep, duplicate=duplicate)

    assert relationships() == {
        ("Ada", "Babbage"): {"Colleague"},
        ("Babbage", "Ada"): {"Colleague"},
        ("Ada", "Byron"): {"Friend", "Mentor"},
        ("Byron", "Ada"): {"Friend", "Mentor"},
    }


def test_merging_a_contact_with_itself_is_refused():
    ada = contact("Ada")
    with pytest.raises(SelfRelationship):
        contact_merge(keep=ada, duplicate=ada)
    assert Contact.objects.count() == 1


def test_merging_a_contact_merged_already_says_so_and_changes_nothing():
    keep, duplicate = contact("Ada", ["555 0100"]), contact("Ada", ["555 0199"])
    contact_merge(keep=keep, duplicate=duplicate)
    with pytest.raises(ContactGone, match="Ada no longer exists"):
        contact_merge(keep=duplicate, duplicate=keep, name="Changed")
    assert Contact.objects.get().name == "Ada"
