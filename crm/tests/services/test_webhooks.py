"""
Webhook events: written with the change (an outbox), delivered by the alert
worker to a real HTTP receiver on loopback, signed, retried with backoff.
"""

import datetime
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from crm.models import Contact, Team, Webhook, WebhookEvent
from crm.outbox import CRM
from crm.roles import role_set
from crm.services.bulk import contacts_tag, contacts_untag
from crm.services.contacts import contact_save
from crm.services.duplicates import contact_merge
from crm.services.restore import operation_undo
from crm.services.teams import contacts_assign
from crm.services.trash import contact_restore, contact_trash, contacts_trash
from crm.tests.factories import make_contact
from crm.tests.imports.plans import ada, imported
from locking.testing import test_concurrently
from remotelog.alerts import outbox, webhooks
from remotelog.alerts.worker import notify_pass
from remotelog.tests.receivers import WebhookReceiver, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _loopback(settings):
    # The receivers here listen on 127.0.0.1, which the site refuses by default.
    settings.CRM_WEBHOOK_PRIVATE_ADDRESSES = True


ALL = Webhook.Event.values


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def subscribe(user, receiver):
    def subscribe(owner=None, events=ALL, url=None):
        return Webhook.objects.create(
            owner=owner or user, url=url or receiver.url, events=list(events)
        )

    return subscribe


def delivered(webhook, received):
    """Return the JSON bodies received, asserting each is signed with ``webhook``'s secret."""
    bodies = []
    for raw_headers, body in received:
        headers = {name.lower(): value for name, value in raw_headers.items()}
        timestamp = headers["x-crm-timestamp"]
        assert webhooks.verify(
            webhook.secret,
            body,
            signature=headers["x-crm-signature"],
            timestamp=timestamp,
            now=int(timestamp),
        )
        assert headers["content-type"] == "application/json"
        payload = json.loads(body)
        assert headers["x-crm-event-id"] == payload["id"]
        bodies.append(payload)
    return bodies


def save(contact, **fields):
    for name, value in fields.items():
        setattr(contact, name, value)
    contact_save(contact=contact, phones=[], addresses=[])
    return contact


def types(webhook=None):
    events = WebhookEvent.objects.order_by("id")
    if webhook is not None:
        events = events.filter(webhook=webhook)
    return [(event.type, event.contact_id) for event in events]


@override_settings(CRM_SITE_URL="https://crm.example.org/")
def test_a_saved_contact_is_sent_signed_once_the_worker_runs(subscribe, receiver):
    webhook = subscribe()
    contact = save(Contact(name="Ada Lovelace"))
    # The change itself sends nothing: the worker does.
    assert receiver.received == []
    out = io.StringIO()
    call_command("remotelog_notify", "--once", stdout=out)
    assert "1 sent, 0 to retry, 0 given up" in out.getvalue()
    (body,) = delivered(webhook, receiver.received)
    event = WebhookEvent.objects.get()
    assert body == {
        "id": str(event.event_id),
        "type": "contact.created",
        "occurred_at": event.created.isoformat(),
        "contact": {
            "id": contact.pk,
            "name": "Ada Lovelace",
            "url": f"https://crm.example.org/contacts/{contact.pk}/",
            "api_url": f"https://crm.example.org/api/contacts/{contact.pk}",
        },
        "timestamp": body["timestamp"],
    }
    assert (event.status, event.attempts, event.answer_status) == ("sent", 1, 200)
    # Sent once: another pass sends nothing.
    assert notify_pass()["sent"] == 0
    assert len(receiver.received) == 1


def test_each_write_path_writes_its_event(subscribe, user):
    webhook = subscribe()
    ada, grace = make_contact("Ada Lovelace"), make_contact("Grace Hopper")
    save(ada, notes="Countess")
    contact_trash(contact=grace)
    contact_restore(contact=grace)
    contacts_trash(contacts=Contact.objects.filter(pk=grace.pk))
    contact_restore(contact=grace)
    contacts_tag(contacts=Contact.objects.filter(pk__in=[ada.pk, grace.pk]), tag="VIP")
    contacts_untag(contacts=Contact.objects.filter(pk__in=[grace.pk]), tag="vip")
    contacts_untag(contacts=Contact.objects.filter(pk__in=[grace.pk]), tag="vip")  # had it not
    contacts_assign(contacts=Contact.objects.filter(pk=ada.pk), owner=user)
    twin = make_contact("Ada Lovelace")
    contact_merge(keep=ada, duplicate=twin)
    assert types(webhook) == [
        ("contact.updated", ada.pk),
        ("contact.deleted", grace.pk),
        ("contact.restored", grace.pk),
        ("contact.deleted", grace.pk),
        ("contact.restored", grace.pk),
        ("contact.updated", ada.pk),
        ("contact.updated", grace.pk),
        ("contact.updated", grace.pk),
        ("contact.updated", ada.pk),
        ("contact.merged", ada.pk),
    ]
    merged = WebhookEvent.objects.get(type="contact.merged")
    assert merged.payload["merged_id"] == twin.pk
    # Undoing the merge brings the duplicate back out of the trash.
    WebhookEvent.objects.all().delete()
    operation_undo(operation=twin.changes.latest("id").operation)
    assert ("contact.restored", twin.pk) in types(webhook)


def test_an_import_writes_created_then_updated_events(subscribe, user):
    webhook = subscribe()
    imported(user, [ada(2)])
    (contact,) = Contact.objects.all()
    assert types(webhook) == [("contact.created", contact.pk)]
    imported(user, [ada(2, job_title="Countess")], on_match="update")
    assert types(webhook)[1:] == [("contact.updated", contact.pk)]


def test_a_subscription_receives_only_the_events_it_chose(subscribe, user):
    deletions = subscribe(events=["contact.deleted"])
    contact = save(Contact(name="Ada Lovelace"))
    contact_trash(contact=contact)
    assert types() == [("contact.deleted", contact.pk)]
    deletions.is_active = False
    deletions.save()
    contact_restore(contact=contact)
    contact_trash(contact=contact)
    assert WebhookEvent.objects.count() == 1


def test_a_change_rolled_back_sends_nothing(subscribe, receiver):
    subscribe()
    with pytest.raises(RuntimeError), transaction.atomic():
        save(Contact(name="Ada Lovelace"))
        raise RuntimeError("the request failed after the save")
    assert WebhookEvent.objects.count() == 0
    notify_pass()
    assert receiver.received == []


def _queries(contact):
    with CaptureQueriesContext(connection) as captured:
        save(contact, notes=contact.notes + "x")
    return [query["sql"] for query in captured.captured_queries]


def test_without_subscriptions_a_save_costs_one_query_more(subscribe, make_user):
    contact = make_contact("Ada Lovelace")
    queries = _queries(contact)
    webhook_table = Webhook._meta.db_table
    assert [sql for sql in queries if webhook_table in sql] == [
        sql for sql in queries if f'FROM "{webhook_table}"' in sql
    ]
    assert len([sql for sql in queries if webhook_table in sql]) == 1
    # A subscription costs a few queries per owner, none per contact.
    subscribe()
    subscribe(owner=make_user("bob", is_superuser=True))
    with_one = len(_queries(contact))
    contacts = [make_contact(f"Person {n}") for n in range(20)]
    with CaptureQueriesContext(connection) as captured:
        contacts_tag(contacts=Contact.objects.filter(pk__in=[c.pk for c in contacts]), tag="A")
    many = len(captured.captured_queries)
    with CaptureQueriesContext(connection) as captured:
        contacts_tag(contacts=Contact.objects.filter(pk=contacts[0].pk), tag="B")
    one = len(captured.captured_queries)
    assert many == one  # 20 contacts or one: the same queries
    assert WebhookEvent.objects.filter(type="contact.updated").count() == 2 + 2 * 21
    assert with_one - len(queries) <= 6


@override_settings(CRM_VISIBILITY="team")
def test_in_team_mode_a_subscription_hears_only_of_contacts_its_owner_sees(subscribe, make_user):
    sales, support = Team.objects.create(name="Sales"), Team.objects.create(name="Support")
    # An editor allowed to manage webhooks: sees the contacts of the team Sales only.
    seller = make_user("sam")
    role_set(user=seller, role="editors")
    seller.user_permissions.add(Permission.objects.get(codename="manage_webhooks"))
    sales.members.add(seller)
    boss = make_user("boss")
    role_set(user=boss, role="managers")
    viewer = make_user("vera")
    role_set(user=viewer, role="viewers")
    mine, boss_hook = subscribe(owner=seller), subscribe(owner=boss)
    subscribe(owner=viewer)  # may not manage webhooks: hears nothing
    own = save(Contact(name="Olivia Own", team=sales))
    other = save(Contact(name="Oscar Other", team=support))
    shared = make_contact("Sharon Shared", team=support)
    shared.shared_with.add(sales)
    save(shared, notes="x")
    assert types(mine) == [("contact.created", own.pk), ("contact.updated", shared.pk)]
    assert [t for t, _ in types(boss_hook)] == ["contact.created"] * 2 + ["contact.updated"]
    assert WebhookEvent.objects.count() == 5
    assert other.name not in {
        event.payload["contact"]["name"] for event in WebhookEvent.objects.filter(webhook=mine)
    }


def test_a_failing_receiver_is_retried_with_backoff_under_the_same_event_id(subscribe):
    port = free_port()
    webhook = subscribe(url=f"http://127.0.0.1:{port}/hook")
    save(Contact(name="Ada Lovelace"))
    event = WebhookEvent.objects.get()
    start = event.next_attempt_at
    # Connection refused: retried 30 s later, then 60 s after that.
    assert notify_pass(now=start)["pending"] == 1
    event.refresh_from_db()
    assert (event.attempts, event.next_attempt_at) == (1, start + outbox.BACKOFF)
    assert "Connection refused" in event.answer and event.answer_status is None
    assert notify_pass(now=start + datetime.timedelta(seconds=29))["pending"] == 0
    assert notify_pass(now=start + outbox.BACKOFF)["pending"] == 1
    event.refresh_from_db()
    assert event.next_attempt_at == start + 3 * outbox.BACKOFF

    receiver = WebhookReceiver(port=port, failures=[500], answer=b"<b>Oops</b>").start()
    try:
        assert notify_pass(now=start + 3 * outbox.BACKOFF)["pending"] == 1
        event.refresh_from_db()
        assert (event.answer_status, event.answer) == (500, "<b>Oops</b>")
        assert notify_pass(now=start + 7 * outbox.BACKOFF)["sent"] == 1
    finally:
        receiver.stop()
    event.refresh_from_db()
    assert (event.status, event.attempts, event.answer_status) == ("sent", 4, 200)
    first, second = delivered(webhook, receiver.received)
    # The receiver's key to de-duplicate: the same on every attempt.
    assert first["id"] == second["id"] == str(event.event_id)
    assert first["timestamp"] < second["timestamp"]


def test_a_delivery_is_given_up_after_the_last_attempt(subscribe):
    receiver = WebhookReceiver(failures=[500] * outbox.MAX_ATTEMPTS).start()
    try:
        subscribe(url=receiver.url)
        save(Contact(name="Ada Lovelace"))
        moment = WebhookEvent.objects.get().next_attempt_at
        for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
            result = notify_pass(now=moment)
            assert (result["pending"], result["failed"]) == (
                (1, 0) if attempt < outbox.MAX_ATTEMPTS else (0, 1)
            )
            moment = WebhookEvent.objects.get().next_attempt_at
        assert notify_pass(now=moment + datetime.timedelta(days=1))["sent"] == 0
    finally:
        receiver.stop()
    event = WebhookEvent.objects.get()
    assert (event.status, event.attempts, event.answer_status) == (
        "failed",
        outbox.MAX_ATTEMPTS,
        500,
    )
    assert len(receiver.received) == outbox.MAX_ATTEMPTS


def test_a_redirect_is_a_failure_and_is_not_followed(subscribe):
    receiver = WebhookReceiver(failures=[302]).start()
    try:
        subscribe(url=receiver.url)
        save(Contact(name="Ada Lovelace"))
        assert notify_pass()["pending"] == 1
    finally:
        receiver.stop()
    assert WebhookEvent.objects.get().answer_status == 302
    assert len(receiver.received) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="two workers on real connections")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_deliver_each_event_once(subscribe, receiver):
    webhook = subscribe()
    for n in range(5):
        save(Contact(name=f"Person {n}"))

    @test_concurrently(2)
    def worker_pass():
        notify_pass(now=timezone.now())

    worker_pass()
    assert WebhookEvent.objects.filter(status="sent").count() == 5
    ids = [body["id"] for body in delivered(webhook, receiver.received)]
    assert sorted(ids) == sorted(
        str(pk) for pk in WebhookEvent.objects.values_list("event_id", flat=True)
    )
    assert all(uuid.UUID(pk) for pk in ids)


def readme_receiver(port):
    """Return the README's webhook receiver, listening on 127.0.0.1:``port``."""
    readme = (Path(settings.BASE_DIR) / "README.md").read_text()
    section = readme[readme.index("## Webhooks") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)[1]
    assert 'HTTPServer(("", 8000), Receiver)' in code
    return code.replace('("", 8000)', f'("127.0.0.1", {port})')


def test_the_readmes_receiver_takes_a_signed_event_once_and_refuses_a_forged_one(subscribe):
    port = free_port()
    webhook = subscribe(url=f"http://127.0.0.1:{port}/")
    process = subprocess.Popen(  # noqa: S603 - our own README's code
        [sys.executable, "-c", readme_receiver(port)],
        env={**os.environ, "CRM_WEBHOOK_SECRET": webhook.secret, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        for _ in range(200):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        contact = save(Contact(name="Ada Lovelace"))
        assert notify_pass()["sent"] == 1
        event = WebhookEvent.objects.get()
        assert event.answer_status == 204
        # The same event again (a retry after a lost answer): taken, not handled twice.
        body = {**event.payload}
        answer = webhooks.post(
            webhook.url,
            body,
            secret=webhook.secret,
            timestamp=int(time.time()),
            scheme=CRM,
        )
        assert answer.status == 204
        with pytest.raises(urllib.error.HTTPError) as refused:
            webhooks.post(
                webhook.url, body, secret="forged", timestamp=int(time.time()), scheme=CRM
            )
        assert refused.value.code == 401
        with pytest.raises(urllib.error.HTTPError) as stale:
            stale_time = int(time.time()) - 600
            webhooks.post(
                webhook.url, body, secret=webhook.secret, timestamp=stale_time, scheme=CRM
            )
        assert stale.value.code == 401
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    # Printed once, as received (the keys sorted, as the worker sends them).
    contact_seen = dict(sorted(event.payload["contact"].items()))
    assert output.splitlines() == [f"contact.created {contact_seen!r}"]
    assert str(contact.pk) in output


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.0.0.8", "169.254.169.254", "[::1]"])
def test_private_addresses_are_refused_unless_allowed(subscribe, receiver, settings, host):
    settings.CRM_WEBHOOK_PRIVATE_ADDRESSES = False
    subscribe(url=f"http://{host}:{receiver.server_address[1]}/hook")
    save(Contact(name="Ada Lovelace"))
    assert notify_pass()["pending"] == 1
    event = WebhookEvent.objects.get()
    assert "is a private address" in event.answer and event.answer_status is None
    assert receiver.received == []
