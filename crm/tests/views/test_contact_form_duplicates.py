"""The contact form warns before saving a contact that looks like another one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Contact
from crm.tests.factories import make_contact
from crm.tests.views.test_contact_form import NEW, form_data

pytestmark = pytest.mark.django_db


def warned(response):
    """Return the page when it is the duplicate warning (nothing saved), else None."""
    page = response.content.decode()
    return page if response.status_code == 200 and "Save anyway" in page else None


def test_an_existing_email_is_shown_and_nothing_is_saved(logged_in_client):
    ada = make_contact("Ada Costa", email="ada@example.org")
    data = form_data("Ada C.", emails=["ADA@example.org"], phones=[("555 0100", "mobile")])
    page = warned(logged_in_client.post(NEW, data))
    assert page is not None
    assert "Same email: ada@example.org" in page
    assert f'href="{ada.get_absolute_url()}"' in page
    assert 'name="confirm_duplicate" value="1"' in page
    assert "/merge/" not in page  # Nothing to merge before the contact exists.
    # Everything typed is kept.
    assert 'value="Ada C."' in page and 'value="ADA@example.org"' in page
    assert 'value="555 0100"' in page
    assert list(Contact.objects.all()) == [ada]


def test_save_anyway_saves(logged_in_client, messages_of):
    make_contact("Ada Costa", email="ada@example.org", phones=["555 0100"])
    data = form_data("Ada Costa", emails=["ada@example.org"], phones=[("555 0100", "mobile")])
    assert warned(logged_in_client.post(NEW, data)) is not None
    data["confirm_duplicate"] = "1"
    response = logged_in_client.post(NEW, data, follow=True)
    assert "Contact saved." in messages_of(response)
    assert Contact.objects.filter(name="Ada Costa").count() == 2


def test_the_same_number_typed_differently_matches(logged_in_client, settings):
    settings.CRM_PHONE_REGION = "FR"
    make_contact("Ada Costa", phones=["+33 6 12 34 56 78"])
    page = warned(logged_in_client.post(NEW, form_data("Bob", phones=[("06.12.34.56.78", "home")])))
    assert page is not None and "Same phone: +33 6 12 34 56 78" in page
    assert Contact.objects.count() == 1


@pytest.mark.parametrize(
    ("theirs", "mine", "matches"),
    [("mobile", "home", True), ("office", "mobile", False), ("mobile", "fax", False)],
)
def test_an_office_or_fax_line_does_not_match(logged_in_client, theirs, mine, matches):
    make_contact("Ada Costa", phones=[("555 0100", theirs)])
    response = logged_in_client.post(NEW, form_data("Bob", phones=[("(555) 01-00", mine)]))
    assert bool(warned(response)) is matches
    assert Contact.objects.count() == (1 if matches else 2)


@pytest.mark.parametrize("typed", ["ada costa", "  ADA   Costa ", "Adá Cóstà"])
def test_a_name_differing_only_by_case_spacing_or_accents_matches(logged_in_client, typed):
    make_contact("Ada Costa")
    page = warned(logged_in_client.post(NEW, form_data(typed)))
    assert page is not None and "Same name: Ada Costa" in page
    assert Contact.objects.count() == 1


def test_editing_a_contact_does_not_match_itself(logged_in_client):
    ada = make_contact("Ada Costa", email="ada@example.org", phones=["555 0100"])
    make_contact("Bob", phones=["555 0100"])
    data = form_data("Ada Costa", emails=["ada@example.org"], phones=[("555 0100", "mobile")])
    edit = reverse("crm:contact_edit", args=[ada.pk])
    page = warned(logged_in_client.post(edit, data))
    assert page is not None
    assert "Same phone: 555 0100" in page
    assert "Same email" not in page and "Same name" not in page
    panel = page.split('id="h-duplicates"')[1].split("</section>")[0]
    assert f'href="{ada.get_absolute_url()}"' not in panel


def test_editing_offers_to_merge_with_the_match(logged_in_client):
    ada = make_contact("Ada Costa", email="ada@example.org")
    other = make_contact("A. Costa")
    edit = reverse("crm:contact_edit", args=[other.pk])
    page = warned(logged_in_client.post(edit, form_data("A. Costa", emails=["ada@example.org"])))
    assert page is not None
    assert f'href="{reverse("crm:contact_merge", args=[ada.pk, other.pk])}"' in page
    assert not other.emails.exists()


def test_no_match_saves_with_one_post(logged_in_client):
    make_contact("Ada Costa", email="ada@example.org", phones=["555 0100"])
    data = form_data("Grace Hopper", emails=["grace@example.org"], phones=[("555 0199", "mobile")])
    response = logged_in_client.post(NEW, data)
    assert response.status_code == 302
    assert Contact.objects.count() == 2


def _queries_of_a_warning(client, matches):
    for i in range(matches):
        make_contact(
            f"Person {i}", email=f"p{i}@example.org", phones=[f"555 01{i:02}", f"555 02{i:02}"]
        )
    phones = [(f"555 01{i:02}", "mobile") for i in range(matches)]
    phones += [(f"555 02{i:02}", "home") for i in range(matches)]
    data = form_data("Person 0", emails=["p0@example.org"], phones=phones)
    with CaptureQueriesContext(connection) as captured:
        assert warned(client.post(NEW, data)) is not None
    return len(captured)


def test_the_check_costs_the_same_whatever_the_number_of_phones_and_matches(logged_in_client):
    one = _queries_of_a_warning(logged_in_client, 1)
    Contact.objects.all().delete()
    assert _queries_of_a_warning(logged_in_client, 6) == one


def test_any_typed_email_matches_not_only_the_first(logged_in_client):
    ada = make_contact("Ada Costa", emails=["ada@home.example", "ada@work.example"])
    data = form_data("A. C.", emails=["someone@example.org", "ADA@work.example"])
    page = warned(logged_in_client.post(NEW, data))
    assert page is not None and "Same email: ada@work.example" in page
    assert f'href="{ada.get_absolute_url()}"' in page


def test_a_display_name_left_empty_matches_as_it_will_be_saved(logged_in_client):
    ada = make_contact("Ada Costa")
    page = warned(logged_in_client.post(NEW, form_data("", given_name="ada", family_name="COSTA")))
    assert page is not None and f'href="{ada.get_absolute_url()}"' in page
    assert Contact.objects.count() == 1


def test_while_typing_the_matches_so_far_come_as_a_fragment(logged_in_client):
    ada = make_contact("Ada Costa", emails=["ada@example.org"])
    url = reverse("crm:contact_possible_duplicates")
    response = logged_in_client.post(url, form_data("Adele", emails=["ADA@example.org"]))
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert "Same email: ada@example.org" in page
    assert f'href="{ada.get_absolute_url()}"' in page
    assert "Save anyway" not in page
    assert Contact.objects.count() == 1

    # Not valid yet, or like nobody: nothing to show.
    unfinished = form_data("Adele", emails=["ada@"])
    assert logged_in_client.post(url, unfinished).content.decode().strip() == ""
    nobody = form_data("Grace Hopper", emails=["grace@example.org"])
    assert logged_in_client.post(url, nobody).content.decode().strip() == ""


def test_while_editing_the_fragment_offers_to_merge(logged_in_client):
    ada = make_contact("Ada Costa", emails=["ada@example.org"])
    other = make_contact("A. Costa")
    url = reverse("crm:contact_possible_duplicates", args=[other.pk])
    page = logged_in_client.post(url, form_data("A. Costa", emails=["ada@example.org"]))
    assert (
        f'href="{reverse("crm:contact_merge", args=[ada.pk, other.pk])}"' in page.content.decode()
    )
    assert (
        logged_in_client.post(
            reverse("crm:contact_possible_duplicates", args=[999999]), {}
        ).status_code
        == 404
    )
    assert logged_in_client.get(url).status_code == 405


def test_the_fragment_is_for_signed_in_users_only(client):
    response = client.post(reverse("crm:contact_possible_duplicates"), form_data())
    assert response.status_code == 302 and "/accounts/login/" in response.url
