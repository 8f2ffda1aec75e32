"""Bulk actions of the contact list: tag, untag, export, delete and merge a selection."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Address, Contact, Phone, Tag
from crm.services.contacts import tag_get_or_create
from crm.services.trash import trash_purge
from crm.tests.factories import make_contact, make_contacts

pytestmark = pytest.mark.django_db
BULK = reverse("crm:contact_bulk")
LIST = reverse("crm:contact_list")
TRASH = reverse("crm:trash_list")


def post(client, action, contacts=(), **data):
    """Post ``action`` on ``contacts`` (rows or ids) as the bar would; return the response."""
    ids = [getattr(contact, "pk", contact) for contact in contacts]
    return client.post(BULK, {"action": action, "ids": ids, **data})


def tag_names(contact):
    return sorted(contact.tags.values_list("name", flat=True))


def test_tag_selected_contacts_then_back_to_the_list_as_it_was(logged_in_client, shown):
    ada, bob, cy = (make_contact(name) for name in ["Ada", "Bob", "Cy"])
    response = post(logged_in_client, "tag", [ada, bob], tag_name="VIP", list="q=a&sort=-name")
    assert response.status_code == 302
    assert response.url == f"{LIST}?q=a&sort=-name"
    assert (tag_names(ada), tag_names(bob), tag_names(cy)) == (["VIP"], ["VIP"], [])
    assert shown(logged_in_client.get(response.url)) == ["Tagged 2 contacts with “VIP”."]


def test_tagging_again_keeps_one_tag_found_ignoring_case(logged_in_client):
    ada = make_contact("Ada")
    vip = tag_get_or_create(name="VIP")
    ada.tags.add(vip)
    post(logged_in_client, "tag", [ada], tag_name="vip")
    assert list(Tag.objects.all()) == [vip]
    assert tag_names(ada) == ["VIP"]


def test_a_tag_name_is_spaced_as_a_contact_form_saves_it(logged_in_client):
    ada = make_contact("Ada")
    post(logged_in_client, "tag", [ada], tag_name="  Very   Important ")
    assert tag_names(ada) == ["Very Important"]


def test_untag_selected_contacts(logged_in_client, shown):
    ada, bob, cy = (make_contact(name) for name in ["Ada", "Bob", "Cy"])
    vip = tag_get_or_create(name="VIP")
    for contact in (ada, bob, cy):
        contact.tags.add(vip)
    response = post(logged_in_client, "untag", [ada, bob], tag_name="vip")
    assert shown(logged_in_client.get(response.url)) == ["Removed “vip” from 2 contacts."]
    assert (tag_names(ada), tag_names(bob), tag_names(cy)) == ([], [], ["VIP"])
    response = post(logged_in_client, "untag", [ada], tag_name="Unknown")
    assert shown(logged_in_client.get(response.url)) == [
        "None of the selected contacts is tagged “Unknown”."
    ]


def test_tag_all_matching_across_pages_tags_exactly_the_matching(logged_in_client, shown):
    # 120 match the search and the filter (more than two pages of 50); others
    # miss the search, the filter, or the created range.
    friend = tag_get_or_create(name="Friend")
    matching = make_contacts(120, prefix="Office")
    others = make_contacts(30, prefix="Office") + make_contacts(40, prefix="Home")
    for contact in matching + others[30:]:
        contact.tags.add(friend)
    old = make_contact("Office Old")
    old.tags.add(friend)
    Contact.objects.filter(pk=old.pk).update(created=timezone.now() - datetime.timedelta(days=9))
    since = timezone.localdate() - datetime.timedelta(days=1)
    filters = {"q": "office", "tag": "friend", "created_from": since.isoformat()}
    data = {"all": "1", "ids": [matching[0].pk], **filters, "list": "q=office&tag=friend"}
    response = post(logged_in_client, "tag", tag_name="Partner", **data)
    assert response.url == f"{LIST}?q=office&tag=friend"
    assert shown(logged_in_client.get(response.url)) == ["Tagged 120 contacts with “Partner”."]
    partner = Tag.objects.get(name="Partner")
    assert set(partner.contacts.all()) == set(matching)


def test_export_selected_contacts(logged_in_client):
    ada = make_contact("Ada Lovelace", email="ada@example.org")
    make_contact("Bob Other", email="bob@example.org")
    response = post(logged_in_client, "export_csv", [ada])
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="contacts.csv"'
    assert "no-store" in response["Cache-Control"]
    text = b"".join(response.streaming_content).decode()
    assert "ada@example.org" in text and "bob@example.org" not in text
    response = post(logged_in_client, "export_vcf", [ada])
    cards = b"".join(response.streaming_content).decode()
    assert cards.count("BEGIN:VCARD") == 1 and "FN:Ada Lovelace" in cards


def test_delete_asks_for_confirmation_then_trashes_exactly_those(logged_in_client, shown):
    office = Phone.objects.create(number="555 0100")
    ada = make_contact("Ada", phones=[office, "555 0101"], addresses=["London"])
    bob = make_contact("Bob", phones=["555 0102"], addresses=["Paris"])
    cy = make_contact("Cy", phones=[office])
    london = ada.addresses.get()
    cy.addresses.add(london)
    response = post(logged_in_client, "delete", [ada, bob], list="q=x")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Delete 2 contacts?" in page and "<li>Ada</li>" in page and "<li>Bob</li>" in page
    assert Contact.objects.count() == 3
    confirm = {"action": "delete", "ids": [ada.pk, bob.pk], "list": "q=x", "confirmed": "1"}
    response = logged_in_client.post(BULK, confirm)
    assert response.url == f"{LIST}?q=x"
    moved = f'Moved 2 contacts to the <a href="{TRASH}">trash</a>.'
    assert shown(logged_in_client.get(response.url)) == [moved]
    assert list(Contact.objects.all()) == [cy]
    # In the trash, with all they hold, until they are deleted for good.
    assert set(Contact.all_objects.exclude(trashed=None)) == {ada, bob}
    assert Phone.objects.count() == 3 and Address.objects.count() == 2
    assert trash_purge(days=0) == 2
    # Cy's office line and address stay; Ada's and Bob's own ones are gone.
    assert list(Phone.objects.all()) == [office]
    assert list(Address.objects.all()) == [london]


def test_delete_confirmation_of_all_matching_names_the_first_few(logged_in_client):
    make_contacts(8, prefix="Office")
    make_contact("Home")
    response = post(logged_in_client, "delete", all="1", q="office")
    page = response.content.decode()
    assert "Delete 8 contacts?" in page and "and 3 more" in page
    assert '<input type="hidden" name="all" value="1">' in page
    assert '<input type="hidden" name="q" value="office">' in page
    response = logged_in_client.post(
        BULK, {"action": "delete", "all": "1", "q": "office", "confirmed": "1"}
    )
    assert list(Contact.objects.values_list("name", flat=True)) == ["Home"]


def test_deleting_contacts_gone_meanwhile_reports_it(logged_in_client, shown):
    ada = make_contact("Ada")
    ada_pk = ada.pk
    ada.delete()
    response = post(logged_in_client, "delete", [ada_pk], confirmed="1")
    assert shown(logged_in_client.get(response.url)) == [
        "Nothing was deleted: the selected contacts were deleted already."
    ]


def test_merge_two_selected_opens_the_merge_page(logged_in_client):
    ada, ada2 = make_contact("Ada"), make_contact("Ada L")
    response = post(logged_in_client, "merge", [ada2, ada])
    assert response.url == reverse("crm:contact_merge", args=[ada.pk, ada2.pk])


@pytest.mark.parametrize("count", [1, 3])
def test_merge_needs_exactly_two(logged_in_client, shown, count):
    contacts = [make_contact(f"Person {i}") for i in range(count)]
    response = post(logged_in_client, "merge", contacts, list="page=last")
    assert response.url == f"{LIST}?page=last"
    assert shown(logged_in_client.get(response.url)) == [
        "Select exactly two contacts to merge them."
    ]


@pytest.mark.parametrize(
    "data, message",
    [
        ({"action": "tag", "tag_name": "VIP"}, "Select at least one contact first."),
        ({"action": "explode", "ids": ["1"]}, "Select a valid choice."),
        ({"action": "tag", "ids": ["1"]}, "Type the name of a tag."),
        ({"action": "tag", "ids": ["1"], "tag_name": "VIP, Press"}, "cannot contain a comma"),
        ({"action": "tag", "ids": ["1"], "tag_name": "V" * 101}, "at most 100 characters"),
        ({"action": "tag", "ids": ["1", "x"], "tag_name": "V"}, "not a list of contacts"),
        ({"action": "tag", "ids": ["1e3"], "tag_name": "V"}, "not a list of contacts"),
        ({"action": "tag", "ids": ["9" * 5000], "tag_name": "V"}, "not a list of contacts"),
        ({"action": "delete", "ids": [str(i) for i in range(600)]}, "Select at most 500"),
        ({"action": "tag", "ids": ["0", str(2**63)], "tag_name": "V"}, "Select at least one"),
        ({"action": "delete", "all": "1", "created_from": "yesterday"}, "filters are not valid"),
        ({"action": "delete", "all": "1", "q": "a" * 20_001}, "filters are not valid"),
    ],
)
def test_bad_input_answers_a_message_never_a_500(logged_in_client, shown, data, message):
    response = logged_in_client.post(BULK, {**data, "list": "q=a"})
    assert response.status_code == 302
    assert response.url == f"{LIST}?q=a"
    assert message in " ".join(shown(logged_in_client.get(response.url)))
    assert not Tag.objects.exists()


def test_ids_of_no_contact_change_nothing(logged_in_client, shown):
    ada = make_contact("Ada")
    response = post(logged_in_client, "tag", [ada.pk + 1000], tag_name="VIP")
    assert shown(logged_in_client.get(response.url)) == [
        "No contact was tagged: the selected contacts no longer exist."
    ]
    assert not Tag.objects.exists()


@pytest.mark.parametrize(
    "given, expected",
    [
        ("https://evil.example/", LIST),
        ("//evil.example/x", LIST),
        ("q=a&next=//evil.example&tag=vip&page=last", f"{LIST}?q=a&tag=vip&page=last"),
        ("q=%0d%0aLocation:x", f"{LIST}?q=%0D%0ALocation%3Ax"),
    ],
)
def test_the_way_back_is_always_the_list(logged_in_client, given, expected):
    response = post(logged_in_client, "merge", [make_contact("Ada")], list=given)
    assert response.url == expected


def test_more_fields_than_django_reads_answer_400(logged_in_client):
    ids = [str(i) for i in range(5000)]
    assert post(logged_in_client, "delete", ids, confirmed="1").status_code == 400


def test_get_is_refused_and_login_required(logged_in_client):
    assert logged_in_client.get(BULK).status_code == 405
    response = Client().post(BULK, {"action": "delete", "ids": ["1"], "confirmed": "1"})
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_csrf_is_checked(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    ada = make_contact("Ada")
    response = client.post(BULK, {"action": "delete", "ids": [ada.pk], "confirmed": "1"})
    assert response.status_code == 403
    assert Contact.objects.filter(pk=ada.pk).exists()


def _queries(client, data):
    with CaptureQueriesContext(connection) as captured:
        response = client.post(BULK, data)
    assert response.status_code == 302
    return len(captured)


@pytest.mark.parametrize("action", ["tag", "untag"])
def test_query_count_of_tagging_does_not_grow_with_the_contacts(logged_in_client, action):
    counts = {}
    tag_get_or_create(name="VIP")
    for size in (3, 300):
        Contact.objects.all().delete()
        contacts = make_contacts(size)
        if action == "untag":
            Tag.objects.get().contacts.add(*contacts)
        data = {"action": action, "tag_name": "VIP"}
        counts["ids", size] = _queries(logged_in_client, {**data, "ids": [c.pk for c in contacts]})
        counts["all", size] = _queries(logged_in_client, {**data, "all": "1", "q": "person"})
    assert counts["ids", 3] == counts["ids", 300], counts
    assert counts["all", 3] == counts["all", 300], counts


def test_query_count_of_trashing_does_not_grow_with_the_contacts(logged_in_client):
    counts = {}
    for size in (3, 45, 300):
        contacts = make_contacts(size, phones_each=2)
        for contact in contacts:
            contact.addresses.add(Address.objects.create(city="Paris"))
        data = {"action": "delete", "all": "1", "q": "person", "confirmed": "1"}
        counts[size] = _queries(logged_in_client, data)
        assert not Contact.objects.exists() and Phone.objects.exists()
        assert trash_purge(days=0) == size
        assert not Phone.objects.exists() and not Address.objects.exists()
    # One UPDATE for each thousand contacts, whatever their phones and addresses.
    assert counts[3] == counts[45] == counts[300], counts


def test_tags_added_in_bulk_are_found_by_search(logged_in_client):
    ada = make_contact("Ada")
    post(logged_in_client, "tag", [ada], tag_name="Zanzibar")
    assert list(Contact.objects.search("zanzibar")) == [ada]
