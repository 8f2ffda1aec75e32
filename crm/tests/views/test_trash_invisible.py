"""A contact in the trash is invisible everywhere but the trash page."""

import pytest
from django.urls import reverse

from crm.imports.plan import match_contacts
from crm.models import Address, Contact, Import, Phone, Tag
from crm.queries.duplicates import duplicate_groups, possible_duplicates
from crm.services.contacts import contact_save
from crm.services.relationships import relationship_add
from crm.services.trash import contact_trash
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(friend):
    """
    Return Ada (in the trash) and Charles (live), who share a phone, an
    address, a tag, an email, a name key and a relationship.
    """
    vip = Tag.objects.create(name="VIP", slug="vip")
    phone = Phone.objects.create(number="555 0100")
    office = Address.objects.create(city="London", street="1 Main Street")
    ada = make_contact("Ada Lovelace", phones=[phone], addresses=[office], email="ada@example.org")
    charles = make_contact(
        "Charles Babbage", phones=[phone], addresses=[office], email="ADA@example.org"
    )
    twin = make_contact("Ada Lovelace")
    for contact in (ada, charles):
        contact.tags.add(vip)
    relationship_add(contact=ada, other=charles, types=[friend])
    contact_trash(contact=ada)
    return ada, charles, twin


def text(response):
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content if response.streaming else [response.content])


def test_the_list_search_and_exports_leave_it_out(logged_in_client, book):
    ada, charles, twin = book
    listed = logged_in_client.get(reverse("crm:contact_list"))
    assert set(listed.context["contacts"]) == {charles, twin}
    found = logged_in_client.get(reverse("crm:contact_list"), {"q": "london"})
    assert [c.pk for c in found.context["contacts"]] == [charles.pk]
    for url in ("crm:contact_export_csv", "crm:contact_export_vcf"):
        exported = text(logged_in_client.get(reverse(url), {"q": "london"})).decode("utf-8-sig")
        assert "Charles Babbage" in exported and "Lovelace" not in exported
    assert list(Contact.objects.search("lovelace")) == [twin]


def test_its_pages_are_not_found(logged_in_client, book):
    ada, charles, _ = book
    for name in ("contact_detail", "contact_edit", "contact_vcard", "contact_delete"):
        assert logged_in_client.get(reverse(f"crm:{name}", args=[ada.pk])).status_code == 404
    for name in ("relationship_edit", "relationship_remove"):
        url = reverse(f"crm:{name}", args=[charles.pk, ada.pk])
        assert logged_in_client.post(url).status_code == 404
    url = reverse("crm:relationship_add", args=[ada.pk])
    assert logged_in_client.get(url).status_code == 404
    url = reverse("crm:contact_merge", args=[charles.pk, ada.pk])
    response = logged_in_client.get(url)
    assert response.status_code == 302


def test_a_live_contacts_page_shows_neither_its_relationship_nor_its_sharing(
    logged_in_client, book
):
    ada, charles, _ = book
    page = text(logged_in_client.get(reverse("crm:contact_detail", args=[charles.pk]))).decode()
    # No link to her (the history may still say they were related).
    assert "Charles Babbage" in page and f'href="/contacts/{ada.pk}/' not in page
    assert "Shared" not in page and 'id="relationships"' in page
    edit = text(logged_in_client.get(reverse("crm:contact_edit", args=[charles.pk]))).decode()
    assert "Lovelace" not in edit


def test_a_number_shared_only_with_it_is_not_said_shared(book):
    ada, charles, twin = book
    grace = make_contact("Grace Hopper", phones=["555 0199"])
    contact_trash(contact=grace)
    shared = contact_save(contact=twin, phones=[("555-0199", "mobile")], addresses=[])
    assert shared == []
    # Not retyped either: Grace comes back with the number as she had it.
    assert twin.phones.get().number == "555 0199"


def test_duplicates_leave_it_out(logged_in_client, user, book):
    ada, charles, twin = book
    assert duplicate_groups(user=user) == []
    assert "Lovelace" not in text(logged_in_client.get(reverse("crm:duplicate_list"))).decode()
    matches = possible_duplicates(
        name="Ada Lovelace", emails=["ada@example.org"], phones=[("555 0100", "mobile")], user=user
    )
    assert {match.contact for match in matches} == {charles, twin}


def test_the_relationship_picker_leaves_it_out(logged_in_client, book):
    ada, charles, twin = book
    url = reverse("crm:relationship_candidates", args=[charles.pk])
    html = text(logged_in_client.get(url, {"q": "ada"})).decode()
    assert f'value="{twin.pk}"' in html and f'value="{ada.pk}"' not in html
    url = reverse("crm:relationship_add", args=[charles.pk])
    response = logged_in_client.post(url, {"other": ada.pk})
    assert response.status_code == 200 and not response.context["form"].is_valid()


def test_tag_pages_leave_it_out(logged_in_client, book):
    ada, charles, _ = book
    tags = logged_in_client.get(reverse("crm:tag_list")).context["tags"]
    assert [(tag.name, tag.contact_count) for tag in tags] == [("VIP", 1)]
    listed = logged_in_client.get(reverse("crm:tag_detail", args=["vip"]))
    assert list(listed.context["contacts"]) == [charles]


def test_bulk_actions_leave_it_out(logged_in_client, book):
    ada, charles, _ = book
    data = {"action": "tag", "ids": [ada.pk, charles.pk], "tag_name": "Press"}
    logged_in_client.post(reverse("crm:contact_bulk"), data)
    assert list(Tag.objects.get(name="Press").contacts.all()) == [charles]
    assert not Contact.all_objects.filter(pk=ada.pk, tags__name="Press").exists()
    data = {"action": "delete", "all": "1", "q": "lovelace", "confirmed": "1"}
    logged_in_client.post(reverse("crm:contact_bulk"), data)
    trashed = Contact.all_objects.exclude(trashed=None)
    assert set(trashed.values_list("name", flat=True)) == {"Ada Lovelace"}
    assert trashed.count() == 2


def test_imports_do_not_match_it(user, book):
    ada, charles, twin = book
    assert match_contacts(Import.Match.EMAIL, ["ada@example.org"], user=user) == {
        "ada@example.org": charles.pk
    }
    assert match_contacts(Import.Match.PHONE, ["5550100"], user=user) == {"5550100": charles.pk}
    name_key = Contact.objects.get(pk=twin.pk).name_key
    assert match_contacts(Import.Match.NAME, [name_key], user=user) == {name_key: twin.pk}
    twin.delete()
    charles.emails.all().delete()
    assert match_contacts(Import.Match.EMAIL, ["ada@example.org"], user=user) == {}
    assert match_contacts(Import.Match.NAME, [name_key], user=user) == {}
