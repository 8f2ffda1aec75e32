"""The timeline on the contact page, its add, edit and delete pages, and follow-ups at home."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Change, Contact, Entry
from crm.services.timeline import entry_add
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db

T = datetime.datetime(2026, 5, 4, 10, 30, tzinfo=datetime.UTC)


def add(contacts, author, kind="call", when=T, **fields):
    return entry_add(contacts=contacts, author=author, kind=kind, at=when, **fields)


def form(**fields):
    return {"kind": "note", "at": "2026-05-04T10:30", "text": "", "follow_up": "", **fields}


def test_a_note_added_on_the_page_shows_escaped_with_its_author(logged_in_client, ada, user):
    url = reverse("crm:entry_add", args=[ada.pk])
    response = logged_in_client.post(url, form(text="Likes <b>engines</b>"), follow=True)
    assert response.redirect_chain[-1][0] == f"{ada.get_absolute_url()}#timeline"
    page = response.content.decode()
    assert "Note saved." in page
    assert "Likes &lt;b&gt;engines&lt;/b&gt;" in page and "<b>engines" not in page
    assert f"by {user.username}" in page
    entry = Entry.objects.get()
    assert (entry.author, entry.kind, list(entry.contacts.all())) == (user, "note", [ada])
    # In the contact's history, through the timeline, by its author.
    change = Change.objects.get()
    assert (change.contact, change.kind, change.key, change.action) == (
        ada,
        "entry",
        str(entry.pk),
        "add",
    )
    assert (change.source, change.author, change.after["text"]) == (
        "timeline",
        user,
        "Likes <b>engines</b>",
    )


def test_a_meeting_with_three_contacts_shows_on_all_three(logged_in_client, ada, charles):
    grace = make_contact("Grace Hopper")
    data = form(kind="meeting", text="Planning the engine", others=[charles.pk, grace.pk])
    logged_in_client.post(reverse("crm:entry_add", args=[ada.pk]), data)
    for contact, others in [(ada, (charles, grace)), (charles, (ada, grace)), (grace, (ada,))]:
        page = logged_in_client.get(contact.get_absolute_url()).content.decode()
        assert "Planning the engine" in page, contact
        for other in others:
            assert f'href="{other.get_absolute_url()}">{other.name}</a>' in page
        assert Contact.objects.get(pk=contact.pk).last_interaction is not None


def test_find_shows_the_contacts_found_and_keeps_what_was_typed(logged_in_client, ada, charles):
    data = form(text="Half typed", q="babbage", find="1")
    response = logged_in_client.post(reverse("crm:entry_add", args=[ada.pk]), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert f'name="others" value="{charles.pk}"' in page
    assert "Half typed" in page
    assert not Entry.objects.exists()


def test_bad_input_shows_errors_and_saves_nothing(logged_in_client, ada, messages_of):
    url = reverse("crm:entry_add", args=[ada.pk])
    for data in [form(at="yesterday"), form(kind="gossip"), form(others=["x", "9" * 30])]:
        response = logged_in_client.post(url, data)
        assert response.status_code == 200, data
        assert messages_of(response) == [
            "The entry was not saved: please correct the errors below."
        ]
    assert not Entry.objects.exists()


def test_only_the_author_edits_or_deletes_an_entry(logged_in_client, make_user, ada, user):
    entry = add([ada], user, "note", text="Original")
    client = Client()
    client.force_login(make_user("bob"))
    edit = reverse("crm:entry_edit", args=[ada.pk, entry.pk])
    delete = reverse("crm:entry_delete", args=[ada.pk, entry.pk])
    done = reverse("crm:entry_done", args=[ada.pk, entry.pk])
    for url in (edit, delete):
        assert client.get(url).status_code == 404
    for url in (edit, delete, done):
        assert client.post(url, form(text="Changed")).status_code == 404
    assert Entry.objects.get().text == "Original"
    assert edit not in client.get(ada.get_absolute_url()).content.decode()
    assert edit in logged_in_client.get(ada.get_absolute_url()).content.decode()
    # The author, on a contact the entry is not on: not found either.
    charles = make_contact("Charles Babbage")
    assert logged_in_client.get(edit.replace(f"/{ada.pk}/", f"/{charles.pk}/")).status_code == 404


def test_the_author_edits_then_deletes_an_entry(logged_in_client, ada, charles, user):
    entry = add([ada], user, "note", text="Original")
    edit = reverse("crm:entry_edit", args=[ada.pk, entry.pk])
    page = logged_in_client.get(edit).content.decode()
    assert "Original" in page and 'value="2026-05-04T10:30"' in page
    data = form(kind="call", text="Edited", others=[charles.pk])
    assert logged_in_client.post(edit, data).status_code == 302
    entry.refresh_from_db()
    assert (entry.kind, entry.text, set(entry.contacts.all())) == ("call", "Edited", {ada, charles})
    delete = reverse("crm:entry_delete", args=[ada.pk, entry.pk])
    page = logged_in_client.get(delete).content.decode()
    assert "timeline of Ada Lovelace and Charles Babbage" in page
    assert logged_in_client.post(delete).status_code == 302
    assert not Entry.objects.exists()
    assert Contact.objects.get(pk=charles.pk).last_interaction is None


def test_the_timeline_is_paginated_newest_first(logged_in_client, ada, user):
    for day in range(25):
        add([ada], user, "call", T + datetime.timedelta(days=day), text=f"Day {day:02d}")
    first = logged_in_client.get(ada.get_absolute_url())
    texts = [entry.text for entry in first.context["timeline"].entries]
    assert texts == [f"Day {day:02d}" for day in range(24, 4, -1)]
    assert 'href="?timeline=2#timeline"' in first.content.decode()
    second = logged_in_client.get(ada.get_absolute_url(), {"timeline": "2"})
    assert [entry.text for entry in second.context["timeline"].entries] == [
        f"Day {day:02d}" for day in range(4, -1, -1)
    ]
    assert logged_in_client.get(ada.get_absolute_url(), {"timeline": "x"}).status_code == 200


def test_the_timeline_costs_one_query_whatever_it_holds(logged_in_client, ada, charles, user):
    def count(contact):
        with CaptureQueriesContext(connection) as captured:
            assert logged_in_client.get(contact.get_absolute_url()).status_code == 200
        return len(captured)

    count(charles)  # One-time feature checks of the database backend.
    others = [make_contact(f"Other {i}") for i in range(3)]
    for day in range(25):
        add([ada, *others], user, "meeting", T + datetime.timedelta(days=day))
    assert count(ada) == count(charles)


def test_follow_ups_due_show_on_their_authors_home_page_only(
    logged_in_client, make_user, ada, user
):
    today = timezone.localdate()
    add([ada], user, text="Due today <script>", follow_up=today)
    add([ada], user, text="Overdue", follow_up=today - datetime.timedelta(days=3))
    add([ada], user, text="Not yet", follow_up=today + datetime.timedelta(days=1))
    add([ada], make_user("bob"), text="Bob's", follow_up=today)
    page = logged_in_client.get("/").content.decode()
    assert "Your follow-ups due" in page
    assert page.index("Overdue") < page.index("Due today")
    assert "Not yet" not in page and "Bob&#x27;s" not in page
    assert "Due today &lt;script&gt;" in page and "<script>" not in page.split("</head>")[1]
    # The contact list alone does not show them.
    assert (
        "Your follow-ups due"
        not in logged_in_client.get(reverse("crm:contact_list")).content.decode()
    )
    client = Client()
    client.force_login(make_user("carol"))
    assert "Your follow-ups due" not in client.get("/").content.decode()


def test_done_takes_a_follow_up_off_the_home_page(logged_in_client, ada, user, messages_of):
    entry = add([ada], user, text="Call back", follow_up=timezone.localdate())
    done = reverse("crm:entry_done", args=[ada.pk, entry.pk])
    response = logged_in_client.post(done, {"next": "/"}, follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert messages_of(response) == ["Follow-up with Ada Lovelace done."]
    assert "Call back" not in response.content.decode()
    assert Entry.objects.get().follow_up_done
    # Elsewhere than this site, back to the contact.
    response = logged_in_client.post(done, {"next": "https://example.org/"})
    assert response["Location"] == f"{ada.get_absolute_url()}#timeline"


def test_the_home_page_costs_one_query_more_than_the_list(logged_in_client, ada, user):
    for i in range(5):
        add([ada, make_contact(f"Other {i}")], user, follow_up=timezone.localdate())
    logged_in_client.get("/")  # One-time feature checks of the database backend.
    counts = {}
    for url in ("/", reverse("crm:contact_list")):
        with CaptureQueriesContext(connection) as captured:
            assert logged_in_client.get(url).status_code == 200
        counts[url] = len(captured)
    assert counts["/"] == counts[reverse("crm:contact_list")] + 1
