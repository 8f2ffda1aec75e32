"""The API's tags: counted, listed with their contacts, put on and taken off one contact."""

import pytest

from crm.models import Change, Contact, Tag
from crm.services.trash import contact_trash
from crm.tests.factories import make_contacts
from crm.tests.races.clients import logged_in_clients
from locking.testing import test_concurrently

from .records import call, every_page, make_team_book, problem_of, queries_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_book(settings, editor):
    return make_team_book(settings, editor)


def tag_url(contact, slug):
    return f"/api/contacts/{contact.pk}/tags/{slug}"


def test_tags_are_listed_by_name_with_their_contacts_counted(client, viewer, ada, charles, user):
    vip = Tag.objects.create(name="VIP", slug="vip")
    Tag.objects.create(name="Press", slug="press")
    ada.tags.add(vip)
    charles.tags.add(vip)
    contact_trash(contact=charles, by=user)
    client.force_login(viewer)
    assert every_page(client, "/api/tags", limit=1) == [
        {"slug": "press", "name": "Press", "contact_count": 0},
        {"slug": "vip", "name": "VIP", "contact_count": 1},
    ]


def test_the_list_of_tags_costs_the_same_for_many(client, viewer):
    client.force_login(viewer)
    contacts = make_contacts(5)
    for i in range(3):
        Tag.objects.create(name=f"Tag {i}", slug=f"tag-{i}").contacts.add(*contacts)
    few = queries_of(client, "/api/tags")
    for i in range(3, 40):
        Tag.objects.create(name=f"Tag {i}", slug=f"tag-{i}").contacts.add(*contacts)
    assert queries_of(client, "/api/tags", limit=200) == few


def test_a_tag_lists_its_contacts_by_name_a_page_at_a_time(client, viewer):
    vip = Tag.objects.create(name="VIP", slug="vip")
    contacts = make_contacts(7)
    vip.contacts.add(*contacts[1:])
    client.force_login(viewer)
    few = queries_of(client, "/api/tags/vip", limit=2)
    assert queries_of(client, "/api/tags/vip", limit=200) == few
    first = client.get("/api/tags/vip", {"limit": 4}).json()
    assert first["tag"] == {"slug": "vip", "name": "VIP", "contact_count": 6}
    assert first["items"][0] == {"id": contacts[1].pk, "name": "Person 0001"}
    second = client.get("/api/tags/vip", {"limit": 4, "cursor": first["next"]}).json()
    assert [c["id"] for c in first["items"] + second["items"]] == [c.pk for c in contacts[1:]]
    assert second["next"] is None
    assert problem_of(client.get("/api/tags/nope"), 404)
    problem_of(client.get("/api/tags/not a slug"), 422)


def test_a_put_tags_a_contact_with_an_existing_tag_once(client, editor, ada):
    vip = Tag.objects.create(name="VIP", slug="vip")
    client.force_login(editor)
    for _ in range(2):
        response = call(client, "PUT", tag_url(ada, "vip"))
        assert response.status_code == 200
        assert response.json() == {"slug": "vip", "name": "VIP"}
    assert list(ada.tags.all()) == [vip]
    change = Change.objects.get(kind="tag")
    assert (change.contact, change.action, change.after, change.author) == (
        ada,
        "add",
        {"name": "VIP"},
        editor,
    )


def test_a_put_creates_the_tag_on_first_use(client, editor, ada):
    client.force_login(editor)
    assert call(client, "PUT", tag_url(ada, "press")).json() == {"slug": "press", "name": "press"}
    response = call(client, "PUT", tag_url(ada, "key-account"), {"name": " Key   Account "})
    assert response.json() == {"slug": "key-account", "name": "Key Account"}
    assert sorted(ada.tags.values_list("name", flat=True)) == ["Key Account", "press"]


def test_a_name_that_does_not_make_the_slug_is_refused(client, editor, ada):
    client.force_login(editor)
    refused = problem_of(call(client, "PUT", tag_url(ada, "vip"), {"name": "Press"}), 422)
    assert refused["errors"] == [
        {
            "field": "body.name",
            "message": "The name 'Press' makes the slug 'press', not 'vip': put it there.",
        }
    ]
    problem_of(call(client, "PUT", tag_url(ada, "vip"), {"name": "   "}), 422)
    problem_of(call(client, "PUT", tag_url(ada, "vip"), {"name": "V\x00IP"}), 422)
    problem_of(call(client, "PUT", tag_url(ada, "vip"), {"name": "x" * 101}), 422)
    problem_of(call(client, "PUT", tag_url(ada, "v" * 101)), 422)
    assert not Tag.objects.exists() and not Change.objects.exists()


def test_a_delete_untags_and_a_second_is_a_404(client, editor, ada):
    ada.tags.add(Tag.objects.create(name="VIP", slug="vip"))
    client.force_login(editor)
    assert call(client, "DELETE", tag_url(ada, "vip")).status_code == 204
    assert not ada.tags.exists()
    assert Change.objects.get(kind="tag").before == {"name": "VIP"}
    problem_of(call(client, "DELETE", tag_url(ada, "vip")), 404)
    problem_of(call(client, "DELETE", tag_url(ada, "nope")), 404)


def test_viewers_read_tags_but_do_not_tag(client, viewer, ada):
    ada.tags.add(Tag.objects.create(name="VIP", slug="vip"))
    client.force_login(viewer)
    assert client.get("/api/tags/vip").status_code == 200
    refused = problem_of(call(client, "PUT", tag_url(ada, "press")), 403)
    assert refused["detail"] == "Your role does not allow you to change contacts."
    problem_of(call(client, "DELETE", tag_url(ada, "vip")), 403)
    assert list(ada.tags.values_list("slug", flat=True)) == ["vip"]
    assert not Tag.objects.filter(slug="press").exists()


def test_in_team_mode_only_the_contacts_one_sees_count_and_are_listed(client, editor, team_book):
    olivia, oscar, sharon = team_book
    vip = Tag.objects.create(name="VIP", slug="vip")
    vip.contacts.add(olivia, oscar, sharon)
    client.force_login(editor)
    assert client.get("/api/tags").json()["items"] == [
        {"slug": "vip", "name": "VIP", "contact_count": 2}
    ]
    listed = client.get("/api/tags/vip")
    assert [c["id"] for c in listed.json()["items"]] == [olivia.pk, sharon.pk]
    assert "Oscar" not in listed.content.decode()
    problem_of(call(client, "PUT", tag_url(oscar, "press")), 404)
    problem_of(call(client, "DELETE", tag_url(oscar, "vip")), 404)
    assert not Tag.objects.filter(slug="press").exists()
    assert oscar.tags.filter(slug="vip").exists()


@pytest.mark.django_db(transaction=True)
def test_puts_of_a_new_tag_at_once_make_one_tag(user):
    contacts = [Contact.objects.create(name=f"Contact {i}") for i in range(6)]
    clients = logged_in_clients(user, len(contacts))
    turns = iter(contacts * 2)

    @test_concurrently(len(contacts))
    def put():
        response = call(clients.get(), "PUT", tag_url(next(turns), "new-tag"))
        assert response.status_code == 200, response.content

    put()
    tag = Tag.objects.get()
    assert (tag.slug, tag.name) == ("new-tag", "new-tag")
    assert set(tag.contacts.all()) == set(contacts)
