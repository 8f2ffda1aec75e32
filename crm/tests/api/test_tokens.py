"""
Personal API tokens: made and revoked on the account page or by
``manage.py crm_token``, kept as a digest, acting as their user exactly,
read-only ones refused every write; API writes recorded as "api".
"""

import hashlib
import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from crm.models import ApiToken, Change, Team
from crm.tests.factories import make_contact

from .conftest import api_client, bearer

pytestmark = [pytest.mark.django_db, pytest.mark.urls("crm.tests.api.urls")]

PROBLEM = "application/problem+json"


def rename(client, contact, name="Ada King", **extra):
    """POST the test API's rename of ``contact`` (crm/tests/api/urls.py)."""
    return client.post(
        f"/api/tests/contacts/{contact.pk}/name",
        json.dumps({"name": name}),
        content_type="application/json",
        **extra,
    )


def created_secret(response) -> str:
    """Return the token a creation page shows."""
    page = response.content.decode()
    start = page.index('value="crm_') + len('value="')
    return page[start : page.index('"', start)]


# The account page.


def test_a_new_token_is_shown_once_and_only_its_digest_is_kept(client, editor):
    client.force_login(editor)
    response = client.post(
        reverse("account_token_create"), {"name": "Billing sync", "scope": "write"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = created_secret(response)
    assert secret.startswith("crm_") and len(secret) > 40
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.scope) == (editor, "Billing sync", "write")
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(token.prefix) and len(token.prefix) < 12
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert not any(secret in str(value) for value in row.values())
    listing = client.get(reverse("account_tokens")).content.decode()
    assert "Billing sync" in listing and f"{token.prefix}…" in listing
    assert secret not in listing
    me = api_client(secret).get("/api/me").json()
    assert me["username"] == editor.username and me["token"]["scope"] == "write"


@pytest.mark.parametrize("role", ["viewer", "editor", "user", "nobody"])
def test_every_signed_in_user_manages_their_own_tokens_whatever_their_role(
    client, request, make_user, role
):
    person = make_user("nobody") if role == "nobody" else request.getfixturevalue(role)
    if role == "nobody":
        person.groups.clear()
    client.force_login(person)
    assert client.get(reverse("account_tokens")).status_code == 200
    response = client.post(reverse("account_token_create"), {"name": "Mine", "scope": "read"})
    assert response.status_code == 200
    token = person.api_tokens.get()
    assert token.scope == "read"
    revoke = reverse("account_token_revoke", args=[token.pk])
    assert client.get(revoke).status_code == 200
    assert client.post(revoke).status_code == 302
    assert person.api_tokens.active().count() == 0


def test_the_list_shows_ones_own_active_tokens_only(client, editor, viewer, token_for):
    token_for(editor, name="Editor's script")
    token_for(viewer, name="Viewer's script")
    mine = ApiToken.objects.get(name="Editor's script")
    token_for(editor, name="Editor's old one")
    ApiToken.objects.get(name="Editor's old one").revoke()
    client.force_login(editor)
    page = client.get(reverse("account_tokens")).content.decode()
    assert "Editor&#x27;s script" in page and mine.prefix in page
    assert "Viewer" not in page and "old one" not in page
    assert reverse("account_tokens") in client.get(reverse("home")).content.decode()


def test_a_name_is_required(client, editor):
    client.force_login(editor)
    response = client.post(reverse("account_token_create"), {"name": "  ", "scope": "write"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_asks_first_then_refuses_the_token_at_once(client, editor, token_for):
    secret = token_for(editor)
    token = ApiToken.objects.get()
    script = api_client(secret)
    assert script.get("/api/me").status_code == 200
    client.force_login(editor)
    url = reverse("account_token_revoke", args=[token.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Revoke the token" in page.content.decode()
    assert script.get("/api/me").status_code == 200, "asking revokes nothing"
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("account_tokens")
    refused = script.get("/api/me")
    assert refused.status_code == 401 and refused["Content-Type"] == PROBLEM
    assert client.get(url).status_code == 404


def test_another_users_token_is_not_found(client, editor, viewer, token_for):
    secret = token_for(viewer)
    token = ApiToken.objects.get()
    client.force_login(editor)
    url = reverse("account_token_revoke", args=[token.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert api_client(secret).get("/api/me").status_code == 200


# Authentication.


@pytest.mark.parametrize(
    "header",
    ["Bearer crm_not-a-token", "Bearer ", "Bearer revoked", "Bearer inactive"],
)
def test_a_token_refused_answers_401_with_a_problem(editor, token_for, make_user, header):
    if header == "Bearer revoked":
        header = f"Bearer {token_for(editor)}"
        ApiToken.objects.get().revoke()
    if header == "Bearer inactive":
        header = f"Bearer {token_for(make_user('gone', is_active=False))}"
    response = Client().get("/api/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


def test_a_refused_token_is_not_rescued_by_a_session(client, editor):
    client.force_login(editor)
    assert client.get("/api/me").status_code == 200
    assert client.get("/api/me", headers=bearer("crm_wrong")).status_code == 401


def test_a_token_acts_as_its_user_with_their_role_and_teams(viewer, token_for):
    Team.objects.create(name="Support").members.add(viewer)
    me = api_client(token_for(viewer, write=False)).get("/api/me").json()
    assert me == {
        "username": viewer.username,
        "roles": ["viewers"],
        "teams": ["Support"],
        "token": {"name": "tests", "prefix": ApiToken.objects.get().prefix, "scope": "read"},
    }
    ada = make_contact()
    # A write token of a viewer changes nothing more than the viewer may.
    response = rename(api_client(token_for(viewer)), ada)
    assert response.status_code == 403
    assert response.json()["detail"] == "Your role does not allow you to change contacts."


def test_a_read_only_token_reads_but_never_writes(editor, token_for):
    ada = make_contact()
    script = api_client(token_for(editor, write=False))
    assert script.get("/api/me").status_code == 200
    response = rename(script, ada)
    assert response.status_code == 403 and response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "This token is read-only."
    ada.refresh_from_db()
    assert ada.name == "Ada Lovelace" and not Change.objects.filter(source="api").exists()


def test_an_inactive_users_token_is_refused_though_it_was_accepted(editor, token_for):
    script = api_client(token_for(editor))
    assert script.get("/api/me").status_code == 200
    editor.is_active = False
    editor.save()
    assert script.get("/api/me").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(editor, token_for):
    script = api_client(token_for(editor))
    token = ApiToken.objects.get()
    assert token.last_used is None
    script.get("/api/me")
    token.refresh_from_db()
    first = token.last_used
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        script.get("/api/me")
    assert not [q for q in queries if "UPDATE" in q["sql"] and "apitoken" in q["sql"]]
    token.refresh_from_db()
    assert token.last_used == first
    ApiToken.objects.update(last_used=first - timedelta(minutes=2))
    script.get("/api/me")
    token.refresh_from_db()
    assert token.last_used > first - timedelta(minutes=1)


# Writes through the API, and their history.


def test_a_write_with_a_token_is_recorded_as_the_api_by_the_tokens_user(editor, token_for):
    ada = make_contact()
    response = rename(api_client(token_for(editor)), ada)
    assert response.status_code == 200, response.content
    assert response.json() == {"id": ada.pk, "name": "Ada King"}
    change = Change.objects.get(contact=ada, kind="contact")
    assert (change.source, change.author, change.get_source_display()) == ("api", editor, "API")


def test_a_write_with_the_session_is_recorded_as_the_api_and_needs_csrf(editor):
    ada = make_contact()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)
    refused = rename(browser, ada)
    assert refused.status_code == 403 and refused["Content-Type"] == PROBLEM
    assert not Change.objects.filter(contact=ada, kind="contact").exists()
    browser.get(reverse("account_tokens"))  # sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    response = rename(browser, ada, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200, response.content
    change = Change.objects.get(contact=ada, kind="contact")
    assert (change.source, change.author) == ("api", editor)


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_a_body_too_large_is_a_413_problem(editor, token_for):
    ada = make_contact()
    response = rename(api_client(token_for(editor)), ada, name="A" * 2000)
    assert response.status_code == 413 and response["Content-Type"] == PROBLEM
    ada.refresh_from_db()
    assert ada.name == "Ada Lovelace"


def test_a_body_that_is_not_json_is_a_400_problem(editor, token_for):
    ada = make_contact()
    response = api_client(token_for(editor)).post(
        f"/api/tests/contacts/{ada.pk}/name", "{not json", content_type="application/json"
    )
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM


# manage.py crm_token


def command(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("crm_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_prints_a_usable_token_and_nothing_else(editor):
    out, err = command("create", editor.username, "--name", "Nightly export")
    secret = out.strip()
    assert out == f"{secret}\n" and secret.startswith("crm_")
    assert ApiToken.objects.get().name == "Nightly export" and "Token" in err
    assert api_client(secret).get("/api/me").json()["token"]["scope"] == "write"


def test_the_command_makes_read_only_tokens_lists_and_revokes(editor):
    secret = command("create", editor.username, "--read-only")[0].strip()
    token = ApiToken.objects.get()
    assert token.scope == "read" and token.name.startswith("command, ")
    listing = command("list", editor.username)[0]
    assert f"{token.pk}\t{token.prefix}…\tread" in listing
    command("revoke", str(token.pk))
    assert api_client(secret).get("/api/me").status_code == 401
    assert command("list", editor.username)[0] == ""
    with pytest.raises(CommandError, match="No token"):
        command("revoke", str(token.pk))


def test_the_command_refuses_unknown_and_inactive_users(make_user):
    with pytest.raises(CommandError, match="No user 'ghost'"):
        command("create", "ghost")
    make_user("retired", is_active=False)
    with pytest.raises(CommandError, match="inactive"):
        command("create", "retired")
    assert not ApiToken.objects.exists()
