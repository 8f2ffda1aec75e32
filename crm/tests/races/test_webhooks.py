"""A webhook edited, given a new secret, sent a test event and deleted, all at once."""

import queue

import pytest

from crm.models import Contact, Webhook, WebhookEvent
from crm.services.contacts import contact_save
from crm.tests.factories import make_contact
from locking.testing import test_concurrently

from .clients import logged_in_clients

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_deletion_racing_edits_ends_with_the_webhook_gone_and_no_error(user):
    webhook = Webhook.objects.create(
        owner=user, url="https://example.org/hook", events=["contact.created"]
    )
    base = f"/contacts/webhooks/{webhook.pk}/"
    posts = [
        ("delete/", {}),
        ("", {"url": "https://example.org/edited", "events": ["contact.merged"]}),
        ("", {"url": "https://example.org/again", "events": ["contact.deleted"]}),
        ("secret/", {}),
        ("test/", {}),
        ("test/", {}),
    ]
    clients, turns, statuses = logged_in_clients(user, len(posts)), iter(posts), queue.SimpleQueue()

    @test_concurrently(len(posts))
    def write():
        suffix, data = next(turns)
        statuses.put((suffix, clients.get().post(base + suffix, data).status_code))

    write()
    answers = [statuses.get() for _ in posts]
    assert ("delete/", 302) in answers
    assert {status for _, status in answers} <= {302, 404}, answers
    # Nothing written after the deletion brought it back.
    assert (Webhook.objects.count(), WebhookEvent.objects.count()) == (0, 0)


def test_saves_racing_a_deletion_neither_fail_nor_leave_events_behind(user):
    webhook = Webhook.objects.create(
        owner=user, url="https://example.org/hook", events=Webhook.Event.values
    )
    contacts = [make_contact(f"Person {n}") for n in range(5)]
    clients, turns = logged_in_clients(user, 1), iter(range(6))

    @test_concurrently(6)
    def save_or_delete():
        turn = next(turns)
        if turn == 0:
            response = clients.get().post(f"/contacts/webhooks/{webhook.pk}/delete/")
            assert response.status_code == 302
        else:
            contact = Contact.objects.get(pk=contacts[turn - 1].pk)
            contact.notes = "changed"
            contact_save(contact=contact, phones=[], addresses=[])

    save_or_delete()
    assert (Webhook.objects.count(), WebhookEvent.objects.count()) == (0, 0)
    assert set(Contact.objects.values_list("notes", flat=True)) == {"changed"}
