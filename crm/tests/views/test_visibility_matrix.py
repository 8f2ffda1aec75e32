"""
Who may open what, and see whom: every page of the contact book (from the
URL configuration, as crm/tests/views/test_permissions.py reads it) x every
role x both CRM_VISIBILITY modes x a contact of one's own team, of another
team, and of another team shared with one's own.

A missing permission answers 403 and a contact one cannot see 404, each
leaving the book as it was; no page, whatever it lists, names a contact one
cannot see. The data is made once for the module, each test rolled back.
"""

import re

import pytest
from django.db import transaction
from django.utils.timezone import now

from crm.models import BulkJob, Contact, ContactRelationship, Tag, Team, Webhook, WebhookEvent
from crm.roles import role_set
from crm.services.relationships import relationship_add
from crm.services.timeline import entry_add
from crm.services.trash import contact_trash
from crm.tests.factories import make_contact
from crm.tests.views.imports_data import make_import
from crm.tests.views.test_permissions import BULK, EXPECTED, ROLES, ROUTES, snapshot

pytestmark = pytest.mark.django_db

MODES = ["all", "team"]
TARGETS = ["own", "other", "shared"]
# The URL arguments that name a contact: an unseen one answers 404.
NAMING = {"pk", "other_pk", "keep_pk", "duplicate_pk", "trashed_id", "entry_id"}
# Names found nowhere else, so that a page naming the contact is caught.
NAMES = {"own": "Olivia Ownteam", "other": "Oscar Otherteam", "shared": "Sharon Sharedin"}


def _team_contacts(team, name, *, shared_with=None):
    """Return a contact, its duplicate and one in the trash, in ``team``."""
    contact = make_contact(name, email=f"{name.split()[0].lower()}@example.org", team=team)
    twin = make_contact(name, team=team)
    gone = make_contact(f"{name} Trashed", team=team)
    contact_trash(contact=gone)
    for row in (contact, twin, gone):
        if shared_with:
            row.shared_with.add(shared_with)
    return contact, twin, gone


def _webhook(user, targets):
    """Return a webhook of ``user`` with an event about each target contact."""
    webhook = Webhook.objects.create(owner=user, url="https://example.org/hook", events=["x"])
    for contact, _, _ in targets.values():
        WebhookEvent.objects.create(
            webhook=webhook, type="contact.updated", contact_id=contact.pk, payload={}
        )
    return webhook


def build():
    """Make the teams, a user of each role in Sales, and each target's contacts."""
    from django.contrib.auth import get_user_model

    sales, support = Team.objects.create(name="Sales"), Team.objects.create(name="Support")
    anchor = make_contact("Anchor Person", team=sales)
    Tag.objects.create(name="VIP", slug="vip")
    targets = {
        "own": _team_contacts(sales, NAMES["own"]),
        "other": _team_contacts(support, NAMES["other"]),
        "shared": _team_contacts(support, NAMES["shared"], shared_with=sales),
    }
    for contact, _, _ in targets.values():
        relationship_add(contact=contact, other=anchor)
        contact.tags.add(Tag.objects.get())
    users = {}
    for role in ROLES:
        user = get_user_model().objects.create_user(role)
        role_set(user=user, role=f"{role}s")
        sales.members.add(user)
        entries = {
            key: entry_add(contacts=[contact], author=user, kind="call", at=now(), text="Hi")
            for key, (contact, _, _) in targets.items()
        }
        job = BulkJob.objects.create(author=user, action="tag", list_url="/", matched=1)
        users[role] = (user, entries, job, make_import(user), _webhook(user, targets))
    return anchor, targets, users


@pytest.fixture(scope="module")
def book(django_db_setup, django_db_blocker):
    """The module's data, made once in a transaction rolled back at its end."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            data = build()
        except BaseException:
            atomic.__exit__(None, None, None)
            raise
    yield data
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)


def cases():
    for name, route in ROUTES:
        actions = BULK if name == "crm:contact_bulk" else [None]
        methods = [("GET", None), *(("POST", action) for action in actions)]
        for role in ROLES:
            for mode in MODES:
                for target in TARGETS:
                    for method, action in methods:
                        test_id = f"{route}-{role}-{mode}-{target}-{action or method}"
                        yield pytest.param(
                            name, route, role, mode, target, method, action, id=test_id
                        )


CASES = list(cases())


def test_every_page_is_in_the_matrix():
    # A page added to crm/urls.py without a rule fails test_permissions.py;
    # one naming a contact by a new argument must be listed in NAMING.
    arguments = {arg for _, route in ROUTES for arg in re.findall(r"<\w+:(\w+)>", route)}
    assert arguments <= NAMING | {"job_id", "import_id", "number", "slug", "webhook_id"}, arguments
    assert len(CASES) == sum(
        len(ROLES) * len(MODES) * len(TARGETS) * (1 + (len(BULK) if n == "crm:contact_bulk" else 1))
        for n, _ in ROUTES
    )


def _arguments(anchor, targets, users, role, target):
    contact, twin, gone = targets[target]
    _, entries, job, import_run, webhook = users[role]
    return {
        "pk": contact.pk,
        "other_pk": anchor.pk,
        "keep_pk": contact.pk,
        "duplicate_pk": twin.pk,
        "trashed_id": gone.pk,
        "entry_id": entries[target].pk,
        "job_id": job.pk,
        "import_id": import_run.pk,
        "webhook_id": webhook.pk,
        "number": 0,
        "slug": "vip",
    }


def _rows_of(pks):
    """Return every row that belongs to the contacts ``pks``: what an unseen contact keeps."""
    contacts = Contact._base_manager.filter(pk__in=pks)
    return (
        list(contacts.order_by("pk").values()),
        sorted(Contact.tags.through.objects.filter(contact__in=pks).values_list("pk", "tag")),
        sorted(
            ContactRelationship.objects.filter(from_contact__in=pks).values_list("pk", "to_contact")
        ),
        sorted(Contact.entries.through.objects.filter(contact__in=pks).values_list("pk", "entry")),
    )


def _word(target):
    # Found by searching, yet not the name a page echoing the search would show.
    return NAMES[target].split()[0].lower()


def _content(response):
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


@pytest.mark.parametrize(("name", "route", "role", "mode", "target", "method", "action"), CASES)
def test_each_role_sees_and_may_do_what_it_should(
    client, settings, book, name, route, role, mode, target, method, action
):
    settings.CRM_VISIBILITY = mode
    anchor, targets, users = book
    user = users[role][0]
    client.force_login(user)
    arguments = _arguments(anchor, targets, users, role, target)
    url = "/" + re.sub(r"<\w+:(\w+)>", lambda m: str(arguments[m[1]]), route)
    contact, twin, gone = targets[target]
    unseen = mode == "team" and target == "other" and role != "manager"
    least = BULK[action] if action else EXPECTED[name][method == "POST"]
    refused = least is not None and ROLES.index(role) < ROLES.index(least)
    names_it = bool(set(re.findall(r"<\w+:(\w+)>", route)) & NAMING)
    before = snapshot() if refused else _rows_of([contact.pk, twin.pk, gone.pk])
    data = {
        "ids": [contact.pk, anchor.pk],
        "tag_name": "New",
        "other": contact.pk,
        "others": [contact.pk],
        "q": _word(target),
        "confirmed": "1",
        "new_owner": user.pk,  # what the bulk action "assign" gives
        **({"action": action} if action else {}),
    }
    response = client.get(url, {"q": _word(target)}) if method == "GET" else client.post(url, data)
    if least is None:
        assert response.status_code == 405
    elif refused:
        assert response.status_code == 403, (url, response.status_code)
        assert snapshot() == before
    elif unseen and names_it:
        assert response.status_code == 404, (url, response.status_code)
    elif names_it:
        assert response.status_code in (200, 302), (url, response.status_code)
    else:
        # As test_permissions.py has it: some need more than the matrix posts.
        assert response.status_code not in (403, 405), (url, response.status_code)
    if unseen and not refused:
        assert _rows_of([contact.pk, twin.pk, gone.pk]) == before, url
        assert NAMES[target] not in _content(response), url
