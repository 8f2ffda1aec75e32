"""
Who may open what: every page of the contact book, generated from the URL
configuration, for every role, by GET and by POST (crm.permissions).

A page added later without a rule here and in crm.permissions fails the
first test; a refused request must leave every table of the book as it was.
"""

import re

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.timezone import now

from crm.forms.bulk import BulkActionForm
from crm.models import BulkJob, Tag, Webhook
from crm.permissions import BULK_ACTIONS, RULES
from crm.roles import role_set
from crm.services.relationships import relationship_add
from crm.services.timeline import entry_add
from crm.services.trash import contact_trash
from crm.tests.factories import make_contact
from crm.tests.views.imports_data import make_import

pytestmark = pytest.mark.django_db

ROLES = ["viewer", "editor", "manager"]

# The least role that may GET and POST each page (None: the method is not
# allowed, 405), as the roles are described to users (README, "Roles").
V, E, M = ROLES
EXPECTED = {
    "home": (V, None),
    "crm:contact_list": (V, None),
    "crm:contact_create": (E, E),
    "crm:contact_bulk": (None, V),  # then by action: BULK below
    "crm:bulk_job": (V, None),
    "crm:import_list": (E, E),
    "crm:import_start": (None, E),
    "crm:import_detail": (E, None),
    "crm:import_chunk": (None, E),
    "crm:import_inspect": (None, E),
    "crm:import_progress": (E, None),
    "crm:import_options": (E, E),
    "crm:import_commit": (None, E),
    "crm:import_undo": (M, M),
    "crm:import_errors": (E, None),
    "crm:contact_export_csv": (V, None),
    "crm:contact_export_vcf": (V, None),
    "crm:contact_detail": (V, None),
    "crm:contact_edit": (E, E),
    "crm:contact_delete": (M, M),
    "crm:contact_possible_duplicates": (None, V),
    "crm:contact_vcard": (V, None),
    "crm:contact_history": (V, None),
    "crm:contact_history_restore": (None, M),
    "crm:contact_history_undo": (None, M),
    "crm:relationship_add": (E, E),
    "crm:relationship_candidates": (V, None),
    "crm:relationship_edit": (E, E),
    "crm:relationship_remove": (None, E),
    "crm:entry_add": (E, E),
    "crm:entry_edit": (E, E),
    "crm:entry_delete": (E, E),
    "crm:entry_done": (None, E),
    "crm:tag_list": (V, None),
    "crm:tag_detail": (V, None),
    "crm:duplicate_list": (V, None),
    "crm:trash_list": (V, None),
    "crm:trash_restore": (None, M),
    "crm:trash_delete": (M, M),
    "crm:contact_merge": (M, M),
    "crm:webhook_list": (M, None),
    "crm:webhook_create": (M, M),
    "crm:webhook_edit": (M, M),
    "crm:webhook_secret": (None, M),
    "crm:webhook_test": (None, M),
    "crm:webhook_delete": (M, M),
    "crm:webhook_deliveries": (M, None),
}
BULK = {
    "tag": E,
    "untag": E,
    "export_csv": V,
    "export_vcf": V,
    "delete": M,
    "merge": M,
    "assign": M,
}


def contact_book_routes(patterns=None, prefix="", namespace=""):
    """Yield (view name, route) for every page served by the contact book's views."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from contact_book_routes(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern) and pattern.callback.__module__.startswith(
            "crm.views."
        ):
            yield f"{namespace}{pattern.name}", route


ROUTES = sorted(set(contact_book_routes()))


def cases():
    for name, route in ROUTES:
        for role in ROLES:
            yield pytest.param(name, route, role, "GET", None, id=f"{route}-{role}-GET")
            if name == "crm:contact_bulk":
                for action in BULK:
                    yield pytest.param(
                        name, route, role, "POST", action, id=f"{route}-{role}-{action}"
                    )
            else:
                yield pytest.param(name, route, role, "POST", None, id=f"{route}-{role}-POST")


def test_every_page_of_the_contact_book_has_a_rule_and_an_expectation():
    names = {name for name, route in ROUTES}
    assert "crm:contact_detail" in names and "home" in names
    assert names == set(RULES), "A page of crm/urls.py needs a rule in crm/permissions.py"
    assert names == set(EXPECTED), "A page of crm/urls.py needs its row in EXPECTED here"
    assert set(BULK_ACTIONS) == set(BulkActionForm.ACTIONS) == set(BULK)


@pytest.fixture
def book():
    """Return a function giving, for a user, the URL arguments naming their things."""

    def book(user):
        ada = make_contact("Ada Lovelace", email="ada@example.org")
        grace = make_contact("Grace Hopper", email="ada@example.org")
        relationship_add(contact=ada, other=grace)
        Tag.objects.create(name="VIP", slug="vip").contacts.add(ada)
        gone = make_contact("Old Friend")
        contact_trash(contact=gone, by=user)
        entry = entry_add(contacts=[ada, grace], author=user, kind="call", at=now(), text="Hi")
        job = BulkJob.objects.create(author=user, action="tag", list_url="/", matched=1)
        import_run = make_import(user)
        webhook = Webhook.objects.create(owner=user, url="https://example.org/hook", events=[])
        return {
            "webhook_id": webhook.pk,
            "pk": ada.pk,
            "other_pk": grace.pk,
            "keep_pk": ada.pk,
            "duplicate_pk": grace.pk,
            "trashed_id": gone.pk,
            "entry_id": entry.pk,
            "job_id": job.pk,
            "import_id": import_run.pk,
            "number": 0,
            "slug": "vip",
        }

    return book


def snapshot():
    """Return every row of every table of the contact book."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values())
        for model in apps.get_app_config("crm").get_models()
    }


@pytest.mark.parametrize(("name", "route", "role", "method", "action"), list(cases()))
def test_each_role_may_do_what_its_permissions_allow(
    client, django_user_model, book, name, route, role, method, action
):
    # No password: hashing one would take most of the test's time.
    user = django_user_model.objects.create_user(role)
    role_set(user=user, role=f"{role}s")
    client.force_login(user)
    arguments = book(user)
    url = "/" + re.sub(r"<\w+:(\w+)>", lambda m: str(arguments[m[1]]), route)
    data = {"action": action, "ids": [arguments["pk"], arguments["other_pk"]], "tag_name": "New"}
    least = BULK[action] if action else EXPECTED[name][method == "POST"]
    refused = least is not None and ROLES.index(role) < ROLES.index(least)
    before = snapshot() if refused else None
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, {k: v for k, v in data.items() if v is not None})
    if least is None:
        assert response.status_code == 405
    elif not refused:
        assert response.status_code not in (403, 405), (url, response.status_code)
    else:
        assert response.status_code == 403, (url, response.status_code)
        assert "Your role does not allow you to" in response.content.decode()
        assert snapshot() == before


def test_a_superuser_passes_every_rule(admin_client, admin_user, book):
    arguments = book(admin_user)
    for name, route in ROUTES:
        url = "/" + re.sub(r"<\w+:(\w+)>", lambda m: str(arguments[m[1]]), route)
        get, post = EXPECTED[name]
        if get:
            assert admin_client.get(url).status_code != 403, url
        if post and name != "crm:contact_bulk":
            assert admin_client.post(url).status_code != 403, url


def test_a_user_without_a_role_may_not_even_read(settings, make_user, client):
    settings.CRM_DEFAULT_ROLE = ""
    client.force_login(make_user("nobody"))
    response = client.get("/")
    assert response.status_code == 403
    assert "Your role does not allow you to read the contact book." in response.content.decode()


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        ("viewer", ["Download vCard"], ["Edit</a>", "Move to trash", "Relate to another"]),
        ("editor", ["Edit</a>", "Relate to another", "Add to the timeline"], ["Move to trash"]),
        ("user", ["Edit</a>", "Move to trash", "Add to the timeline"], []),
    ],
)
def test_a_contacts_page_shows_only_the_buttons_the_role_allows(
    request, client, role, shown, hidden
):
    client.force_login(request.getfixturevalue(role))
    page = client.get(make_contact().get_absolute_url()).content.decode()
    assert all(text in page for text in shown), role
    assert not any(text in page for text in hidden), role


def test_the_list_shows_a_viewer_only_reading_and_exporting(client, viewer):
    make_contact()
    client.force_login(viewer)
    page = client.get("/").content.decode()
    assert 'value="export_csv"' in page and "/contacts/export.csv" in page
    assert 'value="merge"' not in page
    for hidden in ("/contacts/new/", "/contacts/import/", 'value="tag"', 'value="delete"'):
        assert hidden not in page, hidden
