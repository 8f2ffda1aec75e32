"""The crm_demo management command."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from crm.models import Contact, ContactRelationship, Phone

pytestmark = pytest.mark.django_db


def demo(**options):
    out = io.StringIO()
    call_command("crm_demo", stdout=out, **options)
    return out.getvalue()


def test_demo_data_is_realistic_and_deterministic():
    assert "Created 400 demo contacts" in demo(contacts=400)
    first = list(Contact.objects.order_by("pk").values_list("name", "email"))
    assert len(first) == 400
    phones = Contact.objects.annotate(n=Count("phones")).values_list("n", flat=True)
    assert set(phones) == {0, 1, 2, 3, 4}
    assert Phone.objects.annotate(n=Count("contacts")).filter(n__gt=1).exists()
    pairs = set(ContactRelationship.objects.values_list("from_contact", "to_contact"))
    assert pairs and all((b, a) in pairs for a, b in pairs)
    for row in ContactRelationship.objects.prefetch_related("types"):
        mirror = ContactRelationship.objects.get(
            from_contact=row.to_contact_id, to_contact=row.from_contact_id
        )
        assert set(row.types.all()) == set(mirror.types.all()) != set()

    Contact.objects.all().delete()
    demo(contacts=400)
    assert list(Contact.objects.order_by("pk").values_list("name", "email")) == first


def test_if_empty_leaves_an_existing_book_alone():
    Contact.objects.create(name="Ada Lovelace")
    assert "no demo contacts added" in demo(contacts=50, if_empty=True)
    assert Contact.objects.count() == 1


def test_a_second_run_adds_contacts_and_links_existing_numbers():
    demo(contacts=100)
    demo(contacts=100)
    assert Contact.objects.count() == 200
