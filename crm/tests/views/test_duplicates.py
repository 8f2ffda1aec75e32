import pytest
from django.urls import reverse

from crm.models import Contact, Phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    keep = Contact.objects.create(name="Ada Lovelace", email="ada@example.org", notes="Poet")
    duplicate = Contact.objects.create(name="ada lovelace", email="", notes="Mathematician")
    duplicate.phones.add(Phone.objects.create(number="555 0199"))
    return keep, duplicate


def test_the_duplicates_page_links_to_the_merge_screen(logged_in_client, pair):
    keep, duplicate = pair
    html = logged_in_client.get(reverse("crm:duplicate_list")).content.decode()
    assert "Same name: Ada Lovelace" in html
    assert reverse("crm:contact_merge", args=[keep.pk, duplicate.pk]) in html


def test_the_merge_screen_compares_values_and_preselects_the_kept_ones(logged_in_client, pair):
    keep, duplicate = pair
    response = logged_in_client.get(reverse("crm:contact_merge", args=[keep.pk, duplicate.pk]))
    html = response.content.decode()
    assert "555 0199" in html
    form = response.context["form"]
    assert {name: form[name].initial for name in form.fields} == {
        "name": "keep",
        "email": "keep",
        "notes": "keep",
    }
    assert "Both, one after the other" in html


def test_merge_through_the_screen_with_chosen_values(logged_in_client, pair, messages_of):
    keep, duplicate = pair
    response = logged_in_client.post(
        reverse("crm:contact_merge", args=[keep.pk, duplicate.pk]),
        {"name": "keep", "email": "keep", "notes": "both"},
        follow=True,
    )
    assert messages_of(response) == ["Merged ada lovelace into Ada Lovelace."]
    merged = Contact.objects.get()
    assert merged.pk == keep.pk
    assert merged.notes == "Poet\n\nMathematician"
    assert list(merged.phones.values_list("number", flat=True)) == ["555 0199"]


def test_a_missing_choice_is_reported(logged_in_client, pair, messages_of):
    keep, duplicate = pair
    response = logged_in_client.post(
        reverse("crm:contact_merge", args=[keep.pk, duplicate.pk]), {"name": "keep"}
    )
    assert response.status_code == 200
    assert messages_of(response) == [
        "The contacts were not merged: please choose a value for each row."
    ]
    assert Contact.objects.count() == 2


def test_merging_again_after_a_merge_explains_instead_of_failing(
    logged_in_client, pair, messages_of
):
    keep, duplicate = pair
    url = reverse("crm:contact_merge", args=[keep.pk, duplicate.pk])
    data = {"name": "keep", "email": "keep", "notes": "keep"}
    logged_in_client.post(url, data)
    response = logged_in_client.post(url, data, follow=True)
    assert response.status_code == 200
    assert "one was deleted or merged already" in messages_of(response)[-1]
    assert Contact.objects.count() == 1


def test_a_contact_cannot_be_merged_with_itself(logged_in_client, pair):
    keep, _ = pair
    url = reverse("crm:contact_merge", args=[keep.pk, keep.pk])
    assert logged_in_client.post(url, {}).status_code == 404
