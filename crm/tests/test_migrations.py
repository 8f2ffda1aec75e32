"""Migrations that change data, run from the schema before them."""

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from crm.models import sort_key

BEFORE = [("crm", "0005_phone_number_validator")]
AFTER = [("crm", "0006_phone_e164")]


@pytest.fixture
def migrate():
    """Return a function migrating to ``targets`` and returning that state's apps."""
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()

    def migrate(targets):
        executor.loader.build_graph()
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    yield migrate
    migrate(leaves)  # Leave the schema as the other tests expect it, even after a failure.


@pytest.mark.django_db(transaction=True)
def test_phones_are_rekeyed_and_those_that_become_equal_merged(migrate, monkeypatch):
    # Batches of two, so that merges happen across batches too.
    monkeypatch.setattr(importlib.import_module("crm.migrations.0006_phone_e164"), "BATCH", 2)
    apps = migrate(BEFORE)
    Phone = apps.get_model("crm", "Phone")
    Contact = apps.get_model("crm", "Contact")

    def phone(number):
        # The rule before: the key is the digits as typed.
        return Phone.objects.create(number=number, digits="".join(filter(str.isdigit, number)))

    # Three spellings of one number (the second holds the new key already),
    # two of another (neither does), two of a French one, and an extension.
    national, intl, dialed = (
        phone("200 000 0682"),
        phone("+1 (200) 000-0682"),
        phone("011 1 200 000 0682"),
    )
    other, other_dialed = phone("(200) 000-0683"), phone("011 1 200 000 0683")
    french_dialed, french = phone("011 33 6 12 34 56 78"), phone("+33 6 12 34 56 78")
    extension = phone("1234")
    ada, bob, eve = (
        Contact.objects.create(name=n, sort_name=n.lower()) for n in ["Ada", "Bob", "Eve"]
    )
    ada.phones.add(national, intl, dialed, extension)  # One number thrice: one link left.
    bob.phones.add(dialed, other_dialed, french_dialed)
    eve.phones.add(national, other, french)

    apps = migrate(AFTER)
    Phone = apps.get_model("crm", "Phone")
    Contact = apps.get_model("crm", "Contact")

    assert {p.pk: (p.number, p.digits, p.e164) for p in Phone.objects.all()} == {
        intl.pk: ("+1 (200) 000-0682", "12000000682", "+12000000682"),
        other.pk: ("(200) 000-0683", "12000000683", "+12000000683"),
        french.pk: ("+33 6 12 34 56 78", "33612345678", "+33612345678"),
        extension.pk: ("1234", "1234", ""),
    }

    def phones_of(name):
        return set(Contact.objects.get(name=name).phones.values_list("pk", flat=True))

    assert phones_of("Ada") == {intl.pk, extension.pk}
    assert phones_of("Bob") == {intl.pk, other.pk, french.pk}
    assert phones_of("Eve") == {intl.pk, other.pk, french.pk}
    assert Contact.phones.through.objects.count() == 8


@pytest.mark.django_db(transaction=True)
def test_sort_names_are_recomputed_without_accents(migrate, monkeypatch):
    monkeypatch.setattr(
        importlib.import_module("crm.migrations.0007_contact_sort_name_without_accents"), "BATCH", 2
    )
    apps = migrate([("crm", "0006_phone_e164")])
    Contact = apps.get_model("crm", "Contact")
    # The rule before: case-folded, single spaces, accents kept.
    for name in ["Adá Costa", "Bob", "Élodie  Müller", "Zoë"]:
        Contact.objects.create(name=name, sort_name=" ".join(name.split()).casefold())

    apps = migrate([("crm", "0007_contact_sort_name_without_accents")])
    Contact = apps.get_model("crm", "Contact")
    assert list(Contact.objects.order_by("sort_name").values_list("sort_name", flat=True)) == [
        "ada costa",
        "bob",
        "elodie muller",
        "zoe",
    ]

    apps = migrate([("crm", "0006_phone_e164")])
    Contact = apps.get_model("crm", "Contact")
    assert Contact.objects.get(name="Zoë").sort_name == "zoë"


@pytest.mark.django_db(transaction=True)
def test_each_link_gets_the_label_its_shared_row_had(migrate, monkeypatch):
    # Batches of two, so that links of one row fall in several batches.
    monkeypatch.setattr(importlib.import_module("crm.migrations.0008_contact_links"), "BATCH", 2)
    apps = migrate([("crm", "0007_contact_sort_name_without_accents")])
    Phone, Address = apps.get_model("crm", "Phone"), apps.get_model("crm", "Address")
    Contact = apps.get_model("crm", "Contact")
    office = Phone.objects.create(number="555 0100", digits="5550100", label="office")
    fax = Phone.objects.create(number="555 0101", digits="5550101", label="fax")
    mobile = Phone.objects.create(number="555 0102", digits="5550102")  # the default label
    building = Address.objects.create(city="London", label="work")
    home = Address.objects.create(city="Paris", label="home")
    ada, bob, eve = (
        Contact.objects.create(name=n, sort_name=n.lower()) for n in ["Ada", "Bob", "Eve"]
    )
    ada.phones.add(office, mobile)
    bob.phones.add(office, fax)
    eve.phones.add(office, fax)
    ada.addresses.add(building, home)
    bob.addresses.add(building)
    rows = Contact.phones.through.objects.values_list("pk", "contact_id", "phone_id")
    before = set(rows)

    apps = migrate([("crm", "0009_shared_rows_drop_labels")])
    ContactPhone = apps.get_model("crm", "ContactPhone")
    ContactAddress = apps.get_model("crm", "ContactAddress")

    def links(Link, column):
        rows = Link.objects.values_list("contact__name", column, "label")
        return sorted(rows)

    assert links(ContactPhone, "phone__number") == [
        ("Ada", "555 0100", "office"),
        ("Ada", "555 0102", "mobile"),
        ("Bob", "555 0100", "office"),
        ("Bob", "555 0101", "fax"),
        ("Eve", "555 0100", "office"),
        ("Eve", "555 0101", "fax"),
    ]
    assert links(ContactAddress, "address__city") == [
        ("Ada", "London", "work"),
        ("Ada", "Paris", "home"),
        ("Bob", "London", "work"),
    ]
    # The links are the rows that were there, ids and all.
    assert set(ContactPhone.objects.values_list("pk", "contact_id", "phone_id")) == before

    # Reversing gives each shared row back a label: its first link's.
    ContactPhone.objects.filter(contact__name="Ada", phone_id=office.pk).update(label="home")
    apps = migrate([("crm", "0007_contact_sort_name_without_accents")])
    Phone = apps.get_model("crm", "Phone")
    assert dict(Phone.objects.values_list("number", "label")) == {
        "555 0100": "home",
        "555 0101": "fax",
        "555 0102": "mobile",
    }


@pytest.mark.django_db(transaction=True)
def test_each_email_becomes_the_primary_email_of_its_contact(migrate):
    apps = migrate([("crm", "0010_tags")])
    Contact = apps.get_model("crm", "Contact")
    for name, email in [("Ada Costa", "ada@example.org"), ("Bob", ""), ("Élodie", "e@x.fr")]:
        Contact.objects.create(name=name, sort_name=sort_key(name), email=email)

    apps = migrate([("crm", "0011_rich_contact")])
    Contact, Email = apps.get_model("crm", "Contact"), apps.get_model("crm", "Email")
    rows = Email.objects.values_list("contact__name", "address", "label", "primary")
    assert sorted(rows) == [
        ("Ada Costa", "ada@example.org", "other", True),
        ("Élodie", "e@x.fr", "other", True),
    ]
    keys = Contact.objects.values_list("name", "name_key", "sort_name")
    assert sorted(keys) == [
        ("Ada Costa", "ada costa", "ada costa"),
        ("Bob", "bob", "bob"),
        ("Élodie", "elodie", "elodie"),
    ]

    apps = migrate([("crm", "0010_tags")])
    Contact = apps.get_model("crm", "Contact")
    assert dict(Contact.objects.values_list("name", "email")) == {
        "Ada Costa": "ada@example.org",
        "Bob": "",
        "Élodie": "e@x.fr",
    }
