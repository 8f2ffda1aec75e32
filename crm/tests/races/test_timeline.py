"""Entries added to and deleted from the same contacts at once, through the real pages."""

import datetime

import pytest
from django.db.models import Max
from django.urls import reverse

from crm.models import Contact, Entry, Participation
from crm.services.timeline import entry_add
from locking.testing import test_concurrently

from .clients import logged_in_clients, redirected

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 10
T = datetime.datetime(2026, 5, 4, 10, 30, tzinfo=datetime.UTC)


def latest_interactions():
    """Return {contact: the latest ``at`` of its entries that are not notes}, from the entries."""
    return dict(
        Participation.objects.exclude(entry__kind="note")
        .values("contact")
        .annotate(latest=Max("at"))
        .values_list("contact", "latest")
    )


def test_meetings_added_at_once_to_the_same_contacts_keep_the_last_interaction_right(user):
    ada, charles, grace = (
        Contact.objects.create(name=name) for name in ["Ada", "Charles", "Grace"]
    )
    clients = logged_in_clients(user, THREADS)
    # The latest meeting is not the last one started: each must see the others'.
    turns = iter([3, 9, 0, 7, 1, 8, 2, 6, 4, 5])

    @test_concurrently(THREADS)
    def add():
        turn = next(turns)
        when = T + datetime.timedelta(hours=turn)
        data = {
            "kind": "meeting" if turn % 4 else "note",
            "at": when.strftime("%Y-%m-%dT%H:%M"),
            "text": f"Meeting {turn}",
            "others": [charles.pk, grace.pk],
        }
        redirected(clients.get().post(reverse("crm:entry_add", args=[ada.pk]), data))

    add()
    assert Entry.objects.count() == THREADS
    expected = latest_interactions()
    assert expected[ada.pk] == T + datetime.timedelta(hours=9)
    for contact in Contact.objects.all():
        assert contact.last_interaction == expected[contact.pk], contact


def test_deleting_and_adding_entries_at_once_keeps_the_last_interaction_right(user):
    ada, charles = (Contact.objects.create(name=name) for name in ["Ada", "Charles"])
    entries = [
        entry_add(
            contacts=[ada, charles], author=user, kind="call", at=T + datetime.timedelta(hours=i)
        )
        for i in range(THREADS)
    ]
    clients = logged_in_clients(user, THREADS)
    turns = iter(range(THREADS))

    @test_concurrently(THREADS)
    def change():
        turn = next(turns)
        client = clients.get()
        if turn % 2:  # The latest ones go...
            entry = entries[turn]
            url = reverse("crm:entry_delete", args=[ada.pk, entry.pk])
            redirected(client.post(url))
        else:  # ...while earlier ones are added.
            when = T - datetime.timedelta(hours=turn)
            data = {"kind": "call", "at": when.strftime("%Y-%m-%dT%H:%M"), "others": [charles.pk]}
            redirected(client.post(reverse("crm:entry_add", args=[ada.pk]), data))

    change()
    assert Entry.objects.count() == THREADS
    expected = latest_interactions()
    assert expected[ada.pk] == T + datetime.timedelta(hours=THREADS - 2)
    for contact in Contact.objects.all():
        assert contact.last_interaction == expected[contact.pk], contact
