"""API writes at once: If-Match under the row lock; a create retried with one Idempotency-Key."""

import json
import queue

import pytest

from crm.models import Change, Contact, IdempotencyKey
from crm.tests.factories import make_contact
from crm.tests.races.clients import logged_in_clients
from locking.testing import test_concurrently

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/contacts/"


def test_two_changes_with_the_same_etag_end_with_one_saved_and_one_412(user):
    ada = make_contact("Ada Lovelace", phones=["202 555 0143"])
    clients = logged_in_clients(user, 2)
    first = clients.get()
    etag = first.get(f"{URL}{ada.pk}")["ETag"]
    clients.put(first)
    turns, results = iter(range(2)), queue.SimpleQueue()

    @test_concurrently(2)
    def change():
        turn, client = next(turns), clients.get()
        response = client.patch(
            f"{URL}{ada.pk}",
            {"nickname": f"Nick {turn}", "phones": [{"number": f"202 555 014{turn}"}]},
            content_type="application/json",
            headers={"If-Match": etag},
        )
        results.put((response.status_code, turn, response))

    change()
    done = sorted(results.get() for _ in range(2))
    assert [status for status, _, _ in done] == [200, 412], done
    (_, winner, saved), (_, _, refused) = done
    assert refused["Content-Type"] == "application/problem+json"
    assert refused["ETag"] == saved["ETag"]
    ada = Contact.objects.get()
    assert ada.nickname == f"Nick {winner}"
    assert list(ada.phones.values_list("number", flat=True)) == [f"202 555 014{winner}"]
    # One change of the nickname recorded, not two.
    assert Change.objects.filter(contact=ada, kind="contact").count() == 1


def test_a_create_retried_at_once_with_one_key_creates_one_contact(user):
    clients = logged_in_clients(user, 6)
    results = queue.SimpleQueue()
    body = {"name": "Ada Lovelace", "phones": [{"number": "202 555 0143"}], "tags": ["VIP"]}

    @test_concurrently(6)
    def create():
        response = clients.get().post(
            URL, body, content_type="application/json", headers={"Idempotency-Key": "retry-1"}
        )
        results.put((response.status_code, response.content, response["Location"]))

    create()
    done = [results.get() for _ in range(6)]
    assert {status for status, _, _ in done} == {201}, done
    assert len({(body, location) for _, body, location in done}) == 1
    assert Contact.objects.count() == 1 and IdempotencyKey.objects.count() == 1
    assert json.loads(done[0][1])["id"] == Contact.objects.get().pk
