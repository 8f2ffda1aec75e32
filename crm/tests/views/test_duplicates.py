import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Contact
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    keep = make_contact("Ada Lovelace", email="ada@example.org", job_title="Countess", notes="Poet")
    duplicate = make_contact(
        "ada lovelace",
        email="lovelace@example.org",
        emails=["ADA@example.org"],
        phones=["555 0199"],
        job_title="Mathematician",
        organization="Analytical Society",
        notes="Mathematician",
    )
    return keep, duplicate


def merge_url(keep, duplicate):
    return reverse("crm:contact_merge", args=[keep.pk, duplicate.pk])


def test_the_duplicates_page_links_to_the_merge_screen(logged_in_client, pair):
    keep, duplicate = pair
    html = logged_in_client.get(reverse("crm:duplicate_list")).content.decode()
    assert "Same name: Ada Lovelace" in html
    assert "Same email: ada@example.org" in html
    assert merge_url(keep, duplicate) in html
    # Every email of each contact, its primary first.
    assert "lovelace@example.org<br>ADA@example.org" in html


def test_the_duplicates_page_finds_a_shared_secondary_email(logged_in_client):
    make_contact("Grace Hopper", email="grace@example.org", emails=["admiral@example.org"])
    make_contact("Amazing Grace", email="amazing@example.org", emails=["Admiral@example.org"])
    response = logged_in_client.get(reverse("crm:duplicate_list"))
    html = response.content.decode()
    assert "Same email: admiral@example.org" in html
    assert "grace@example.org<br>admiral@example.org" in html
    assert "amazing@example.org<br>Admiral@example.org" in html


def test_the_duplicates_page_costs_the_same_whatever_the_number_of_emails(
    logged_in_client, django_assert_num_queries
):
    for i in range(10):
        emails = [f"p{i}.{j}@example.org" for j in range(3)]
        make_contact(f"Person {i}", emails=emails)
        make_contact(f"person {i}", emails=emails)
    # The session, the user and their permissions (crm.permissions), the groups
    # (two by email, two by name, one finding no phone in common), and the
    # emails of every contact listed.
    with django_assert_num_queries(9):
        html = logged_in_client.get(reverse("crm:duplicate_list")).content.decode()
    assert html.count("Same name:") == 10


def test_the_merge_screen_compares_values_and_preselects_the_kept_ones(logged_in_client, pair):
    keep, duplicate = pair
    response = logged_in_client.get(merge_url(keep, duplicate))
    html = response.content.decode()
    form = response.context["form"]
    # A choice where both have a different value; the kept contact's preselected.
    assert {name: form[name].initial for name in form.fields} == {
        "name": "keep",
        "job_title": "keep",
        "notes": "keep",
        "primary_email": "ada@example.org",
    }
    # Every address of both once, ignoring case, to choose the primary from.
    assert [value for value, _ in form.fields["primary_email"].choices] == [
        "ada@example.org",
        "lovelace@example.org",
    ]
    assert "Both, one after the other" in html
    # A value only one has is shown, and taken without asking.
    assert "Organisation" in html and "Analytical Society" in html
    assert "Additional names" not in html
    assert "555 0199" in html
    assert "ADA@example.org" in html


def test_merge_through_the_screen_with_chosen_values(logged_in_client, pair, messages_of):
    keep, duplicate = pair
    response = logged_in_client.post(
        merge_url(keep, duplicate),
        {
            "name": "keep",
            "job_title": "duplicate",
            "notes": "both",
            "primary_email": "lovelace@example.org",
        },
        follow=True,
    )
    assert messages_of(response) == ["Merged ada lovelace into Ada Lovelace."]
    merged = Contact.objects.get()
    assert merged.pk == keep.pk
    assert (merged.name, merged.job_title, merged.organization) == (
        "Ada Lovelace",
        "Mathematician",
        "Analytical Society",
    )
    assert merged.notes == "Poet\n\nMathematician"
    assert list(merged.emails.values_list("address", "primary")) == [
        ("lovelace@example.org", True),
        ("ada@example.org", False),
    ]
    assert list(merged.phones.values_list("number", flat=True)) == ["555 0199"]


def test_a_missing_choice_is_reported(logged_in_client, pair, messages_of):
    keep, duplicate = pair
    response = logged_in_client.post(merge_url(keep, duplicate), {"name": "keep"})
    assert response.status_code == 200
    assert messages_of(response) == [
        "The contacts were not merged: please choose a value for each row."
    ]
    assert Contact.objects.count() == 2


def test_a_primary_email_neither_has_is_refused(logged_in_client, pair, messages_of):
    # Say one removed meanwhile, since the screen was shown.
    keep, duplicate = pair
    data = {"name": "keep", "job_title": "keep", "notes": "keep", "primary_email": "x@example.org"}
    response = logged_in_client.post(merge_url(keep, duplicate), data)
    assert response.status_code == 200
    assert messages_of(response) == [
        "The contacts were not merged: please choose a value for each row."
    ]
    assert Contact.objects.count() == 2


def test_merging_again_after_a_merge_explains_instead_of_failing(
    logged_in_client, pair, messages_of
):
    keep, duplicate = pair
    url = merge_url(keep, duplicate)
    data = {
        "name": "keep",
        "job_title": "keep",
        "notes": "keep",
        "primary_email": "ada@example.org",
    }
    logged_in_client.post(url, data)
    response = logged_in_client.post(url, data, follow=True)
    assert response.status_code == 200
    assert "one was deleted or merged already" in messages_of(response)[-1]
    assert Contact.objects.count() == 1


def test_a_contact_cannot_be_merged_with_itself(logged_in_client, pair):
    keep, _ = pair
    assert logged_in_client.post(merge_url(keep, keep), {}).status_code == 404


def test_the_merge_screen_costs_the_same_whatever_the_contacts_hold(logged_in_client, pair):
    keep, duplicate = pair
    url = merge_url(keep, duplicate)
    with CaptureQueriesContext(connection) as few:
        logged_in_client.get(url)
    for contact in pair:
        for i in range(3):
            contact.emails.create(address=f"more{i}.{contact.pk}@example.org")
            contact.urls.create(url=f"https://example.org/{contact.pk}/{i}")
            contact.tags.create(name=f"Tag {contact.pk} {i}", slug=f"tag-{contact.pk}-{i}")
        contact.dates.create(kind="anniversary", month=7, day=8)
    with CaptureQueriesContext(connection) as many:
        html = logged_in_client.get(url).content.decode()
    assert "more2." in html and "Tag " in html and "--07-08" in html
    assert len(many) == len(few)
