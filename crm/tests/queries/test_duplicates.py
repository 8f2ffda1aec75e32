import pytest
from django.contrib.auth.models import AnonymousUser

from crm.models import Phone
from crm.queries.duplicates import duplicate_groups
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db

# Anyone, while CRM_VISIBILITY is "all" (crm.tests.test_visibility has "team").
ANYONE = AnonymousUser()


def groups():
    return [([c.name for c in g.contacts], g.reasons) for g in duplicate_groups(user=ANYONE)]


def test_same_email_ignoring_case():
    make_contact("Ada", email="ada@example.org")
    make_contact("A. Lovelace", email="ADA@example.org")
    make_contact("Someone", email="")
    make_contact("Else", email="")
    assert groups() == [(["Ada", "A. Lovelace"], ["Same email: ada@example.org"])]


def test_same_name_ignoring_case_and_spacing():
    make_contact("Ada Lovelace")
    make_contact("  ada   LOVELACE")
    make_contact("Ada Byron")
    assert groups() == [(["Ada Lovelace", "ada LOVELACE"], ["Same name: Ada Lovelace"])]


def test_same_phone_but_not_a_shared_office_line():
    make_contact("Ada", phones=["5550100"])
    make_contact("Augusta", phones=["5550100"])
    make_contact("Babbage", phones=[("5550199", Phone.Label.OFFICE)])
    make_contact("Menabrea", phones=[("5550199", Phone.Label.OFFICE)])
    assert groups() == [(["Ada", "Augusta"], ["Same phone: 5550100"])]


def test_reasons_of_the_same_contacts_are_shown_together():
    make_contact("Ada", email="ada@example.org", phones=["5550100"])
    make_contact("ada", email="ada@example.org", phones=["5550100"])
    assert groups() == [
        (["Ada", "ada"], ["Same email: ada@example.org", "Same name: Ada", "Same phone: 5550100"])
    ]


def test_the_query_count_does_not_grow_with_the_number_of_duplicates(
    django_assert_num_queries,
):
    for i in range(30):
        make_contact(f"Person {i}", email=f"p{i}@example.org", phones=[f"555{i:04}"])
        make_contact(f"person {i}", email=f"P{i}@example.org", phones=[f"555{i:04}"])
    with django_assert_num_queries(6):
        assert len(duplicate_groups(user=ANYONE)) == 30
