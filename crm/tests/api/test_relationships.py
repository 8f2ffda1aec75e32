"""The API's relationships: listed with their types, set and removed on both contacts."""

import pytest

from crm.models import Change, Contact, ContactRelationship
from crm.services.relationships import relationship_add
from crm.services.trash import contact_trash
from crm.tests.factories import make_contacts
from crm.tests.races.clients import logged_in_clients
from locking.testing import test_concurrently

from .records import UNSEEN_REF, call, every_page, make_team_book, problem_of, queries_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_book(settings, editor):
    return make_team_book(settings, editor)


def url(contact, other=None):
    tail = f"{other.pk if hasattr(other, 'pk') else other}" if other is not None else ""
    return f"/api/contacts/{contact.pk}/relationships" + (f"/{tail}" if tail else "")


def pair_types(a, b):
    """Return the type names of each row of the pair a, b (both directions)."""
    rows = ContactRelationship.objects.filter(from_contact__in=[a, b], to_contact__in=[a, b])
    return {
        (row.from_contact_id, row.to_contact_id): sorted(t.name for t in row.types.all())
        for row in rows
    }


def test_a_put_relates_both_ways_with_exactly_the_types(client, user, ada, charles, friend):
    client.force_login(user)
    response = call(client, "PUT", url(ada, charles), {"types": ["friend", "colleague"]})
    assert response.status_code == 201
    body = response.json()
    assert body["contact"] == {"id": charles.pk, "name": "Charles Babbage"}
    assert [t["slug"] for t in body["types"]] == ["colleague", "friend"]
    assert pair_types(ada, charles) == {
        (ada.pk, charles.pk): ["Colleague", "Friend"],
        (charles.pk, ada.pk): ["Colleague", "Friend"],
    }
    # Again, from the other side, with other types: exactly those, on both.
    response = call(client, "PUT", url(charles, ada), {"types": ["mentor"]})
    assert response.status_code == 200
    assert response.json()["contact"] == {"id": ada.pk, "name": "Ada Lovelace"}
    assert list(pair_types(ada, charles).values()) == [["Mentor"], ["Mentor"]]
    # Each PUT recorded once on each contact, as the relationship's types.
    changes = Change.objects.filter(kind="relationship", contact=ada).order_by("id")
    assert [(c.action, c.after["types"]) for c in changes] == [
        ("add", ["Colleague", "Friend"]),
        ("change", ["Mentor"]),
    ]


def test_a_put_without_types_relates_without_a_type(client, user, ada, charles):
    client.force_login(user)
    assert call(client, "PUT", url(ada, charles), {}).status_code == 201
    assert pair_types(ada, charles) == {(ada.pk, charles.pk): [], (charles.pk, ada.pk): []}


def test_a_contact_is_not_related_to_itself_nor_with_an_unknown_type(client, user, ada, charles):
    client.force_login(user)
    refused = problem_of(call(client, "PUT", url(ada, ada), {"types": []}), 422)
    assert refused["errors"] == [
        {"field": "path.other_id", "message": "A contact cannot be related to itself."}
    ]
    refused = problem_of(call(client, "PUT", url(ada, charles), {"types": ["nope"]}), 422)
    assert refused["errors"] == [
        {"field": "body.types.0", "message": "No relationship type has the slug 'nope'."}
    ]
    problem_of(call(client, "PUT", url(ada, charles), {"types": "friend"}), 422)
    problem_of(call(client, "PUT", url(ada, 2**63), {"types": []}), 422)
    assert not ContactRelationship.objects.exists() and not Change.objects.exists()


def test_a_delete_removes_both_rows_and_a_second_is_a_404(client, user, ada, charles, friend):
    relationship_add(contact=ada, other=charles, types=[friend])
    client.force_login(user)
    assert call(client, "DELETE", url(charles, ada)).status_code == 204
    assert not ContactRelationship.objects.exists()
    assert problem_of(call(client, "DELETE", url(charles, ada)), 404)["detail"] == (
        "Charles Babbage and Ada Lovelace are not related."
    )
    problem_of(call(client, "DELETE", url(ada, 10**9)), 404)


def test_the_list_shows_types_and_leaves_out_the_trash_in_constant_queries(
    client, user, ada, friend, colleague
):
    client.force_login(user)
    others = make_contacts(3)
    for other in others:
        relationship_add(contact=ada, other=other, types=[friend, colleague])
    few = queries_of(client, url(ada))
    for other in make_contacts(30, prefix="More"):
        relationship_add(contact=ada, other=other, types=[friend])
    assert queries_of(client, url(ada), limit=200) == few
    contact_trash(contact=others[0], by=user)
    items = every_page(client, url(ada), limit=7)
    assert len(items) == 32
    assert items[0] == {
        "contact": {"id": others[1].pk, "name": others[1].name},
        "types": [{"slug": "colleague", "name": "Colleague"}, {"slug": "friend", "name": "Friend"}],
    }
    assert others[0].pk not in {item["contact"]["id"] for item in items}


def test_a_cursor_that_is_not_one_is_a_422(client, user, ada):
    client.force_login(user)
    for cursor in ["nope", "W10", "WyJ4Il0", "x" * 3000]:
        refused = problem_of(client.get(url(ada), {"cursor": cursor}), 422)
        assert refused["errors"][0]["field"] == "query.cursor"
    problem_of(client.get(url(ada), {"limit": 201}), 422)


def test_the_types_are_listed_by_name(client, viewer, relationship_types):
    client.force_login(viewer)
    items = every_page(client, "/api/relationship-types", limit=2)
    assert items == [
        {"slug": "colleague", "name": "Colleague"},
        {"slug": "friend", "name": "Friend"},
        {"slug": "mentor", "name": "Mentor"},
    ]


def test_viewers_read_but_do_not_relate(client, viewer, editor, ada, charles, friend):
    relationship_add(contact=ada, other=charles, types=[friend])
    client.force_login(viewer)
    assert client.get(url(ada)).status_code == 200
    refused = problem_of(call(client, "PUT", url(ada, charles), {"types": []}), 403)
    assert refused["detail"] == "Your role does not allow you to change contacts."
    problem_of(call(client, "DELETE", url(ada, charles)), 403)
    assert [t for _, t in pair_types(ada, charles).items()] == [["Friend"], ["Friend"]]
    client.force_login(editor)
    assert call(client, "DELETE", url(ada, charles)).status_code == 204


def test_signed_out_is_a_401(client, ada):
    problem_of(client.get(url(ada)), 401)


def test_in_team_mode_a_contact_one_cannot_see_is_404_and_unnamed(
    client, editor, team_book, friend
):
    olivia, oscar, sharon = team_book
    relationship_add(contact=olivia, other=oscar, types=[friend])
    relationship_add(contact=olivia, other=sharon, types=[friend])
    client.force_login(editor)
    listed = client.get(url(olivia))
    assert [item["contact"] for item in listed.json()["items"]] == [
        UNSEEN_REF,
        {"id": sharon.pk, "name": "Sharon Lovelace"},
    ]
    assert "Oscar" not in listed.content.decode()
    problem_of(client.get(url(oscar)), 404)
    for method, body in [("PUT", {"types": []}), ("DELETE", None)]:
        problem_of(call(client, method, url(olivia, oscar), body), 404)
        problem_of(call(client, method, url(oscar, olivia), body), 404)
        problem_of(call(client, method, url(oscar, oscar), body), 404)
    assert call(client, "PUT", url(sharon, olivia), {"types": []}).status_code == 200
    assert list(pair_types(olivia, oscar).values()) == [["Friend"], ["Friend"]]


THREADS = 10


@pytest.mark.django_db(transaction=True)
def test_puts_at_once_end_with_one_pair_of_the_same_types(relationship_types, user):
    ada, charles = Contact.objects.create(name="Ada"), Contact.objects.create(name="Charles")
    clients = logged_in_clients(user, THREADS)
    turns = iter(range(THREADS))
    choices = [["friend"], ["colleague", "mentor"]]

    @test_concurrently(THREADS)
    def put():
        turn = next(turns)
        a, b = (ada, charles) if turn % 2 else (charles, ada)
        response = call(clients.get(), "PUT", url(a, b), {"types": choices[turn % 2]})
        assert response.status_code in (200, 201), response.content

    put()
    types = pair_types(ada, charles)
    assert set(types) == {(ada.pk, charles.pk), (charles.pk, ada.pk)}
    assert types[(ada.pk, charles.pk)] == types[(charles.pk, ada.pk)]
    assert types[(ada.pk, charles.pk)] in (["Friend"], ["Colleague", "Mentor"])
    assert Change.objects.filter(kind="relationship", action="add").count() == 2
