"""
Every write path keeps the search text true: what it stores is what a
rebuild from the database would, and searching finds the change.
"""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Address, Contact, Phone, Tag
from crm.services.duplicates import contact_merge
from crm.services.search import contact_search_rebuild, contact_search_refresh
from crm.tests.factories import make_contact
from crm.tests.test_admin import admin_form_data, inline_rows
from crm.tests.views.test_contact_form import form_data

pytestmark = pytest.mark.django_db


def assert_true_everywhere():
    """Assert that a rebuild from the database changes no contact's search text."""
    assert contact_search_rebuild() == 0


def found(query):
    return sorted(contact.name for contact in Contact.objects.search(query))


def test_the_contact_form_stores_every_field_it_saves(logged_in_client):
    data = form_data(
        "",
        given_name="Zoë",
        family_name="Ørsted",
        nickname="Zo",
        organization="Acme",
        job_title="Engineer",
        tags="VIP, Press",
        phones=[("(212) 555-0143", "mobile")],
        addresses=[{"street": "Bahnhofstraße 1", "postal_code": "8001", "city": "Zürich"}],
        emails=["zoe@acme.example"],
    )
    assert logged_in_client.post(reverse("crm:contact_create"), data).status_code == 302
    assert_true_everywhere()
    for query in ["zoe orsted", "engineer acme", "vip press", "5550143", "bahnhofstrasse 8001"]:
        assert found(query) == ["Zoë Ørsted"], query
    zoe = Contact.objects.get()
    data = form_data("Zoë Ørsted", tags="Press", emails=["zoe@new.example"])
    url = reverse("crm:contact_edit", args=[zoe.pk])
    assert logged_in_client.post(url, data).status_code == 302
    assert_true_everywhere()
    assert found("vip") == found("acme.example") == found("zurich") == found("555") == []
    assert found("press new.example") == ["Zoë Ørsted"]


def test_editing_a_shared_address_in_the_form_changes_every_sharer_s_text(logged_in_client):
    office = Address.objects.create(street="1 Main Street", city="London")
    ada = make_contact("Ada Lovelace", addresses=[office])
    make_contact("Charles Babbage", addresses=[office])
    data = form_data(
        "Ada Lovelace",
        addresses=[{"id": office.pk, "street": "1 Main Street", "city": "Paris"}],
    )
    assert (
        logged_in_client.post(reverse("crm:contact_edit", args=[ada.pk]), data).status_code == 302
    )
    assert_true_everywhere()
    assert found("paris") == ["Ada Lovelace", "Charles Babbage"]
    assert found("london") == []


def test_a_merge_gives_the_kept_contact_the_words_of_both():
    ada = make_contact("Ada Lovelace", email="ada@example.org", addresses=["London"])
    twin = make_contact("Ada King", email="countess@example.org", phones=["555 0199"])
    twin.tags.add(Tag.objects.create(name="Countess", slug="countess"))
    contact_search_refresh(ids=[twin.pk])
    contact_merge(keep=ada, duplicate=twin, nickname="Augusta")
    assert_true_everywhere()
    for query in ["countess@", "london", "555 0199", "augusta", "countess lovelace"]:
        assert found(query) == ["Ada Lovelace"], query


def test_admin_edits_of_a_contact_and_its_inlines_are_searchable(admin_client):
    ada = make_contact("Ada Lovelace", email="ada@example.org")
    url = f"/admin/crm/contact/{ada.pk}/change/"
    data = admin_form_data(admin_client, url, job_title="Programmer", **{"emails-0-primary": ""})
    inline_rows(
        data, "emails", {"address": "ada@engines.example", "label": "work", "primary": "on"}
    )
    assert admin_client.post(url, data).status_code == 302
    assert_true_everywhere()
    assert found("programmer engines.example") == ["Ada Lovelace"]


def test_admin_edit_of_a_shared_address_changes_every_sharer_s_text(admin_client):
    office = Address.objects.create(street="1 Main Street", city="London")
    make_contact("Ada Lovelace", addresses=[office])
    make_contact("Charles Babbage", addresses=[office])
    url = f"/admin/crm/address/{office.pk}/change/"
    data = admin_form_data(admin_client, url, city="Zürich", postal_code="114 55")
    assert admin_client.post(url, data).status_code == 302
    assert_true_everywhere()
    assert found("zurich 114 55") == ["Ada Lovelace", "Charles Babbage"]
    assert found("london") == []


def test_admin_edit_of_a_shared_phone_changes_every_sharer_s_text(admin_client):
    line = Phone.objects.create(number="555 0100")
    make_contact("Ada Lovelace", phones=[line])
    make_contact("Charles Babbage", phones=[line])
    url = f"/admin/crm/phone/{line.pk}/change/"
    assert admin_client.post(url, admin_form_data(admin_client, url, number="(212) 555-0177"))
    assert Phone.objects.get().digits == "12125550177"
    assert_true_everywhere()
    assert found("212-555-0177") == ["Ada Lovelace", "Charles Babbage"]
    assert found("555 0100") == []


def test_admin_deletes_of_shared_rows_leave_no_words_behind(admin_client):
    line = Phone.objects.create(number="555 0100")
    office = Address.objects.create(city="London")
    ada = make_contact("Ada Lovelace", phones=[line], addresses=[office])
    vip = Tag.objects.create(name="VIP", slug="vip")
    ada.tags.add(vip)
    contact_search_refresh(ids=[ada.pk])
    assert found("vip london 5550100") == ["Ada Lovelace"]
    for url in [
        f"/admin/crm/phone/{line.pk}/delete/",
        f"/admin/crm/address/{office.pk}/delete/",
        f"/admin/crm/tag/{vip.pk}/delete/",
    ]:
        assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert_true_everywhere()
    assert found("vip") == found("london") == found("5550100") == []
    assert found("ada") == ["Ada Lovelace"]


def test_admin_delete_selected_shared_rows_leaves_no_words_behind(admin_client):
    lines = [Phone.objects.create(number=f"555 010{i}") for i in range(2)]
    make_contact("Ada Lovelace", phones=lines)
    data = {"action": "delete_selected", "post": "yes", "_selected_action": [p.pk for p in lines]}
    assert admin_client.post("/admin/crm/phone/", data).status_code == 302
    assert_true_everywhere()
    assert found("5550100") == []


def test_renaming_a_tag_in_the_admin_changes_the_text_of_its_contacts(admin_client):
    vip = Tag.objects.create(name="VIP", slug="vip")
    for name in ["Ada Lovelace", "Charles Babbage"]:
        make_contact(name).tags.add(vip)
    contact_search_refresh(ids=Contact.objects.values_list("pk", flat=True))
    url = f"/admin/crm/tag/{vip.pk}/change/"
    assert (
        admin_client.post(url, admin_form_data(admin_client, url, name="Gold")).status_code == 302
    )
    assert_true_everywhere()
    assert found("gold") == ["Ada Lovelace", "Charles Babbage"]
    assert found("vip") == []


def test_tags_added_and_removed_in_the_form_are_searchable(logged_in_client):
    ada = make_contact("Ada Lovelace")
    url = reverse("crm:contact_edit", args=[ada.pk])
    logged_in_client.post(url, form_data("Ada Lovelace", tags="Investor, Press"))
    assert found("investor") == found("press") == ["Ada Lovelace"]
    logged_in_client.post(url, form_data("Ada Lovelace", tags="Press"))
    assert found("investor") == []
    assert found("press") == ["Ada Lovelace"]
    assert_true_everywhere()


def test_contact_save_keeps_the_words_of_its_rows():
    ada = make_contact("Ada Lovelace", email="ada@example.org")
    ada = Contact.objects.get(pk=ada.pk)
    ada.organization = "Analytical Engines"
    ada.save(update_fields=["organization"])
    assert_true_everywhere()
    assert found("analytical ada@example") == ["Ada Lovelace"]


def test_refresh_costs_six_queries_a_thousand_contacts(monkeypatch):
    monkeypatch.setattr("crm.services.search.BATCH", 2)
    ids = [make_contact(f"Person {i}", email=f"p{i}@example.org").pk for i in range(4)]
    Contact.objects.update(search_text="")

    def refreshed(ids):
        with CaptureQueriesContext(connection) as captured:
            changed = contact_search_refresh(ids=ids)
        return changed, len([q for q in captured if "SAVEPOINT" not in q["sql"]])

    # Lock and read the contacts, read their emails, phones, addresses, tags; write.
    assert refreshed(ids[:2]) == (2, 6)
    # Two batches; the first has nothing to write any more, and does not.
    assert refreshed(ids) == (2, 11)
    assert refreshed(ids) == (0, 10)


def test_the_demo_loader_writes_the_text_a_rebuild_would():
    call_command("crm_demo", contacts=60, seed=7, stdout=None)
    assert Contact.objects.exclude(search_text__contains="\n").count() == 0
    assert_true_everywhere()
    contact = Contact.objects.exclude(emails=None).exclude(phones=None).first()
    email, phone = contact.emails.first(), contact.phones.first()
    query = f"{contact.name.split()[-1]} {email.address} {phone.number}"
    assert contact.name in found(query)
