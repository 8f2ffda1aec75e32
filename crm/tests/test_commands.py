"""The crm_demo management command."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count

from crm.models import Contact, ContactRelationship, Phone
from crm.phones import phone_key

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
        assert (phone.digits, phone.e164) == (phone_key(phone.number), "+" + phone.digits)
