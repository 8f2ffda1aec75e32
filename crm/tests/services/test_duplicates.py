import pytest

from crm.exceptions import ConcurrentChange, ContactGone, SelfRelationship
from crm.models import Address, Contact, ContactRelationship, Phone, Tag
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
    assert (merged.name, merged.notes) == ("Ada Lovelace", "Met in Paris")
    assert list(merged.emails.values_list("address", "primary")) == [("ada@example.org", True)]
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


def tags(*names):
    return [
        Tag.objects.get_or_create(slug=name.lower(), defaults={"name": name})[0] for name in names
    ]


def fully_filled(name, *, email, emails, phone, city, tag_names, urls, dates, **fields):
    contact = make_contact(
        name, email=email, emails=emails, phones=[phone], addresses=[city], **fields
    )
    contact.tags.add(*tags(*tag_names))
    for url, label in urls:
        contact.urls.create(url=url, label=label)
    for kind, label, year, month, day in dates:
        contact.dates.create(kind=kind, label=label, year=year, month=month, day=day)
    return contact


@pytest.fixture
def filled_pair():
    """Two fully filled contacts, with some of everything in common and some not."""
    keep = fully_filled(
        "Ada Lovelace",
        given_name="Ada",
        family_name="Lovelace",
        organization="Analytical Engines",
        job_title="Analyst",
        email="ada@example.org",
        emails=["countess@example.org"],
        phone="+44 20 7946 0958",
        city="London",
        tag_names=["VIP", "Maths"],
        urls=[("https://ada.example.org/", "home")],
        dates=[("birthday", "", 1815, 12, 10), ("other", "First program", 1843, 9, 1)],
    )
    duplicate = fully_filled(
        "Augusta Ada King",
        given_name="Augusta Ada",
        family_name="King",
        honorific_prefix="Countess",
        nickname="Ada",
        job_title="Mathematician",
        email="ADA@example.org",
        emails=["augusta@example.org"],
        phone="+33 6 12 34 56 78",
        city="Paris",
        tag_names=["maths", "Poets"],
        urls=[("https://ada.example.org/", "blog"), ("https://king.example.org/", "work")],
        dates=[("birthday", "", 1816, 12, 10), ("anniversary", "", 1835, 7, 8)],
    )
    return keep, duplicate


def test_merging_a_fully_filled_pair_keeps_everything_of_both(filled_pair):
    keep, duplicate = filled_pair
    merged = contact_merge(
        keep=keep,
        duplicate=duplicate,
        name="Augusta Ada King",
        job_title="Mathematician",
        primary_email="augusta@example.org",
    )
    assert list(Contact.objects.all()) == [merged]
    # Chosen, kept where not chosen, and filled where keep had nothing.
    assert (merged.name, merged.given_name, merged.family_name, merged.job_title) == (
        "Augusta Ada King",
        "Ada",
        "Lovelace",
        "Mathematician",
    )
    assert (merged.honorific_prefix, merged.nickname, merged.organization) == (
        "Countess",
        "Ada",
        "Analytical Engines",
    )
    # Every address once, in keep's spelling and label; one primary: the chosen one.
    assert sorted(merged.emails.values_list("address", "label", "primary")) == [
        ("ada@example.org", "home", False),
        ("augusta@example.org", "home", True),
        ("countess@example.org", "home", False),
    ]
    assert list(merged.urls.order_by("url").values_list("url", "label")) == [
        ("https://ada.example.org/", "home"),
        ("https://king.example.org/", "work"),
    ]
    assert sorted(merged.tags.values_list("name", flat=True)) == ["Maths", "Poets", "VIP"]
    assert sorted(merged.phones.values_list("e164", flat=True)) == [
        "+33612345678",
        "+442079460958",
    ]
    assert sorted(merged.addresses.values_list("city", flat=True)) == ["London", "Paris"]
    assert sorted((d.title, d.iso) for d in merged.dates.all()) == [
        ("Anniversary", "1835-07-08"),
        ("Birthday", "1815-12-10"),
        ("Birthday (from Augusta Ada King)", "1816-12-10"),
        ("First program", "1843-09-01"),
    ]


def test_merging_without_choices_keeps_the_kept_contacts_values_and_primary(filled_pair):
    keep, duplicate = filled_pair
    merged = contact_merge(keep=keep, duplicate=duplicate)
    assert (merged.name, merged.given_name, merged.job_title, merged.nickname) == (
        "Ada Lovelace",
        "Ada",
        "Analyst",
        "Ada",
    )
    assert merged.emails.get(primary=True).address == "ada@example.org"
    assert merged.emails.count() == 3


def test_the_same_date_is_kept_once_with_the_year_either_knew():
    keep = make_contact("Ada")
    keep.dates.create(kind="birthday", month=12, day=10)
    keep.dates.create(kind="other", label="Name day", month=7, day=26)
    duplicate = make_contact("Ada L.")
    duplicate.dates.create(kind="birthday", year=1815, month=12, day=10)
    duplicate.dates.create(kind="other", label="name DAY", month=7, day=26)
    duplicate.dates.create(kind="other", label="Graduation", month=7, day=26)
    merged = contact_merge(keep=keep, duplicate=duplicate)
    assert sorted((d.title, d.iso) for d in merged.dates.all()) == [
        ("Birthday", "1815-12-10"),
        ("Graduation", "--07-26"),
        ("Name day", "--07-26"),
    ]


def test_a_long_name_is_shortened_to_fit_the_label_of_a_date_it_brings():
    keep, duplicate = make_contact("Ada"), make_contact("Aurelia " + "Wolfeschlegelstein" * 5)
    keep.dates.create(kind="anniversary", year=1835, month=7, day=8)
    duplicate.dates.create(kind="anniversary", year=1836, month=7, day=8)
    merged = contact_merge(keep=keep, duplicate=duplicate)
    label = merged.dates.get(kind="other").label
    assert label.startswith("Anniversary (from Aurelia Wolfe") and label.endswith("…)")
    assert len(label) == 50


def test_a_primary_email_neither_has_any_more_merges_nothing():
    keep = make_contact("Ada", email="ada@example.org")
    duplicate = make_contact("Ada", email="lovelace@example.org")
    with pytest.raises(ConcurrentChange, match="gone@example.org is no longer an email"):
        contact_merge(keep=keep, duplicate=duplicate, primary_email="gone@example.org")
    assert Contact.objects.count() == 2
    assert keep.emails.get().primary


def test_a_field_of_no_contact_is_refused():
    keep, duplicate = make_contact("Ada"), make_contact("Ada")
    with pytest.raises(TypeError, match="email"):
        contact_merge(keep=keep, duplicate=duplicate, email="ada@example.org")
