"""
What the API shows and does, generated from its schema, so that every
operation added later is covered without a change here:

- with CRM_VISIBILITY "team", every operation naming a contact in its path
  ({contact_id}, {other_id}, {duplicate_id}) answers 404 for a contact of
  another team, with plausible bodies for writes, and changes nothing;
- no GET answer names a contact the user cannot see;
- every operation refuses a request without credentials (401 problem), and
  every write a read-only token (403 problem), changing nothing.

The user holds every permission of the Managers but seeing every team, so
that no operation stops them at a 403 before visibility has its say.
"""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils.timezone import now
from hypothesis import HealthCheck, Phase, given, settings

from crm.models import Change, Contact, Tag, Team
from crm.queries.history import snapshot
from crm.roles import MANAGERS
from crm.services.relationships import relationship_add
from crm.services.timeline import entry_add
from crm.tests.factories import make_contact
from crm.tests.views.imports_data import make_import

from .conftest import api_client, bearer
from .openapi import NAMING, OPERATIONS, WRITES, label, parameters, url

PROBLEM = "application/problem+json"
UNSEEN = "Oscar Otherteam"
# A few bodies for each write: enough for one the operation accepts.
EXAMPLES = 5


@pytest.fixture
def world(db, django_user_model, settings, token_for):
    """
    A user of Sales allowed everything but seeing other teams, a few Sales
    contacts, and Oscar of Support, related, tagged and in a timeline entry
    with them; the values of every path parameter, naming Sales' rows.
    """
    settings.CRM_VISIBILITY = "team"
    settings.CRM_API_RATE_LIMIT = "1000000/minute"
    sales, support = Team.objects.create(name="Sales"), Team.objects.create(name="Support")
    user = django_user_model.objects.create_user("salesperson")
    group = Group.objects.create(name="Everything but every team")
    granted = [codename for codename in MANAGERS if codename != "view_all_contacts"]
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="crm").filter(codename__in=granted)
    )
    user.groups.set([group])
    sales.members.add(user)
    ada = make_contact("Ada Lovelace", email="ada@example.org", team=sales)
    charles = make_contact("Charles Babbage", team=sales)
    twin = make_contact("Ada Lovelace", team=sales)
    oscar = make_contact(UNSEEN, email="oscar@example.org", phones=["555 0199"], team=support)
    relationship_add(contact=ada, other=oscar)
    vip = Tag.objects.create(name="VIP", slug="vip")
    for contact in (ada, oscar):
        contact.tags.add(vip)
    entry = entry_add(contacts=[ada, oscar], author=user, kind="call", at=now(), text="Call")
    values = {
        "contact_id": ada.pk,
        "other_id": charles.pk,
        "duplicate_id": twin.pk,
        "entry_id": entry.pk,
        "slug": vip.slug,
        "import_id": make_import(user).pk,
        "change_id": Change.objects.filter(contact=ada).values_list("pk", flat=True).first(),
    }
    secret = token_for(user)
    return SimpleNamespace(user=user, oscar=oscar, values=values, secret=secret)


def path_values(operation, values, **changed):
    """Return the values of ``operation``'s path parameters (1 for those unknown here)."""
    values = {**values, **changed}
    return {name: values.get(name, 1) for name in parameters(operation)}


def state(contact):
    """Return all that is stored of ``contact``: its row, what it holds, its history."""
    row = Contact._base_manager.filter(pk=contact.pk).values().first()
    return row, snapshot([contact.pk]), Change.objects.filter(contact=contact).count()


def mentions(data, contact) -> bool:
    """Return whether JSON ``data`` names ``contact``: by name, or an object of its id and name."""
    if isinstance(data, dict):
        if data.get("id") == contact.pk and "name" in data:
            return True
        return any(mentions(value, contact) for value in data.values())
    if isinstance(data, list):
        return any(mentions(value, contact) for value in data)
    return isinstance(data, str) and (UNSEEN in data or "oscar@example.org" in data)


NAMING_CASES = [
    pytest.param(operation, name, id=f"{label(operation)} {name}")
    for operation in OPERATIONS
    for name in sorted(parameters(operation) & NAMING)
]


@pytest.mark.parametrize("operation, name", NAMING_CASES)
def test_a_contact_of_another_team_is_not_found_and_left_alone(
    operation, name, world, connection_kept
):
    before = state(world.oscar)
    fixed = path_values(operation, world.values, **{name: world.oscar.pk})
    answers = []

    @given(case=operation.as_strategy(path_parameters=fixed))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def send(case):
        response = case.call(headers=bearer(world.secret))
        answers.append(response.status_code)
        # Only a body the operation refuses may stop it before the contact.
        assert response.status_code in (400, 404, 422), (response.status_code, response.content)
        headers = {name.lower(): values for name, values in response.headers.items()}
        assert headers["content-type"] == [PROBLEM]
        assert UNSEEN.encode() not in response.content

    send()
    assert 404 in answers, f"no example reached the contact: {answers}"
    assert state(world.oscar) == before


GETS = [pytest.param(op, id=label(op)) for op in OPERATIONS if op.method.upper() == "GET"]


@pytest.mark.parametrize("operation", GETS)
def test_no_answer_names_a_contact_of_another_team(operation, world):
    response = api_client(world.secret).get(url(operation, path_values(operation, world.values)))
    assert response.status_code < 500
    assert UNSEEN not in response.content.decode()
    if response["Content-Type"].startswith("application/json"):
        assert not mentions(response.json(), world.oscar)


EVERY = [pytest.param(op, id=label(op)) for op in OPERATIONS]
# Operations that answer without credentials, by decision: none so far.
PUBLIC = set()


def test_only_the_operations_meant_to_be_public_are():
    assert {label(op) for op in OPERATIONS if not op.definition.raw.get("security")} == PUBLIC


@pytest.mark.parametrize("operation", [p for p in EVERY if label(p.values[0]) not in PUBLIC])
def test_every_operation_refuses_a_request_without_credentials(operation, world):
    before = state(world.oscar), Change.objects.count()
    path = url(operation, path_values(operation, world.values))
    for client in (Client(), Client(headers={"Authorization": "Basic dXNlcjpwYXNz"})):
        response = client.generic(operation.method.upper(), path, "{}", "application/json")
        assert response.status_code == 401, response.content
        assert response["Content-Type"] == PROBLEM and response.json()["status"] == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
    assert (state(world.oscar), Change.objects.count()) == before


@pytest.mark.parametrize("operation", [p for p in EVERY if p.values[0].method.upper() in WRITES])
def test_every_write_refuses_a_read_only_token(operation, world, token_for):
    before = state(world.oscar), Change.objects.count()
    path = url(operation, path_values(operation, world.values))
    client = api_client(token_for(world.user, write=False))
    response = client.generic(operation.method.upper(), path, "{}", "application/json")
    assert response.status_code == 403 and response["Content-Type"] == PROBLEM
    assert response.json()["detail"] == "This token is read-only."
    assert (state(world.oscar), Change.objects.count()) == before
