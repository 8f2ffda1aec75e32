import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from crm.models import Contact, ContactDate, ContactRelationship, Phone, RelationshipType
from crm.phones import phone_key
from crm.services.relationships import relationship_add
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_self_relationship_is_refused_by_the_database():
    ada = make_contact()
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactRelationship.objects.create(from_contact=ada, to_contact=ada)


def test_duplicate_pair_is_refused_by_the_database():
    ada, charles = make_contact(), make_contact("Charles Babbage")
    ContactRelationship.objects.create(from_contact=ada, to_contact=charles)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactRelationship.objects.create(from_contact=ada, to_contact=charles)


def test_related_contacts_are_read_through_the_many_to_many_but_not_written():
    ada, charles, byron = make_contact(), make_contact("Charles Babbage"), make_contact("Byron")
    relationship_add(contact=ada, other=charles)
    assert list(charles.contacts.all()) == [ada]
    assert list(ada.contacts.all()) == [charles]
    for write in (
        lambda: ada.contacts.add(byron, through_defaults={}),
        lambda: charles.contacts.remove(ada),
        lambda: ada.contacts.set([]),
        lambda: ada.contacts.clear(),
        lambda: ada.contacts.create(name="Someone"),
    ):
        with pytest.raises(TypeError, match="read-only"):
            write()
    assert ContactRelationship.objects.count() == 2
    assert Contact.objects.count() == 3


def test_relationship_types_are_kept_per_row():
    colleague = RelationshipType.objects.create(name="Colleague", slug="colleague")
    ada, charles = make_contact(), make_contact("Charles Babbage")
    relationship_add(contact=ada, other=charles, types=[colleague])
    assert RelationshipType.objects.get().relationships.count() == 2


def test_deleting_a_contact_keeps_the_other_contact():
    ada, charles = make_contact(), make_contact("Charles Babbage")
    relationship_add(contact=ada, other=charles)
    ada.delete()
    assert list(Contact.objects.all()) == [charles]
    assert not ContactRelationship.objects.exists()


def test_one_phone_per_number_whatever_the_punctuation():
    Phone.objects.create(number="(555) 01-23")
    with pytest.raises(IntegrityError), transaction.atomic():
        Phone.objects.create(number="555 0123")
    Phone.objects.create(number="+1 (200) 000-0682")
    with pytest.raises(IntegrityError), transaction.atomic():
        Phone.objects.create(number="200 000 0682")


def test_phone_key_and_sort_name_are_derived_on_save():
    assert phone_key("+1 (555) 01-23") == "15550123"
    phone = Phone.objects.create(number="+1 (555) 01-23")
    assert (phone.digits, phone.e164) == ("15550123", "")
    phone = Phone.objects.create(number="(200) 000-0682")
    assert (phone.digits, phone.e164) == ("12000000682", "+12000000682")
    phone.number = "06 12 34 56 78"
    phone.save(update_fields=["number"])
    phone.refresh_from_db()
    assert (phone.digits, phone.e164) == ("0612345678", "")
    contact = make_contact("  Grace   HOPPER ")
    assert contact.sort_name == "grace hopper"


def test_sort_name_ignores_accents():
    assert make_contact("  Adá  COSTA").sort_name == "ada costa"
    assert make_contact("Élodie Müller").sort_name == "elodie muller"


def test_a_phone_can_be_shared_by_several_contacts():
    office = Phone.objects.create(number="555 0100")
    ada, charles = make_contact(), make_contact("Charles Babbage")
    ada.phones.add(office)
    charles.phones.add(office, through_defaults={"label": Phone.Label.OFFICE})
    assert set(office.contacts.all()) == {ada, charles}
    # Each contact's label is its own.
    assert ada.phone_links.get().label == Phone.Label.MOBILE
    assert charles.phone_links.get().label == Phone.Label.OFFICE


def test_full_clean_checks_a_phones_digits_as_errors_of_its_number():
    Phone.objects.create(number="(555) 01-23")
    with pytest.raises(ValidationError) as taken:
        Phone(number="555 0123").full_clean()
    assert taken.value.message_dict == {
        "number": ["(555) 01-23 is the same number: link that phone instead."]
    }
    with pytest.raises(ValidationError) as empty:
        Phone(number="()").full_clean()
    assert empty.value.message_dict == {"number": ["A phone number has 3 to 20 digits."]}
    # A phone may change its own punctuation.
    phone = Phone.objects.get()
    phone.number = "555-0123"
    phone.full_clean()
    assert phone.digits == "5550123"


def test_the_display_name_is_made_from_the_name_parts_when_left_empty():
    parts = {"honorific_prefix": "Dr.", "given_name": "Ada", "additional_names": "King"}
    contact = Contact.objects.create(**parts, family_name="Lovelace", honorific_suffix="PhD")
    assert contact.name == "Dr. Ada King Lovelace, PhD"
    assert Contact.objects.create(nickname="Ace").name == "Ace"
    assert Contact.objects.create(organization="Acme Ltd").name == "Acme Ltd"
    typed = Contact.objects.create(name="  The   Countess ", given_name="Ada")
    assert typed.name == "The Countess"


def test_a_contact_without_any_name_is_refused():
    with pytest.raises(ValidationError, match="Give a name"):
        Contact(job_title="Engineer").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(job_title="Engineer")


def test_the_list_sorts_by_family_name_and_duplicates_match_the_display_name():
    ada = Contact.objects.create(given_name="Ada", family_name="Lovelace")
    acme = Contact.objects.create(organization="Acme")
    zoe = Contact.objects.create(given_name="Zoë", family_name="Adams")
    assert list(Contact.objects.all()) == [acme, zoe, ada]
    assert (ada.sort_name, ada.name_key) == ("lovelace ada", "ada lovelace")
    ada.family_name = "King"
    ada.save(update_fields=["family_name"])
    ada.refresh_from_db()
    assert (ada.name, ada.sort_name) == ("Ada Lovelace", "king ada")  # a typed name stays


def test_one_primary_email_and_each_address_once_per_contact():
    ada = make_contact(email="ada@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        ada.emails.create(address="other@example.org", primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ada.emails.create(address="ADA@example.org")
    # Another contact may have the same address (a shared mailbox).
    assert make_contact("Bob", email="ada@example.org").emails.get().primary


@pytest.mark.parametrize(
    "year, month, day, valid",
    [
        (1815, 12, 10, True),
        (None, 12, 24, True),
        (None, 2, 29, True),  # a year-less 29 February is a date
        (2024, 2, 29, True),
        (2023, 2, 29, False),
        (None, 4, 31, False),
    ],
)
def test_a_date_is_checked_with_or_without_its_year(year, month, day, valid):
    date = ContactDate(contact=make_contact(), year=year, month=month, day=day)
    if valid:
        date.full_clean()
    else:
        with pytest.raises(ValidationError, match="no such day"):
            date.full_clean()


def test_a_date_without_year_is_written_as_vcard_writes_it():
    ada = make_contact()
    assert ContactDate(contact=ada, year=1815, month=12, day=10).iso == "1815-12-10"
    assert ContactDate(contact=ada, month=12, day=24).iso == "--12-24"
    assert ContactDate(contact=ada, kind="other", label="Name day", month=1, day=2).title == (
        "Name day"
    )


def test_one_birthday_and_one_anniversary_but_any_number_of_other_dates():
    ada = make_contact()
    ada.dates.create(kind="birthday", month=12, day=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        ada.dates.create(kind="birthday", month=1, day=1)
    ada.dates.create(kind="other", label="Met", month=1, day=1)
    ada.dates.create(kind="other", label="Hired", month=1, day=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ada.dates.create(kind="other", month=13, day=1)
