"""The contact form's every field: name parts, organisation, emails, URLs and dates."""

import pytest
from django.urls import reverse

from crm.models import Contact
from crm.tests.factories import make_contact
from crm.tests.views.test_contact_form import NEW, form_data

pytestmark = pytest.mark.django_db

PARTS = {
    "honorific_prefix": "Dr.",
    "given_name": "Ada",
    "additional_names": "King",
    "family_name": "Lovelace",
    "honorific_suffix": "PhD",
}


def edit_url(contact):
    return reverse("crm:contact_edit", args=[contact.pk])


def test_create_with_every_field_and_several_emails_urls_and_dates(logged_in_client):
    data = form_data(
        "",
        emails=[
            {"address": "ada@home.example", "label": "home"},
            {"address": "ada@work.example", "label": "work", "primary": True},
        ],
        urls=[
            {"url": "https://ada.example", "label": "home"},
            {"url": "https://blog.example/ada", "label": "blog"},
        ],
        dates=[
            {"kind": "birthday", "day": "10", "month": "12", "year": "1815"},
            {"kind": "other", "label": "First program", "day": "5", "month": "7"},
        ],
        nickname="Enchantress of Numbers",
        organization="Analytical Engines Ltd",
        job_title="Programmer",
        notes="Notes on the engine.",
        tags="Poets, Mathematicians",
        **PARTS,
    )
    response = logged_in_client.post(NEW, data)
    ada = Contact.objects.get()
    assert response.status_code == 302 and response.url == ada.get_absolute_url()
    assert ada.name == "Dr. Ada King Lovelace, PhD"
    assert (ada.nickname, ada.organization, ada.job_title) == (
        "Enchantress of Numbers",
        "Analytical Engines Ltd",
        "Programmer",
    )
    assert list(ada.emails.values_list("address", "label", "primary")) == [
        ("ada@work.example", "work", True),
        ("ada@home.example", "home", False),
    ]
    assert list(ada.urls.values_list("url", "label")) == [
        ("https://ada.example", "home"),
        ("https://blog.example/ada", "blog"),
    ]
    assert sorted(ada.dates.values_list("kind", "label", "year", "month", "day")) == [
        ("birthday", "", 1815, 12, 10),
        ("other", "First program", None, 7, 5),
    ]
    assert sorted(ada.tags.values_list("name", flat=True)) == ["Mathematicians", "Poets"]


def test_the_edit_form_shows_every_row_and_saves_changes(logged_in_client):
    ada = make_contact("Ada", emails=["ada@home.example", "ada@work.example"], **PARTS)
    ada.urls.create(url="https://ada.example", label="profile")
    ada.dates.create(kind="anniversary", month=7, day=8, year=1835)
    page = logged_in_client.get(edit_url(ada)).content.decode()
    for value in ["ada@home.example", "ada@work.example", "https://ada.example", "1835", "8"]:
        assert f'value="{value}"' in page
    assert 'id="id_emails-0-primary" checked' in page
    assert 'id="id_emails-1-primary" checked' not in page
    assert 'name="emails-2-address"' in page  # and an empty row to add one

    data = form_data(
        "Ada",
        emails=["ada@work.example", {"address": "ada@new.example", "primary": True}],
        urls=[],
        dates=[{"kind": "birthday", "day": "10", "month": "12"}],
        **PARTS,
    )
    assert logged_in_client.post(edit_url(ada), data).status_code == 302
    assert list(ada.emails.values_list("address", "primary")) == [
        ("ada@new.example", True),
        ("ada@work.example", False),
    ]
    assert not ada.urls.exists()
    assert list(ada.dates.values_list("kind", "year", "month", "day")) == [
        ("birthday", None, 12, 10)
    ]


def test_without_a_primary_email_ticked_the_first_is_primary(logged_in_client):
    data = form_data(emails=["", "first@example.org", "second@example.org"])
    assert logged_in_client.post(NEW, data).status_code == 302
    emails = Contact.objects.get().emails.values_list("address", "primary")
    assert sorted(emails) == [("first@example.org", True), ("second@example.org", False)]


def test_two_primary_emails_are_an_error_that_keeps_what_was_typed(logged_in_client):
    emails = [{"address": f"ada{i}@example.org", "primary": True} for i in range(2)]
    page = logged_in_client.post(NEW, form_data(emails=emails)).content.decode()
    assert "Only one email can be the primary one." in page
    assert 'value="ada0@example.org"' in page and 'value="ada1@example.org"' in page
    assert not Contact.objects.exists()


def test_the_same_email_twice_in_any_case_is_an_error(logged_in_client):
    data = form_data(emails=["ada@example.org", "ADA@Example.org"])
    page = logged_in_client.post(NEW, data).content.decode()
    assert "ada@example.org is in the list already." in page
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    "date, error",
    [
        ({"day": "31", "month": "4"}, "There is no such day in that month."),
        ({"day": "29", "month": "2", "year": "2023"}, "There is no such day in that month."),
        ({"day": "", "month": "5", "year": "1990"}, "Give the day and the month"),
        ({"day": "32", "month": "1"}, "less than or equal to 31"),
    ],
)
def test_a_date_that_does_not_exist_is_an_error_that_keeps_what_was_typed(
    logged_in_client, date, error
):
    response = logged_in_client.post(NEW, form_data(dates=[date]))
    page = response.content.decode()
    assert response.status_code == 200 and error in page
    for value in filter(None, [date["day"], date.get("year")]):
        assert f'value="{value}"' in page
    assert f'<option value="{date["month"]}" selected>' in page
    assert not Contact.objects.exists()


@pytest.mark.parametrize("year, saved", [("", None), ("2024", 2024)])
def test_29_february_is_a_date_without_a_year_or_in_a_leap_year(logged_in_client, year, saved):
    data = form_data(dates=[{"kind": "birthday", "day": "29", "month": "2", "year": year}])
    assert logged_in_client.post(NEW, data).status_code == 302
    assert list(Contact.objects.get().dates.values_list("year", "month", "day")) == [(saved, 2, 29)]


def test_a_contact_has_one_birthday(logged_in_client):
    dates = [{"kind": "birthday", "day": "10", "month": "12"}] * 2
    dates.append({"kind": "other", "label": "Met", "day": "1", "month": "1"})
    dates.append({"kind": "other", "label": "Moved", "day": "2", "month": "1"})
    page = logged_in_client.post(NEW, form_data(dates=dates)).content.decode()
    assert "A contact has one birthday: this is a second one." in page
    assert page.count("this is a second one") == 1
    assert not Contact.objects.exists()


def test_a_web_address_is_http_or_https(logged_in_client):
    data = form_data(urls=["javascript:alert(1)"])
    page = logged_in_client.post(NEW, data).content.decode()
    assert "Enter a valid URL." in page
    assert not Contact.objects.exists()


def test_a_display_name_left_empty_is_made_from_the_parts(logged_in_client):
    assert logged_in_client.post(NEW, form_data("", **PARTS)).status_code == 302
    ada = Contact.objects.get()
    assert ada.name == "Dr. Ada King Lovelace, PhD"

    # On edit it shows empty, so that it keeps following the parts.
    page = logged_in_client.get(edit_url(ada)).content.decode()
    assert 'name="name" value=' not in page and 'value="Lovelace"' in page
    data = form_data("", **{**PARTS, "family_name": "King-Noel", "additional_names": ""})
    assert logged_in_client.post(edit_url(ada), data).status_code == 302
    ada.refresh_from_db()
    assert ada.name == "Dr. Ada King-Noel, PhD"


def test_a_display_name_typed_stays_as_typed(logged_in_client):
    ada = make_contact("Countess of Lovelace", **PARTS)
    page = logged_in_client.get(edit_url(ada)).content.decode()
    assert 'value="Countess of Lovelace"' in page
    data = form_data("Countess of Lovelace", **{**PARTS, "family_name": "King"})
    assert logged_in_client.post(edit_url(ada), data).status_code == 302
    ada.refresh_from_db()
    assert (ada.name, ada.family_name) == ("Countess of Lovelace", "King")


@pytest.mark.parametrize(
    "field, value", [("organization", "Acme Ltd"), ("nickname", "Ace"), ("family_name", "Ace")]
)
def test_an_organisation_nickname_or_name_part_is_name_enough(logged_in_client, field, value):
    assert logged_in_client.post(NEW, form_data("", **{field: value})).status_code == 302
    assert Contact.objects.get().name == value


def test_add_an_email_without_javascript_keeps_what_was_typed(logged_in_client):
    data = form_data(
        "",
        emails=[{"address": "ada@example.org", "label": "work", "primary": True}],
        dates=[{"kind": "other", "label": "Met", "day": "3", "month": "3"}],
        add="emails",
        **PARTS,
    )
    page = logged_in_client.post(NEW, data).content.decode()
    assert not Contact.objects.exists()
    assert 'value="ada@example.org"' in page and 'name="emails-1-address"' in page
    assert 'id="id_emails-0-primary" checked' in page
    assert 'value="Met"' in page and 'value="Lovelace"' in page
    assert "field-error" not in page
