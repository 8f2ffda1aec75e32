import pytest

from crm.exceptions import ContactGone, SelfRelationship
from crm.models import (
    Address,
    Contact,
    ContactRelationship,
    Phone,
)
from crm.services.duplicates import contact_merge
from crm.services.relationships import relationship_add
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db


def relationships():
    """Return {(from, to): {type names}} for every relationship row."""
    return {
        (row.from_contact.name, row.to_contact.name): {t.name for t in row.types.all()}
        for row in ContactRelationship.objects.select_related("from_contact", "to_contact")
    }


def test_merge_keeps_chosen_values_and_every_phone_and_address():
    keep = make_contact(
        "Ada Lovelace",
        phones=["555 0100", "555 0101"],
        addresses=["London"],
        email="ada@example.org",
    )
    duplicate = make_contact(
        "Ada  Lovelace", phones=["555-0101", "555 0199"], addresses=["Paris"], notes="Met in Paris"
    )
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


def test_merge_keeps_the_labels_of_both_contacts_links():
    office = Address.objects.create(city="London")
    keep = make_contact(
        "Ada Lovelace", phones=[("555 0100", "office")], addresses=[(office, "work")]
    )
    duplicate = make_contact(
        "Ada  Lovelace",
        phones=[("555 0100", "mobile"), ("555 0199", "home")],
        addresses=[(office, "home"), ("Paris", "other")],
    )
    merged = contact_merge(keep=keep, duplicate=duplicate)
    # Keep's link wins where both had the phone or address; the others keep their own.
    assert list(merged.phone_links.order_by("pk").values_list("phone__number", "label")) == [
        ("555 0100", "office"),
        ("555 0199", "home"),
    ]
    assert list(merged.address_links.order_by("pk").values_list("address__city", "label")) == [
        ("London", "work"),
        ("Paris", "other"),
    ]


def test_merge_moves_relationships_drops_the_self_one_and_unions_colliding_types(
    relationship_types,
):
    keep, duplicate = make_contact("Ada"), make_contact("Ada L.")
    babbage, byron = make_contact("Babbage"), make_contact("Byron")
    relationship_add(contact=keep, other=duplicate, types=[relationship_types["Friend"]])
    relationship_add(contact=duplicate, other=babbage, types=[relationship_types["Colleague"]])
    relationship_add(contact=keep, other=byron, types=[relationship_types["Friend"]])
    relationship_add(contact=byron, other=duplicate, types=[relationship_types["Mentor"]])

    contact_merge(keep=keep, duplicate=duplicate)

    assert relationships() == {
        ("Ada", "Babbage"): {"Colleague"},
        ("Babbage", "Ada"): {"Colleague"},
        ("Ada", "Byron"): {"Friend", "Mentor"},
        ("Byron", "Ada"): {"Friend", "Mentor"},
    }


def test_merging_a_contact_with_itself_is_refused():
    ada = make_contact("Ada")
    with pytest.raises(SelfRelationship):
        contact_merge(keep=ada, duplicate=ada)
    assert Contact.objects.count() == 1


def test_merging_a_contact_merged_already_says_so_and_changes_nothing():
    keep, duplicate = (
        make_contact("Ada", phones=["555 0100"]),
        make_contact("Ada", phones=["555 0199"]),
    )
    contact_merge(keep=keep, duplicate=duplicate)
    with pytest.raises(ContactGone, match="Ada no longer exists"):
        contact_merge(keep=duplicate, duplicate=keep, name="Changed")
    assert Contact.objects.get().name == "Ada"
