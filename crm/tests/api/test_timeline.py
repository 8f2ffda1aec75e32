"""The API's timeline: a contact's entries newest first, and writing one's own."""

import datetime

import pytest
from django.utils import timezone

from crm.models import Change, Contact, Entry
from crm.services.timeline import entry_add
from crm.services.trash import contact_trash
from crm.tests.factories import make_contact
from crm.tests.races.clients import logged_in_clients
from locking.testing import test_concurrently

from .records import UNSEEN_REF, call, every_page, make_team_book, problem_of, queries_of

pytestmark = pytest.mark.django_db

T = datetime.datetime(2026, 5, 4, 10, 30, tzinfo=datetime.UTC)


@pytest.fixture
def team_book(settings, editor):
    return make_team_book(settings, editor)


def url(contact, entry=None, tail=""):
    base = f"/api/contacts/{contact.pk}/timeline"
    return base + (f"/{entry.pk if hasattr(entry, 'pk') else entry}" if entry else "") + tail


def add(contacts, author, at=T, **fields):
    return entry_add(
        contacts=contacts, author=author, kind=fields.pop("kind", "call"), at=at, **fields
    )


def test_a_post_adds_an_entry_on_the_contact_and_the_others(client, editor, ada, charles):
    client.force_login(editor)
    body = {
        "kind": "meeting",
        "at": "2026-05-04T10:30:00Z",
        "text": "Planning <b>the engine</b>",
        "follow_up": "2026-06-01",
        "participants": [charles.pk, ada.pk],
    }
    response = call(client, "POST", url(ada), body)
    assert response.status_code == 201, response.content
    entry = Entry.objects.get()
    assert response.json() == {
        "id": entry.pk,
        "kind": "meeting",
        "at": "2026-05-04T10:30:00Z",
        "author": {"id": editor.pk, "username": "edith"},
        "text": "Planning <b>the engine</b>",
        "participants": [{"id": charles.pk, "name": "Charles Babbage"}],
        "follow_up": "2026-06-01",
        "follow_up_done": False,
        "mine": True,
    }
    assert set(entry.contacts.all()) == {ada, charles}
    assert Contact.objects.get(pk=charles.pk).last_interaction == T
    assert {(c.contact_id, c.source, c.author_id) for c in Change.objects.all()} == {
        (ada.pk, "timeline", editor.pk),
        (charles.pk, "timeline", editor.pk),
    }


def test_a_post_with_defaults_is_a_note_now_on_the_contact_alone(client, editor, ada):
    client.force_login(editor)
    before = timezone.now()
    response = call(client, "POST", url(ada), {})
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["text"], body["participants"]) == ("note", "", [])
    assert Entry.objects.get().at >= before


def test_bad_entries_are_refused_with_the_field_and_nothing_is_stored(client, editor, ada, user):
    gone = make_contact("Gone")
    contact_trash(contact=gone, by=user)
    client.force_login(editor)
    refused = problem_of(call(client, "POST", url(ada), {"participants": [gone.pk, 10**12]}), 422)
    assert refused["errors"] == [
        {
            "field": "body.participants.0",
            "message": f"No contact you can see has the id {gone.pk}.",
        },
        {
            "field": "body.participants.1",
            "message": "No contact you can see has the id 1000000000000.",
        },
    ]
    for body in [
        {"kind": "dinner"},
        {"text": "a\x00b"},
        {"text": "x" * 20_001},
        {"at": "yesterday"},
        {"at": "0001-01-01T00:00:00+14:00"},
        {"follow_up": "2026-02-30"},
        {"participants": list(range(1, 102))},
    ]:
        refused = problem_of(call(client, "POST", url(ada), body), 422)
        assert refused["errors"], body
    assert not Entry.objects.exists() and not Change.objects.filter(kind="entry").exists()


def test_a_time_without_offset_is_the_sites(client, editor, ada, settings):
    settings.TIME_ZONE = "Europe/Paris"
    client.force_login(editor)
    with timezone.override("Europe/Paris"):
        response = call(client, "POST", url(ada), {"at": "2026-05-04T12:30:00"})
    assert response.status_code == 201
    assert Entry.objects.get().at == T


def test_the_timeline_is_newest_first_in_constant_queries(client, viewer, editor, ada, charles):
    for day in range(3):
        add([ada, charles], editor, at=T + datetime.timedelta(days=day), text=f"Day {day}")
    client.force_login(viewer)
    few = queries_of(client, url(ada))
    for day in range(3, 40):
        add(
            [ada, charles, make_contact(f"Other {day}")],
            editor,
            at=T + datetime.timedelta(days=day),
        )
    # Two entries at the same moment are told apart by their id.
    twin = add([ada], editor, at=T + datetime.timedelta(days=39))
    assert queries_of(client, url(ada), limit=200) == few
    items = every_page(client, url(ada), limit=6)
    assert len(items) == 41
    assert items[0]["id"] == twin.pk and items[0]["participants"] == []
    assert [item["at"] for item in items] == sorted((item["at"] for item in items), reverse=True)
    assert items[-1]["text"] == "Day 0" and items[-1]["mine"] is False
    assert items[-1]["participants"] == [{"id": charles.pk, "name": "Charles Babbage"}]


def test_only_the_author_changes_an_entry(client, editor, user, ada, charles):
    grace = make_contact("Grace Hopper")
    entry = add([ada, charles], editor, text="Call", follow_up=datetime.date(2026, 6, 1))
    theirs = add([ada], user, text="Theirs")
    client.force_login(editor)
    response = call(
        client, "PATCH", url(ada, entry), {"text": "Long call", "participants": [grace.pk]}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["text"], body["kind"], body["at"]) == ("Long call", "call", "2026-05-04T10:30:00Z")
    assert body["participants"] == [{"id": grace.pk, "name": "Grace Hopper"}]
    assert body["follow_up"] == "2026-06-01"
    assert set(Entry.objects.get(pk=entry.pk).contacts.all()) == {ada, grace}
    # Values left out stay; a null follow-up is none.
    body = call(client, "PATCH", url(grace, entry), {"follow_up": None}).json()
    assert (body["follow_up"], body["text"]) == (None, "Long call")
    assert body["participants"] == [{"id": ada.pk, "name": "Ada Lovelace"}]
    # Someone else's entry, or one not on the contact, is not found.
    problem_of(call(client, "PATCH", url(ada, theirs), {"text": "Mine now"}), 404)
    problem_of(call(client, "PATCH", url(charles, entry), {"text": "Moved"}), 404)
    problem_of(call(client, "DELETE", url(ada, theirs)), 404)
    problem_of(call(client, "POST", url(ada, theirs, "/done")), 404)
    assert Entry.objects.get(pk=theirs.pk).text == "Theirs"


def test_a_follow_up_is_marked_done_and_an_entry_deleted(client, editor, ada):
    entry = add([ada], editor, follow_up=datetime.date(2026, 6, 1))
    plain = add([ada], editor)
    client.force_login(editor)
    response = call(client, "POST", url(ada, entry, "/done"))
    assert response.status_code == 200 and response.json()["follow_up_done"] is True
    assert problem_of(call(client, "POST", url(ada, plain, "/done")), 409)["detail"] == (
        "This entry has no follow-up."
    )
    assert call(client, "DELETE", url(ada, entry)).status_code == 204
    assert list(Entry.objects.all()) == [plain]
    problem_of(call(client, "DELETE", url(ada, entry)), 404)


def test_viewers_read_the_timeline_but_do_not_write_it(client, viewer, editor, ada):
    entry = add([ada], viewer, follow_up=datetime.date(2026, 6, 1))
    client.force_login(viewer)
    assert client.get(url(ada)).status_code == 200
    for method, tail, body, reason in [
        ("POST", "", {}, "add timeline entries"),
        ("PATCH", f"/{entry.pk}", {"text": "x"}, "change timeline entries"),
        ("POST", f"/{entry.pk}/done", None, "change timeline entries"),
        ("DELETE", f"/{entry.pk}", None, "delete timeline entries"),
    ]:
        refused = problem_of(call(client, method, url(ada) + tail, body), 403)
        assert refused["detail"] == f"Your role does not allow you to {reason}."
    entry.refresh_from_db()
    assert (entry.text, entry.follow_up_done, Entry.objects.count()) == ("", False, 1)


def test_in_team_mode_an_unseen_participant_is_unnamed_and_kept(client, editor, team_book):
    olivia, oscar, sharon = team_book
    entry = add([olivia, oscar, sharon], editor, text="Lunch")
    client.force_login(editor)
    listed = client.get(url(olivia))
    assert listed.json()["items"][0]["participants"] == [
        {"id": sharon.pk, "name": "Sharon Lovelace"},
        UNSEEN_REF,
    ]
    assert "Oscar" not in listed.content.decode()
    # Changing who took part keeps the one the editor cannot see.
    response = call(client, "PATCH", url(olivia, entry), {"participants": []})
    assert response.json()["participants"] == [UNSEEN_REF]
    assert set(Entry.objects.get().contacts.all()) == {olivia, oscar}
    refused = problem_of(call(client, "POST", url(olivia), {"participants": [oscar.pk]}), 422)
    assert "Oscar" not in str(refused)
    for method, tail, body in [
        ("GET", "", None),
        ("POST", "", {}),
        ("PATCH", f"/{entry.pk}", {"text": "x"}),
        ("POST", f"/{entry.pk}/done", None),
        ("DELETE", f"/{entry.pk}", None),
    ]:
        problem_of(call(client, method, url(oscar) + tail, body), 404)
    assert Entry.objects.get().text == "Lunch"


THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_entries_added_at_once_leave_the_latest_interaction(user):
    ada, charles = Contact.objects.create(name="Ada"), Contact.objects.create(name="Charles")
    clients = logged_in_clients(user, THREADS)
    days = iter(range(THREADS))

    @test_concurrently(THREADS)
    def post():
        at = (T + datetime.timedelta(days=next(days))).isoformat()
        body = {"kind": "call", "at": at, "participants": [charles.pk]}
        response = call(clients.get(), "POST", url(ada), body)
        assert response.status_code == 201, response.content

    post()
    assert Entry.objects.count() == THREADS
    latest = T + datetime.timedelta(days=THREADS - 1)
    assert {c.last_interaction for c in Contact.objects.all()} == {latest}
