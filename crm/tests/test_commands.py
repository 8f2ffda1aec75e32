"""The crm_demo management command."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, Q

from crm.models import (
    Address,
    Contact,
    ContactAddress,
    ContactDate,
    ContactPhone,
    ContactRelationship,
    Email,
    Phone,
    Tag,
    Url,
)
from crm.phones import normalize

pytestmark = pytest.mark.django_db


def demo(**options):
    out = io.StringIO()
    call_command("crm_demo", stdout=out, **options)
    return out.getvalue()


def book():
    """
    Return everything the demo put in the book, in insertion order, without
    primary keys or timestamps: what the exports and the pages show.
    """
    fields = [
        f.attname
        for f in Contact._meta.concrete_fields
        if f.name not in {"id", "created", "updated"}
    ]
    by_contact = ("contact__name", "contact__sort_name")
    return {
        "contacts": list(Contact.objects.order_by("pk").values_list(*fields)),
        "emails": list(
            Email.objects.order_by("pk").values_list(*by_contact, "address", "label", "primary")
        ),
        "urls": list(Url.objects.order_by("pk").values_list(*by_contact, "url", "label")),
        "dates": list(
            ContactDate.objects.order_by("pk").values_list(
                *by_contact, "kind", "label", "year", "month", "day"
            )
        ),
        "tags": list(
            Contact.tags.through.objects.order_by("pk").values_list(
                "contact__name", "tag__name", "tag__slug"
            )
        ),
        "phones": list(
            ContactPhone.objects.order_by("pk").values_list(
                "contact__name", "phone__number", "phone__e164", "label"
            )
        ),
        "addresses": list(
            ContactAddress.objects.order_by("pk").values_list(
                "contact__name", "address__street", "address__city", "address__country", "label"
            )
        ),
        "relationships": list(
            ContactRelationship.objects.order_by("pk").values_list(
                "from_contact__name", "to_contact__name", "types__name"
            )
        ),
    }


def empty_book():
    for model in [Contact, Phone, Address]:
        model.objects.all().delete()


def test_demo_data_is_the_same_for_the_same_seed_and_differs_for_another():
    assert "Created 400 demo contacts" in demo(contacts=400)
    first = book()
    assert len(first["contacts"]) == 400

    empty_book()
    demo(contacts=400)
    assert book() == first
    empty_book()
    demo(contacts=400, seed=7)
    assert book()["emails"] != first["emails"]


def test_demo_phones_and_relationships_are_realistic():
    demo(contacts=400)
    phones = Contact.objects.annotate(n=Count("phones")).values_list("n", flat=True)
    assert {0, 1, 2, 3}.issubset(set(phones))
    # Office lines are shared by colleagues; numbers come from several countries,
    # typed in several ways, each normalised to E.164 but a few internal extensions.
    assert Phone.objects.annotate(n=Count("contacts")).filter(n__gt=1).exists()
    e164s = set(Phone.objects.values_list("e164", flat=True))
    for code in ["+1", "+44", "+33", "+49", "+34", "+39", "+81", "+55"]:
        assert any(e164.startswith(code) for e164 in e164s), code
    numbers = list(Phone.objects.values_list("number", flat=True))
    assert any(n.startswith("(") for n in numbers) and any("(0)" in n for n in numbers)
    unnormalised = Phone.objects.filter(e164="")
    assert unnormalised.exists() and unnormalised.count() <= 3
    pairs = set(ContactRelationship.objects.values_list("from_contact", "to_contact"))
    assert pairs and all((b, a) in pairs for a, b in pairs)
    for row in ContactRelationship.objects.prefetch_related("types"):
        mirror = ContactRelationship.objects.get(
            from_contact=row.to_contact_id, to_contact=row.from_contact_id
        )
        assert set(row.types.all()) == set(mirror.types.all()) != set()


def test_demo_contacts_fill_every_field():
    demo(contacts=400)
    contacts = Contact.objects.all()
    for name in [
        "honorific_prefix",
        "given_name",
        "additional_names",
        "family_name",
        "honorific_suffix",
        "nickname",
        "organization",
        "job_title",
        "notes",
    ]:
        assert contacts.exclude(**{name: ""}).exists(), name
    # A company's own entry is named after it.
    assert contacts.filter(given_name="", family_name="").exclude(organization="").exists()
    names = " ".join(contacts.values_list("name", flat=True))
    assert any(letter in names for letter in "éüëöñř")
    assert contacts.filter(name__startswith="Dr. ", name__endswith=", PhD").exists()

    emails = Contact.objects.annotate(
        n=Count("emails"), primaries=Count("emails", filter=Q(emails__primary=True))
    )
    assert set(emails.values_list("n", flat=True)) == {0, 1, 2, 3}
    assert not emails.filter(n__gt=0).exclude(primaries=1).exists()
    assert set(Email.objects.values_list("label", flat=True)) == {"home", "work", "other"}
    assert all(address.isascii() for address in Email.objects.values_list("address", flat=True))
    assert {"home", "profile", "blog", "work"} <= set(Url.objects.values_list("label", flat=True))

    dates = ContactDate.objects.all()
    assert set(dates.values_list("kind", flat=True)) == {"birthday", "anniversary", "other"}
    assert dates.filter(kind="birthday", year=None).exists()
    assert dates.filter(kind="birthday", year__isnull=False).exists()
    assert not dates.filter(kind="other", label="").exists()
    for date in dates:
        date.clean()  # a real day of its month

    # A fixed set of tags, made once and shared, up to three a contact.
    tags = Contact.objects.annotate(n=Count("tags")).values_list("n", flat=True)
    assert set(tags) == {0, 1, 2, 3}
    assert Tag.objects.count() == 7
    demo(contacts=50)
    assert Tag.objects.count() == 7

    # Colleagues share their company's office line, some its building.
    office = Contact.phones.through.objects.filter(label="office")
    shared = office.values("phone").annotate(n=Count("contact")).filter(n__gt=1)
    assert shared.exists()
    assert Address.objects.annotate(n=Count("contacts")).filter(n__gt=1).exists()
    # Nothing unused is left behind: every phone and address has a contact.
    assert not Phone.objects.filter(contacts=None).exists()
    assert not Address.objects.filter(contacts=None).exists()


def test_if_empty_leaves_an_existing_book_alone():
    Contact.objects.create(name="Ada Lovelace")
    assert "no demo contacts added" in demo(contacts=50, if_empty=True)
    assert Contact.objects.count() == 1


def test_a_second_run_adds_contacts_and_links_existing_numbers():
    demo(contacts=100)
    demo(contacts=100)
    assert Contact.objects.count() == 200


def demo_login(*args):
    out = io.StringIO()
    call_command("crm_demo_login", *args, stdout=out)
    return out.getvalue()


def printed_password(output):
    """Return the password in the command's "Demo login: demo / <password>" line."""
    assert "Demo login: demo / " in output
    return output.split("Demo login: demo / ")[1].split()[0]


def test_demo_login_prints_a_generated_password_that_logs_in(client):
    password = printed_password(demo_login())
    assert len(password) >= 12
    response = client.post("/accounts/login/", {"username": "demo", "password": password})
    assert response.status_code == 302
    assert client.get("/contacts/").status_code == 200
    assert client.get("/admin/").status_code == 200

    # Running again (as `make run` does) keeps the login and prints no password.
    again = demo_login()
    assert "Demo login: demo" in again and password not in again
    assert get_user_model().objects.get().check_password(password)


def test_demo_login_reset_prints_a_new_password_and_each_is_different():
    first = printed_password(demo_login())
    second = printed_password(demo_login("--reset"))
    assert first != second
    user = get_user_model().objects.get(username="demo")
    assert user.check_password(second) and not user.check_password(first)


def test_no_demo_login_is_added_beside_existing_users(make_user):
    make_user("owner")
    assert "no demo login created" in demo_login()
    assert not get_user_model().objects.filter(username="demo")


def test_demo_phones_are_keyed_as_the_site_keys_them():
    demo(contacts=200)
    for phone in Phone.objects.all():
        key, e164 = normalize(phone.number)
        assert (phone.digits, phone.e164) == (key, e164 or "")
