"""The API's history of a contact: its changes newest first, restoring a moment, undoing."""

import pytest
from django.contrib.auth.models import Permission, User

from crm.api.pagination import encode
from crm.models import Change, Contact
from crm.queries.history import PARTS
from crm.services.contacts import contact_save
from crm.services.history import source
from crm.services.relationships import relationship_add
from crm.services.timeline import entry_add
from crm.tests.races.clients import logged_in_clients
from locking.testing import test_concurrently

from .records import call, every_page, make_team_book, problem_of, queries_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_book(settings, editor):
    return make_team_book(settings, editor)


def url(contact, tail=""):
    return f"/api/contacts/{contact.pk}/history{tail}"


def save(contact, *, tags=None, **fields):
    """Save ``contact`` through the form's workflow, as one operation; return its latest change."""
    for name, value in fields.items():
        setattr(contact, name, value)
    with source("form"):
        contact_save(contact=contact, phones=[], addresses=[], tags=tags)
    return Change.objects.filter(contact=contact).order_by("-id").first()


@pytest.fixture
def edited(db):
    """Ada, created with a tag, then renamed: her first change and her latest."""
    ada = Contact(name="Ada Lovelace")
    first = save(ada, tags=["VIP"])
    latest = save(ada, name="Ada King", job_title="Countess")
    return ada, first, latest


def test_the_history_is_newest_first_with_who_what_and_the_values(client, viewer, edited):
    ada, first, latest = edited
    client.force_login(viewer)
    items = every_page(client, url(ada), limit=1)
    assert [item["id"] for item in items] == list(
        Change.objects.filter(contact=ada).order_by("-at", "-id").values_list("id", flat=True)
    )
    renamed = items[0]
    assert renamed["id"] == latest.pk
    assert {k: renamed[k] for k in ("source", "ref", "kind", "key", "action", "author")} == {
        "source": "form",
        "ref": "",
        "kind": "contact",
        "key": "",
        "action": "change",
        "author": None,
    }
    assert renamed["before"] == {"name": "Ada Lovelace", "job_title": ""}
    assert renamed["after"] == {"name": "Ada King", "job_title": "Countess"}
    # The fields in the order the database's JSON keeps them.
    assert renamed["summary"] in ("Changed the name, job title", "Changed the job title, name")
    assert renamed["operation"] == str(latest.operation)
    tag = next(item for item in items if item["kind"] == "tag")
    assert (tag["action"], tag["after"], tag["summary"]) == (
        "add",
        {"name": "VIP"},
        "Added the tag VIP",
    )


def test_the_history_costs_the_same_for_many_changes(client, viewer, edited):
    ada, _, _ = edited
    client.force_login(viewer)
    few = queries_of(client, url(ada))
    for i in range(30):
        save(ada, job_title=f"Job {i}", tags=[f"Tag {i}"])
    assert queries_of(client, url(ada), limit=200) == few


def test_every_kind_of_change_is_in_the_schema(client, viewer):
    client.force_login(viewer)
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]["ChangeOut"]
    assert set(PARTS) | {"entry"} <= set(schema["properties"]["kind"]["enum"])
    assert set(Change.Source.values) == set(
        client.get("/api/openapi.json").json()["components"]["schemas"]["Source"]["enum"]
    )


def test_in_team_mode_a_relationship_with_an_unseen_contact_is_unnamed(
    client, editor, team_book, friend, colleague
):
    olivia, oscar, sharon = team_book
    relationship_add(contact=olivia, other=oscar, types=[friend])
    relationship_add(contact=olivia, other=oscar, types=[colleague])
    relationship_add(contact=olivia, other=sharon, types=[friend])
    client.force_login(editor)
    response = client.get(url(olivia))
    assert "Oscar" not in response.content.decode()
    items = response.json()["items"]
    unseen = [item for item in items if item["key"] != str(sharon.pk)]
    assert [(item["key"], item["action"]) for item in unseen] == [("", "change"), ("", "add")]
    assert all(str(oscar.pk) not in item["summary"] for item in unseen)
    assert unseen[1]["after"]["name"] == "a contact you cannot see"
    assert unseen[0]["summary"] == "Changed the relationship with a contact you cannot see"
    problem_of(client.get(url(oscar)), 404)
    # Allowed to restore, yet not to see all: the contact is still not found.
    editor.user_permissions.add(Permission.objects.get(codename="restore_contact"))
    client.force_login(User.objects.get(pk=editor.pk))
    change = Change.objects.filter(contact=oscar).first()
    for tail in ("restore", "undo"):
        problem_of(call(client, "POST", url(oscar, f"/{change.pk}/{tail}")), 404)


def test_a_manager_restores_a_moment_and_others_may_not(client, editor, user, edited):
    ada, first, latest = edited
    client.force_login(editor)
    refused = problem_of(call(client, "POST", url(ada, f"/{first.pk}/restore")), 403)
    assert refused["detail"] == "Your role does not allow you to restore contacts."
    problem_of(call(client, "POST", url(ada, f"/{first.pk}/undo")), 403)
    client.force_login(user)
    # Only after what one saw: a change since is a conflict, and nothing is restored.
    stale = client.post(url(ada, f"/{first.pk}/restore?seen={first.pk}"))
    assert "changed since" in problem_of(stale, 409)["detail"]
    assert Contact.objects.get(pk=ada.pk).name == "Ada King"
    response = client.post(url(ada, f"/{first.pk}/restore?seen={latest.pk}"))
    assert response.status_code == 200, response.content
    assert response.json()["contact"] == {"id": ada.pk, "name": "Ada Lovelace"}
    restore = Change.objects.filter(contact=ada).order_by("-id").first()
    assert (restore.source, restore.ref) == ("restore", str(first.pk))
    # Someone else's change is not in this history.
    other = save(Contact(name="Grace Hopper"))
    problem_of(call(client, "POST", url(ada, f"/{other.pk}/restore")), 404)
    problem_of(call(client, "POST", url(ada, "/0/restore")), 422)


def test_an_edit_is_undone_and_what_cannot_be_is_a_409(client, user, edited):
    ada, first, latest = edited
    client.force_login(user)
    response = call(client, "POST", url(ada, f"/{latest.pk}/undo"))
    assert response.status_code == 200, response.content
    assert response.json() == {"operation": str(latest.operation), "kept": []}
    assert Contact.objects.get(pk=ada.pk).name == "Ada Lovelace"
    # A creation is undone by the trash; a timeline entry by changing it.
    assert "trash" in problem_of(call(client, "POST", url(ada, f"/{first.pk}/undo")), 409)["detail"]
    entry_add(contacts=[ada], author=user, kind="note", at=first.at)
    entry = Change.objects.get(kind="entry")
    problem_of(call(client, "POST", url(ada, f"/{entry.pk}/undo")), 409)


@pytest.mark.django_db(transaction=True)
def test_two_restores_of_what_one_saw_at_once_restore_once(user):
    ada = Contact(name="Ada Lovelace")
    first = save(ada, tags=["VIP"])
    latest = save(ada, name="Ada King")
    clients = logged_in_clients(user, 2)

    @test_concurrently(2)
    def restore():
        response = clients.get().post(url(ada, f"/{first.pk}/restore?seen={latest.pk}"))
        assert response.status_code in (200, 409), response.content

    restore()
    assert Contact.objects.get(pk=ada.pk).name == "Ada Lovelace"
    assert Change.objects.filter(source="restore").count() == 1


def test_a_cursor_is_checked_against_the_lists_keys(client, viewer, edited):
    ada, first, latest = edited
    client.force_login(viewer)
    moment = latest.at.isoformat()
    assert client.get(url(ada), {"cursor": encode([moment, latest.pk])}).status_code == 200
    for values in [
        [moment.replace("+00:00", ""), latest.pk],  # a time without its offset
        [moment, "x"],
        [moment, 2**63],
        [moment, True],
        [None, latest.pk],
        ["not a time", latest.pk],
        [moment],
    ]:
        refused = problem_of(client.get(url(ada), {"cursor": encode(values)}), 422)
        assert refused["errors"][0]["field"] == "query.cursor", values
