import pytest
from django.urls import reverse

from crm.models import Contact, ContactRelationship

pytestmark = pytest.mark.django_db


@pytest.fixture
def types(colleague, friend):
    return [colleague, friend]


def relate(client, contact, other, types=()):
    url = reverse("crm:relationship_add", args=[contact.pk])
    response = client.post(url, {"other": other.pk, "types": [t.pk for t in types]}, follow=True)
    assert response.status_code == 200
    return response


def page(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_search_without_javascript_offers_matching_contacts_but_not_the_contact_itself(
    logged_in_client, ada, charles
):
    Contact.objects.create(name="Ada Byron")
    url = reverse("crm:relationship_add", args=[ada.pk])
    html = page(logged_in_client, url, q="ada")
    assert "Ada Byron" in html
    assert f'value="{ada.pk}"' not in html
    assert "Charles" not in page(logged_in_client, url, q="ada")
    assert f'value="{charles.pk}"' in page(logged_in_client, url, q="BABB")
    assert "Search by name, email or phone" in page(logged_in_client, url)
    assert "No contact matches" in page(logged_in_client, url, q="nobody")


@pytest.mark.parametrize("name", ["add", "candidates"])
def test_a_search_with_a_nul_character_is_searched_without_it(logged_in_client, ada, charles, name):
    html = page(logged_in_client, reverse(f"crm:relationship_{name}", args=[ada.pk]), q="char\x00")
    assert f'value="{charles.pk}"' in html


def test_the_candidates_fragment_serves_the_script(logged_in_client, ada, charles):
    html = page(logged_in_client, reverse("crm:relationship_candidates", args=[ada.pk]), q="char")
    assert "<html" not in html
    assert f'name="other" value="{charles.pk}"' in html


def test_a_candidate_shows_its_primary_email(logged_in_client, ada, charles):
    charles.emails.create(address="charles@home.example")  # his primary is charles@example.org
    html = page(logged_in_client, reverse("crm:relationship_candidates", args=[ada.pk]), q="char")
    assert '<span class="muted">charles@example.org</span>' in html
    assert "charles@home.example" not in html


def test_names_are_escaped_in_the_results(logged_in_client, ada):
    Contact.objects.create(name="<script>alert(1)</script> Smith")
    html = page(logged_in_client, reverse("crm:relationship_candidates", args=[ada.pk]), q="smith")
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html


def test_relate_with_two_types_shows_on_both_contacts(
    logged_in_client, ada, charles, types, messages_of
):
    response = logged_in_client.post(
        reverse("crm:relationship_add", args=[ada.pk]),
        {"other": charles.pk, "types": [t.pk for t in types]},
        follow=True,
    )
    assert messages_of(response) == [
        "Ada Lovelace and Charles Babbage are now related as Colleague, Friend."
    ]
    for contact, other in [(ada, charles), (charles, ada)]:
        html = page(logged_in_client, reverse("crm:contact_detail", args=[contact.pk]))
        assert other.name in html
        assert "Colleague" in html and "Friend" in html


def test_relating_again_reports_the_types(logged_in_client, ada, charles, types, messages_of):
    relate(logged_in_client, charles, ada, types[:1])
    response = relate(logged_in_client, charles, ada, types[1:])
    assert messages_of(response) == [
        "Charles Babbage and Ada Lovelace were related already; "
        "their types are now: Colleague, Friend."
    ]


@pytest.mark.parametrize("other", ["", "self", "999999"])
def test_a_bad_choice_is_explained_and_nothing_is_written(
    logged_in_client, ada, other, messages_of
):
    other = ada.pk if other == "self" else other
    response = logged_in_client.post(
        reverse("crm:relationship_add", args=[ada.pk]), {"other": other, "q": "ada"}
    )
    assert response.status_code == 200
    assert messages_of(response) == [
        "The contacts were not related: please correct the errors below."
    ]
    assert response.context["form"].errors["other"]
    assert 'value="ada"' in response.content.decode()
    assert not ContactRelationship.objects.exists()


@pytest.mark.parametrize("bad_type", ["abc", "-1", "99999999999999999999", "999"])
def test_a_bad_type_is_explained_on_both_forms_and_nothing_is_written(
    logged_in_client, ada, charles, types, bad_type
):
    response = logged_in_client.post(
        reverse("crm:relationship_add", args=[ada.pk]),
        {"other": charles.pk, "types": [types[0].pk, bad_type]},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["types"]
    assert not ContactRelationship.objects.exists()
    relate(logged_in_client, ada, charles, types[:1])
    response = logged_in_client.post(
        reverse("crm:relationship_edit", args=[ada.pk, charles.pk]), {"types": [bad_type]}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["types"]
    row = ContactRelationship.objects.get(from_contact=charles)
    assert list(row.types.all()) == types[:1]


def test_pages_of_a_contact_deleted_meanwhile_are_not_found(logged_in_client, ada, charles):
    url = reverse("crm:relationship_edit", args=[ada.pk, charles.pk])
    relate(logged_in_client, ada, charles)
    page(logged_in_client, url)
    Contact.objects.filter(pk=charles.pk).delete()
    assert logged_in_client.post(url, {}).status_code == 404
    response = logged_in_client.post(
        reverse("crm:relationship_remove", args=[ada.pk, charles.pk]), follow=True
    )
    assert response.status_code == 404


def test_edit_types_changes_both_contacts(logged_in_client, ada, charles, types, messages_of):
    relate(logged_in_client, ada, charles, types[:1])
    url = reverse("crm:relationship_edit", args=[charles.pk, ada.pk])
    assert "checked" in page(logged_in_client, url)
    response = logged_in_client.post(url, {"types": [types[1].pk]}, follow=True)
    assert messages_of(response) == [
        "Relationship of Charles Babbage and Ada Lovelace saved: Friend."
    ]
    assert {
        tuple(row.types.values_list("name", flat=True)) for row in ContactRelationship.objects.all()
    } == {("Friend",)}


def test_editing_a_removed_relationship_is_a_404(logged_in_client, ada, charles):
    url = reverse("crm:relationship_edit", args=[ada.pk, charles.pk])
    assert logged_in_client.get(url).status_code == 404


def test_remove_removes_both_rows_and_says_so(logged_in_client, ada, charles, messages_of):
    relate(logged_in_client, ada, charles)
    url = reverse("crm:relationship_remove", args=[charles.pk, ada.pk])
    assert logged_in_client.get(url).status_code == 405
    response = logged_in_client.post(url, follow=True)
    assert messages_of(response) == ["Charles Babbage and Ada Lovelace are no longer related."]
    assert not ContactRelationship.objects.exists()
    response = logged_in_client.post(url, follow=True)
    assert messages_of(response) == ["Charles Babbage and Ada Lovelace were not related."]


def test_relationship_pages_need_a_login(client, ada, charles):
    for url in [
        reverse("crm:contact_detail", args=[ada.pk]),
        reverse("crm:relationship_add", args=[ada.pk]),
        reverse("crm:relationship_candidates", args=[ada.pk]),
    ]:
        assert client.get(url).status_code == 302
    response = client.post(reverse("crm:relationship_add", args=[ada.pk]), {"other": charles.pk})
    assert response.status_code == 302
    assert not ContactRelationship.objects.exists()
