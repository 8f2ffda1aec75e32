import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from crm.models import Contact, ContactRelationship, Phone, RelationshipType
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
