"""Many browsers relating the same two contacts at once, through the real views."""

import pytest
from django.urls import reverse

from crm.models import Contact, ContactRelationship, RelationshipType
from locking.testing import test_concurrently

from .clients import logged_in_clients, redirected

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


@pytest.fixture
def pair():
    return Contact.objects.create(name="Ada Lovelace"), Contact.objects.create(name="Charles")


@pytest.fixture
def types():
    return [
        RelationshipType.objects.create(name=name, slug=name.lower())
        for name in ["Colleague", "Friend", "Mentor"]
    ]


def assert_consistent_pair(ada, charles):
    """Assert the pair is related both ways with the same types, or not at all."""
    rows = list(ContactRelationship.objects.prefetch_related("types"))
    assert {(row.from_contact_id, row.to_contact_id) for row in rows} in (
        set(),
        {(ada.pk, charles.pk), (charles.pk, ada.pk)},
    )
    assert len(rows) in (0, 2)
    assert len({frozenset(t.pk for t in row.types.all()) for row in rows}) <= 1
    return rows


def test_twenty_relates_at_once_leave_exactly_one_pair(user, pair, types):
    ada, charles = pair
    clients = logged_in_clients(user, THREADS)
    sides = iter([(ada, charles), (charles, ada)] * THREADS)

    @test_concurrently(THREADS)
    def relate():
        # Half the browsers relate from Ada's page, half from Charles's.
        contact, other = next(sides)
        redirected(
            clients.get().post(
                reverse("crm:relationship_add", args=[contact.pk]),
                {"other": other.pk, "types": [types[0].pk]},
            )
        )

    relate()
    rows = assert_consistent_pair(ada, charles)
    assert len(rows) == 2
    assert {t.name for t in rows[0].types.all()} == {"Colleague"}


def test_twenty_relate_and_unrelate_toggles_leave_a_consistent_pair(user, pair, types):
    ada, charles = pair
    clients = logged_in_clients(user, THREADS)
    turns = iter(range(THREADS))

    @test_concurrently(THREADS)
    def toggle():
        turn = next(turns)
        contact, other = (ada, charles) if turn % 4 < 2 else (charles, ada)
        if turn % 2:
            url = reverse("crm:relationship_remove", args=[contact.pk, other.pk])
            redirected(clients.get().post(url))
        else:
            url = reverse("crm:relationship_add", args=[contact.pk])
            chosen = [types[turn % 3].pk, types[(turn + 1) % 3].pk]
            redirected(clients.get().post(url, {"other": other.pk, "types": chosen}))

    toggle()
    assert_consistent_pair(ada, charles)


def test_twenty_type_edits_at_once_leave_the_same_types_on_both_rows(
    logged_in_client, user, pair, types
):
    ada, charles = pair
    redirected(
        logged_in_client.post(reverse("crm:relationship_add", args=[ada.pk]), {"other": charles.pk})
    )
    clients = logged_in_clients(user, THREADS)
    turns = iter(range(THREADS))

    @test_concurrently(THREADS)
    def edit_types():
        turn = next(turns)
        contact, other = (ada, charles) if turn % 2 else (charles, ada)
        chosen = [t.pk for i, t in enumerate(types) if turn >> i & 1]
        url = reverse("crm:relationship_edit", args=[contact.pk, other.pk])
        redirected(clients.get().post(url, {"types": chosen}))

    edit_types()
    assert len(assert_consistent_pair(ada, charles)) == 2
