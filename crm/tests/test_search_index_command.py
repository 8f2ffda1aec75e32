"""Rebuilding the search text: ``manage.py crm_search_index``, and migration crm.0013."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from crm.models import Address, Contact, sort_key
from crm.tests.factories import make_contact
from crm.tests.test_migrations import migrate  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


def found(query):
    return sorted(contact.name for contact in Contact.objects.search(query))


def rebuild(**options):
    out = io.StringIO()
    call_command("crm_search_index", stdout=out, **options)
    return out.getvalue()


def test_the_command_repairs_what_a_write_around_the_services_left_stale():
    office = Address.objects.create(city="London")
    for i in range(5):
        make_contact(f"Person {i}", addresses=[office], email=f"p{i}@example.org")
    # Raw SQL, as a script or a restored dump would write.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE crm_address SET city = 'Zürich'")
        cursor.execute("UPDATE crm_contact SET search_text = ''")
    assert found("zurich") == found("person") == []

    output = rebuild(batch=2)
    assert "Search text rebuilt: 5 contacts changed" in output
    # Not a terminal: one line a batch, the last one full.
    assert output.splitlines()[:3] == [
        "[############..................] 2/5 contacts",
        "[########################......] 4/5 contacts",
        "[##############################] 5/5 contacts",
    ]
    assert found("zurich p3@") == ["Person 3"]
    assert found("london") == []
    assert "0 contacts changed" in rebuild()


def test_the_command_on_an_empty_book_and_quietly():
    assert rebuild(verbosity=0).startswith("Search text rebuilt: 0 contacts changed")


def test_the_command_refuses_a_batch_of_nothing():
    with pytest.raises(CommandError, match="--batch"):
        rebuild(batch=0)


@pytest.mark.django_db(transaction=True)
def test_migration_0013_fills_the_text_of_every_contact(migrate):  # noqa: F811
    apps = migrate([("crm", "0012_contact_list_indexes")])
    Contact, Email = apps.get_model("crm", "Contact"), apps.get_model("crm", "Email")
    for name in ["José Müller", "Ada Costa"]:
        contact = Contact.objects.create(name=name, name_key=sort_key(name), sort_name=name)
        Email.objects.create(contact=contact, address=f"{name.split()[0]}@example.org")

    apps = migrate([("crm", "0013_contact_search_text")])
    Contact = apps.get_model("crm", "Contact")
    assert dict(Contact.objects.values_list("name", "search_text")) == {
        "José Müller": "jose muller\njose@example.org",
        "Ada Costa": "ada costa\nada@example.org",
    }
    migrate([("crm", "0012_contact_list_indexes")])
