"""Contacts through the JSON API: the record, its writes, its permissions and visibility."""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from crm.api import idempotency
from crm.models import Change, Contact, IdempotencyKey, Phone, Tag, Team
from crm.services.trash import contact_trash
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db

URL = "/api/contacts/"

FULL = {
    "name": "",
    "honorific_prefix": "Dr.",
    "given_name": "Ada",
    "additional_names": "King",
    "family_name": "Lovelace",
    "honorific_suffix": "PhD",
    "nickname": "Countess",
    "organization": "Analytical Engines",
    "job_title": "Programmer",
    "notes": "First <b>program</b>.",
    "emails": [
        {"address": "ada@example.org", "label": "work", "primary": False},
        {"address": "countess@example.org", "label": "home", "primary": True},
    ],
    "phones": [
        {"number": "(202) 555-0143", "label": "office"},
        {"number": "+33 6 12 34 56 78", "label": "mobile"},
        {"number": "555 0100 x12", "label": "other"},
    ],
    "addresses": [
        {
            "label": "work",
            "street": "12 St James's Square",
            "city": "London",
            "region": "",
            "postal_code": "SW1Y 4JH",
            "country": "United Kingdom",
        }
    ],
    "urls": [{"url": "https://ada.example.org/", "label": "blog"}],
    "dates": [
        {"kind": "birthday", "label": "", "year": 1815, "month": 12, "day": 10},
        {"kind": "other", "label": "First program", "year": None, "month": 7, "day": 1},
    ],
    "tags": ["VIP", "Mathematics"],
}


def post(client, body, **headers):
    return client.post(URL, body, content_type="application/json", headers=headers)


def put(client, pk, body, **headers):
    return client.put(f"{URL}{pk}", body, content_type="application/json", headers=headers)


def patch(client, pk, body, **headers):
    return client.patch(f"{URL}{pk}", body, content_type="application/json", headers=headers)


def fields(response):
    """Return the problem's field errors as {field: message}."""
    assert response["Content-Type"] == "application/problem+json", response.content
    return {error["field"]: error["message"] for error in response.json()["errors"]}


@pytest.fixture
def api(client, user):
    client.force_login(user)
    return client


def test_a_contact_created_with_every_field_reads_back_whole(api, user):
    response = post(api, FULL)
    assert response.status_code == 201, response.content
    created = response.json()
    assert response["Location"] == created["url"] == f"{URL}{created['id']}"
    assert response["ETag"].startswith('"')
    read = api.get(response["Location"])
    assert read.status_code == 200
    assert read.json() == created
    assert read["ETag"] == response["ETag"]

    assert created["name"] == "Dr. Ada King Lovelace, PhD"
    assert created["sort_name"] == "lovelace ada"
    assert created["notes"] == "First <b>program</b>."
    assert [(e["address"], e["label"], e["primary"]) for e in created["emails"]] == [
        ("countess@example.org", "home", True),
        ("ada@example.org", "work", False),
    ]
    assert [(p["number"], p["e164"], p["label"]) for p in created["phones"]] == [
        ("(202) 555-0143", "+12025550143", "office"),
        ("+33 6 12 34 56 78", "+33612345678", "mobile"),
        ("555 0100 x12", "", "other"),
    ]
    (address,) = created["addresses"]
    assert address["city"] == "London" and address["label"] == "work" and address["id"]
    assert created["urls"] == [{"url": "https://ada.example.org/", "label": "blog"}]
    assert [(d["kind"], d["iso"], d["label"]) for d in created["dates"]] == [
        ("other", "--07-01", "First program"),
        ("birthday", "1815-12-10", ""),
    ]
    assert created["tags"] == [
        {"slug": "mathematics", "name": "Mathematics"},
        {"slug": "vip", "name": "VIP"},
    ]
    # Its creator's, in no team (the user has none).
    assert created["owner"] == {"id": user.pk, "username": user.username}
    assert created["team"] is None and created["shared_with"] == []
    assert created["last_interaction"] is None


def test_a_put_replaces_everything_and_a_get_put_round_trip_changes_nothing(api):
    created = post(api, FULL).json()
    pk = created["id"]
    same = put(api, pk, {**FULL, "addresses": created["addresses"]})
    assert same.status_code == 200, same.content
    assert {k: v for k, v in same.json().items() if k != "updated"} == {
        k: v for k, v in created.items() if k != "updated"
    }
    replaced = put(api, pk, {"given_name": "Ada", "family_name": "King", "tags": ["vip"]})
    assert replaced.status_code == 200, replaced.content
    body = replaced.json()
    assert body["name"] == "Ada King"
    assert body["emails"] == body["phones"] == body["addresses"] == body["dates"] == []
    assert body["tags"] == [{"slug": "vip", "name": "VIP"}]
    # Phones and addresses nobody uses any more went.
    assert not Phone.objects.exists()


def test_a_patch_changes_only_the_fields_given(api):
    pk = post(api, FULL).json()["id"]
    response = patch(api, pk, {"given_name": "Augusta", "phones": [{"number": "202 555 0143"}]})
    assert response.status_code == 200, response.content
    body = response.json()
    # The display name follows the parts it was made from.
    assert body["name"] == "Dr. Augusta King Lovelace, PhD"
    # A number only this contact has takes the number as typed.
    assert [p["number"] for p in body["phones"]] == ["202 555 0143"]
    assert len(body["emails"]) == 2 and len(body["tags"]) == 2 and len(body["dates"]) == 2
    assert body["organization"] == "Analytical Engines"


def test_a_typed_display_name_stays_when_the_parts_change(api):
    pk = post(api, {"name": "The Countess", "given_name": "Ada"}).json()["id"]
    assert patch(api, pk, {"given_name": "Augusta"}).json()["name"] == "The Countess"


def test_refused_values_name_their_body_field_and_nothing_is_stored(api):
    body = {
        "name": "",
        "emails": [
            {"address": "ada@example.org", "primary": True},
            {"address": "ADA@example.org", "primary": True},
        ],
        "phones": [{"number": "(202) 555-0143"}, {"number": "call me"}],
        "urls": [{"url": "javascript:alert(1)"}],
        "dates": [{"kind": "birthday", "month": 2, "day": 31}],
    }
    response = post(api, body)
    assert response.status_code == 422, response.content
    errors = fields(response)
    assert "body" in errors  # no name at all
    assert "body.emails.1.address" in errors
    assert "body.phones.1.number" in errors
    assert "body.urls.0.url" in errors
    assert errors["body.dates.0.day"] == "There is no such day in that month."
    assert not Contact.objects.exists() and not Phone.objects.exists()
    two = [
        {"address": "a@example.org", "primary": True},
        {"address": "b@example.org", "primary": True},
    ]
    response = post(api, {"name": "Ada", "emails": two})
    assert fields(response) == {"body.emails.1.primary": "Only one email can be the primary one."}


def test_the_phone_region_reads_national_numbers(api, settings):
    settings.CRM_PHONE_REGION = "FR"
    body = post(api, {"name": "Zoé", "phones": [{"number": "06 12 34 56 78"}]}).json()
    assert body["phones"][0]["e164"] == "+33612345678"


def test_schema_bounds_are_refused_with_their_field(api):
    response = post(api, {"given_name": "x" * 101, "phones": [{"number": ""}], "tags": ["a,b"]})
    assert response.status_code == 422
    errors = fields(response)
    assert {"body.given_name", "body.phones.0.number", "body.tags"} <= set(errors)
    assert post(api, {"name": "Ada", "emails": [{"address": "a@b.org"}] * 21}).status_code == 422
    assert not Contact.objects.exists()


def test_a_contact_nobody_can_see_or_that_is_gone_is_404(api):
    ada = make_contact("Ada Lovelace")
    contact_trash(contact=ada)
    for response in [
        api.get(f"{URL}{ada.pk}"),
        patch(api, ada.pk, {"name": "X"}),
        api.delete(f"{URL}{ada.pk}"),
        api.get(f"{URL}999999"),
    ]:
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"


def test_an_id_no_contact_can_have_is_refused_not_looked_up(api):
    for pk in (0, 2**63, 10**40):
        response = api.get(f"{URL}{pk}")
        assert response.status_code == 422 and "path.contact_id" in fields(response)
        assert api.post(f"/api/trash/{pk}/restore").status_code == 422


def test_etag_changes_with_a_phone_or_a_tag_and_if_none_match_answers_304(api):
    pk = post(api, {"name": "Ada"}).json()["id"]
    first = api.get(f"{URL}{pk}")["ETag"]
    unchanged = api.get(f"{URL}{pk}", headers={"If-None-Match": first})
    assert unchanged.status_code == 304 and unchanged["ETag"] == first and not unchanged.content
    tags = []
    for change in [{"phones": [{"number": "202 555 0143"}]}, {"tags": ["VIP"]}]:
        tags.append(patch(api, pk, change)["ETag"])
    assert len({first, *tags}) == 3
    assert api.get(f"{URL}{pk}")["ETag"] == tags[-1]


def test_a_stale_if_match_is_refused_with_412_and_changes_nothing(api):
    created = post(api, {"name": "Ada"})
    pk, old = created.json()["id"], created["ETag"]
    new = patch(api, pk, {"nickname": "Countess"}, **{"If-Match": old})
    assert new.status_code == 200
    stale = put(api, pk, {"name": "Someone else"}, **{"If-Match": old})
    assert stale.status_code == 412
    assert stale["ETag"] == new["ETag"]
    assert api.delete(f"{URL}{pk}", headers={"If-Match": old}).status_code == 412
    assert Contact.objects.get().name == "Ada"
    assert patch(api, pk, {"name": "Ada K"}, **{"If-Match": "*"}).status_code == 200


def test_delete_moves_to_the_trash_and_restore_brings_it_back(api, user):
    created = post(api, FULL).json()
    pk = created["id"]
    assert api.delete(f"{URL}{pk}").status_code == 204
    assert Contact.all_objects.get(pk=pk).trashed_by == user
    assert api.get(f"{URL}{pk}").status_code == 404
    trash = api.get("/api/trash/").json()
    assert [item["id"] for item in trash["items"]] == [pk]
    assert trash["items"][0]["trashed_by"]["id"] == user.pk
    restored = api.post(f"/api/trash/{pk}/restore")
    assert restored.status_code == 200
    assert restored.json()["phones"] == created["phones"]
    assert api.post(f"/api/trash/{pk}/restore").status_code == 404


def test_the_trash_pages_newest_first(api):
    contacts = [make_contact(f"Person {i}") for i in range(5)]
    for contact in contacts:
        contact_trash(contact=contact)
    seen, cursor = [], None
    while True:
        page = api.get("/api/trash/", {"limit": 2, **({"cursor": cursor} if cursor else {})})
        body = page.json()
        seen += [item["id"] for item in body["items"]]
        if not (cursor := body["next"]):
            break
    assert seen == [contact.pk for contact in reversed(contacts)]
    assert api.get("/api/trash/", {"cursor": "nonsense"}).status_code == 422


def test_merge_keeps_everything_and_takes_the_choices(api):
    keep = post(api, {"name": "Ada Lovelace", "emails": [{"address": "ada@example.org"}]}).json()
    duplicate = post(
        api,
        {
            "name": "Ada King",
            "job_title": "Countess",
            "emails": [{"address": "king@example.org"}],
            "phones": [{"number": "202 555 0143"}],
        },
    ).json()
    response = api.post(
        f"{URL}{keep['id']}/merge",
        {"duplicate_id": duplicate["id"], "name": "duplicate", "primary_email": "KING@example.org"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    merged = response.json()
    assert merged["name"] == "Ada King" and merged["job_title"] == "Countess"
    assert [(e["address"], e["primary"]) for e in merged["emails"]] == [
        ("king@example.org", True),
        ("ada@example.org", False),
    ]
    assert [p["number"] for p in merged["phones"]] == ["202 555 0143"]
    assert api.get(f"{URL}{duplicate['id']}").status_code == 404
    again = api.post(
        f"{URL}{keep['id']}/merge", {"duplicate_id": keep["id"]}, content_type="application/json"
    )
    assert again.status_code == 422 and "body.duplicate_id" in fields(again)


def test_the_history_records_the_api_write_and_its_author(api, user):
    pk = post(api, {"name": "Ada"}).json()["id"]
    patch(api, pk, {"job_title": "Programmer"})
    changes = Change.objects.filter(contact=pk)
    assert changes.filter(kind="contact", action="change").exists()
    assert set(changes.values_list("author", flat=True)) == {user.pk}


def test_an_idempotency_key_answers_a_retry_the_same_and_creates_once(api):
    first = post(api, FULL, **{"Idempotency-Key": "k-1"})
    again = post(api, FULL, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Location"] == first["Location"] and again["ETag"] == first["ETag"]
    assert Contact.objects.count() == 1
    other = post(api, {**FULL, "nickname": "Other"}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422 and "header.idempotency-key" in fields(other)
    assert post(api, FULL, **{"Idempotency-Key": "k-2"}).status_code == 201
    assert Contact.objects.count() == 2


def test_an_idempotency_key_of_a_refused_request_or_expired_is_free_again(api):
    assert post(api, {"name": ""}, **{"Idempotency-Key": "k"}).status_code == 422
    assert not IdempotencyKey.objects.exists()
    assert post(api, {"name": "Ada"}, **{"Idempotency-Key": "k"}).status_code == 201
    IdempotencyKey.objects.update(created=timezone.now() - datetime.timedelta(hours=25))
    assert post(api, {"name": "Ada"}, **{"Idempotency-Key": "k"}).status_code == 201
    assert Contact.objects.count() == 2
    IdempotencyKey.objects.update(created=timezone.now() - datetime.timedelta(hours=25))
    assert idempotency.purge() == 1


def test_keys_are_each_users_own(client, user, editor):
    client.force_login(user)
    post(client, {"name": "Ada"}, **{"Idempotency-Key": "k"})
    client.force_login(editor)
    assert post(client, {"name": "Bob"}, **{"Idempotency-Key": "k"}).json()["name"] == "Bob"


# Roles: what each may do, as on the site.


def test_a_viewer_reads_only(client, viewer):
    ada = make_contact("Ada Lovelace")
    client.force_login(viewer)
    assert client.get(f"{URL}{ada.pk}").status_code == 200
    assert client.get(URL).status_code == 200
    assert client.get("/api/trash/").status_code == 200
    for response in [
        post(client, {"name": "X"}),
        put(client, ada.pk, {"name": "X"}),
        patch(client, ada.pk, {"name": "X"}),
        client.delete(f"{URL}{ada.pk}"),
    ]:
        assert response.status_code == 403
        assert "Your role does not allow you" in response.json()["detail"]
    assert Contact.objects.get().name == "Ada Lovelace"


def test_an_editor_writes_but_neither_deletes_nor_merges_nor_restores(client, editor):
    ada, bob = make_contact("Ada Lovelace"), make_contact("Bob")
    client.force_login(editor)
    assert post(client, {"name": "X"}).status_code == 201
    assert patch(client, ada.pk, {"nickname": "A"}).status_code == 200
    assert client.delete(f"{URL}{ada.pk}").status_code == 403
    merge = client.post(
        f"{URL}{ada.pk}/merge", {"duplicate_id": bob.pk}, content_type="application/json"
    )
    assert merge.status_code == 403
    contact_trash(contact=bob)
    assert client.post(f"/api/trash/{bob.pk}/restore").status_code == 403
    assert Contact.objects.count() == 2


def test_only_who_may_assign_changes_the_owner_and_teams(client, editor, user):
    team = Team.objects.create(name="Sales")
    client.force_login(editor)
    refused = post(client, {"name": "Ada", "owner": user.pk})
    assert refused.status_code == 403 and not Contact.objects.exists()
    # The defaults given back as they are change nothing.
    created = post(client, {"name": "Ada", "owner": editor.pk, "team": None})
    assert created.status_code == 201
    pk = created.json()["id"]
    assert patch(client, pk, {"shared_with": [team.pk]}).status_code == 403
    client.force_login(user)
    assigned = patch(client, pk, {"owner": user.pk, "team": team.pk, "shared_with": [team.pk]})
    assert assigned.status_code == 200, assigned.content
    body = assigned.json()
    assert body["owner"]["id"] == user.pk and body["team"] == {"id": team.pk, "name": "Sales"}
    assert body["shared_with"] == [{"id": team.pk, "name": "Sales"}]
    # A PUT leaving them out keeps them.
    assert put(client, pk, {"name": "Ada"}).json()["team"]["id"] == team.pk
    unknown = patch(client, pk, {"team": 999999})
    assert unknown.status_code == 422 and "body.team" in fields(unknown)


@override_settings(CRM_VISIBILITY="team")
def test_in_team_mode_another_teams_contact_is_404_everywhere(client, editor, user):
    mine, theirs = Team.objects.create(name="Mine"), Team.objects.create(name="Theirs")
    mine.members.add(editor)
    seen = make_contact("Seen", team=mine)
    hidden = make_contact("Hidden", team=theirs)
    shared = make_contact("Shared", team=theirs)
    shared.shared_with.add(mine)
    client.force_login(editor)
    listed = client.get(URL).json()
    assert {item["name"] for item in listed["items"]} == {"Seen", "Shared"}
    assert listed["count"] == 2
    assert client.get(f"{URL}{shared.pk}").status_code == 200
    for response in [
        client.get(f"{URL}{hidden.pk}"),
        put(client, hidden.pk, {"name": "X"}),
        patch(client, hidden.pk, {"name": "X"}),
    ]:
        assert response.status_code == 404
    # A new contact is in the creator's team.
    assert post(client, {"name": "New"}).json()["team"]["id"] == mine.pk
    assert Contact.objects.get(pk=hidden.pk).name == "Hidden"
    # Managers see every team's contacts.
    contact_trash(contact=hidden)
    client.force_login(user)
    assert client.post(f"/api/trash/{hidden.pk}/restore").status_code == 200
    assert {seen.pk, hidden.pk} <= {item["id"] for item in client.get(URL).json()["items"]}


@override_settings(CRM_VISIBILITY="team")
def test_in_team_mode_deleting_merging_restoring_an_unseen_contact_is_404(
    client, django_user_model
):
    from crm.roles import role_set

    manager = django_user_model.objects.create_user("mona")
    role_set(user=manager, role="managers")
    # A manager without the right to see all: as a team-bound manager would be.
    manager.groups.first().permissions.remove(
        *manager.groups.first().permissions.filter(codename="view_all_contacts")
    )
    mine, theirs = Team.objects.create(name="Mine"), Team.objects.create(name="Theirs")
    mine.members.add(manager)
    seen, hidden = make_contact("Seen", team=mine), make_contact("Hidden", team=theirs)
    gone = make_contact("Gone", team=theirs)
    contact_trash(contact=gone)
    client.force_login(manager)
    assert client.delete(f"{URL}{hidden.pk}").status_code == 404
    for keep, duplicate in [(hidden, seen), (seen, hidden)]:
        merge = client.post(
            f"{URL}{keep.pk}/merge", {"duplicate_id": duplicate.pk}, content_type="application/json"
        )
        assert merge.status_code == 404
    assert client.post(f"/api/trash/{gone.pk}/restore").status_code == 404
    assert client.get("/api/trash/").json()["items"] == []
    assert Contact.objects.count() == 2 and Contact.all_objects.count() == 3
    assert Tag.objects.count() == 0


@override_settings(CRM_VISIBILITY="team")
def test_in_team_mode_a_user_in_no_team_creates_nothing(client, editor):
    client.force_login(editor)
    response = post(client, {"name": "Ada"})
    assert response.status_code == 409
    assert response.json()["detail"] == "You belong to no team: ask a manager to add you to one."
    assert not Contact.objects.exists()


def test_merge_may_keep_both_notes_and_refuses_an_address_of_neither(api):
    keep = make_contact("Ada", notes="Mine.", email="ada@example.org")
    duplicate = make_contact("Ada L", notes="Theirs.", email="l@example.org")
    url = f"{URL}{keep.pk}/merge"
    wrong = api.post(
        url,
        {"duplicate_id": duplicate.pk, "primary_email": "x@example.org"},
        content_type="application/json",
    )
    assert wrong.status_code == 422 and "body.primary_email" in fields(wrong)
    bad_choice = api.post(
        url, {"duplicate_id": duplicate.pk, "name": "both"}, content_type="application/json"
    )
    assert bad_choice.status_code == 422 and "body.name" in fields(bad_choice)
    assert Contact.objects.count() == 2
    merged = api.post(
        url, {"duplicate_id": duplicate.pk, "notes": "both"}, content_type="application/json"
    ).json()
    assert merged["notes"] == "Mine.\n\nTheirs." and merged["name"] == "Ada"
    assert [e["address"] for e in merged["emails"] if e["primary"]] == ["ada@example.org"]
