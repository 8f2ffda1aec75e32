import pytest

from crm.models import Contact, Phone
from crm.queries.duplicates import duplicate_groups

pytestmark = pytest.mark.django_db


def contact(name, *, phone=None, label=Phone.Label.MOBILE, **fields):
    contact = Contact.objects.create(name=name, **fields)
    if phone:
        contact.phones.add(
            Phone.objects.get_or_create(digits=phone, defaults={"number": phone, "label": label})[0]
        )
    return contact


def groups():
    return [([c.name for c in g.contacts], g.reasons) for g in duplicate_groups()]


def test_same_email_ignoring_case():
    contact("Ada", email="ada@example.org")
    contact("A. Lovelace", email="ADA@example.org")
    contact("Someone", email="")
    contact("Else", email="")
    assert groups() == [(["Ada", "A. Lovelace"], ["Same email: ada@example.org"])]


def test_same_name_ignoring_case_and_spacing():
    contact("Ada Lovelace")
    contact("  ada   LOVELACE")
    contact("Ada Byron")
    assert groups() == [(["Ada Lovelace", "  ada   LOVELACE"], ["Same name: Ada Lovelace"])]


def test_same_phone_but_not_a_shared_office_line():
    contact("Ada", phone="5550100")
    contact("Augusta", phone="5550100")
    contact("Babbage", phone="5550199", label=Phone.Label.OFFICE)
    contact("Menabrea", phone="5550199", label=Phone.Label.OFFICE)
    assert groups() == [(["Ada", "Augusta"], ["Same phone: 5550100"])]


def test_reasons_of_the_same_contacts_are_shown_together():
    contact("Ada", email="ada@example.org", phone="5550100")
    contact("ada", email="ada@example.org", phone="5550100")
    assert groups() == [
        (["Ada", "ada"], ["Same email: ada@example.org", "Same name: Ada", "Same phone: 5550100"])
    ]


def test_the_query_count_does_not_grow_with_the_number_of_duplicates(
    django_assert_num_queries,
):
    for i in range(30):
        contact(f"Person {i}", email=f"p{i}@example.org", phone=f"555{i:04}")
        contact(f"person {i}", email=f"P{i}@example.org", phone=f"555{i:04}")
    with django_assert_num_queries(6):
        assert len(duplicate_groups()) == 30
