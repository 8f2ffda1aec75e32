"""Bulk assigning from several browsers at once, through the real views."""

import pytest
from django.urls import reverse

from crm.models import Change, Contact, Team
from crm.tests.factories import make_contacts
from locking.testing import test_concurrently

from .clients import logged_in_clients, redirected

pytestmark = pytest.mark.django_db(transaction=True)

BULK = reverse("crm:contact_bulk")
THREADS = 6


def test_overlapping_assigns_leave_each_contact_one_owner_and_a_true_history(user, make_user):
    owners = [make_user(f"owner{i}") for i in range(THREADS)]
    team = Team.objects.create(name="Sales")
    book = make_contacts(30)
    clients = logged_in_clients(user, THREADS)
    # Each thread assigns twelve contacts to its owner; each window overlaps the next.
    windows = iter([(owners[i], book[i * 3 : i * 3 + 12]) for i in range(THREADS)])

    @test_concurrently(THREADS)
    def assign():
        owner, contacts = next(windows)
        data = {
            "action": "assign",
            "ids": [c.pk for c in contacts],
            "new_owner": owner.pk,
            "share": team.pk,
        }
        redirected(clients.get().post(BULK, data))

    assign()
    for contact in Contact.objects.all():
        changes = list(Change.objects.filter(contact=contact, kind="owner").order_by("id"))
        if contact.owner is None:
            assert not changes
            continue
        # Each change starts from what the one before left: the assigns ran one after another.
        assert changes[0].before is None
        for earlier, later in zip(changes, changes[1:], strict=False):
            assert later.before == earlier.after
        assert changes[-1].after == {"id": contact.owner_id, "name": contact.owner.username}
        # Shared once, however many assigns shared it.
        assert Change.objects.filter(contact=contact, kind="sharing").count() == 1
        assert list(contact.shared_with.all()) == [team]


def test_assigning_all_while_another_deletes_some_assigns_every_survivor(user, make_user):
    bob = make_user("bob")
    book = make_contacts(20)
    clients = logged_in_clients(user, 2)
    jobs = iter(
        [
            {"action": "assign", "all": "1", "q": "person", "new_owner": bob.pk},
            {"action": "delete", "ids": [c.pk for c in book[::2]], "confirmed": "1"},
        ]
    )

    @test_concurrently(2)
    def act():
        redirected(clients.get().post(BULK, next(jobs)))

    act()
    survivors = set(Contact.objects.all())
    assert survivors == set(book[1::2])
    assert {c.owner for c in survivors} == {bob}
