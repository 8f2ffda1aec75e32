"""The contact book's race tests once more, their browsers split across two app servers.

Each test below is one of crm/tests/races/, unchanged: only its clients
differ. There, ``logged_in_clients`` gives Django test clients in this
process; here it gives clients of Apache's balancer (cluster.py), each with a
session made by ``force_login``, so the threads' requests reach both gunicorns
and their transactions meet in PostgreSQL through pgbouncer, where the table
and row locks must hold between processes. The import race runs as two import
workers (``crm_worker``, one per app server) taking two overlapping imports.
"""

import queue

import pytest
from cluster import needs_postgresql, session_cookie
from django.urls import reverse

from crm.imports.plan import import_preview
from crm.models import Contact, Email, Phone
from crm.models.imports import Import
from crm.tests.races import test_history as history
from crm.tests.races import test_import as imports
from crm.tests.races import test_merge as merge
from crm.tests.races import test_phones as phones
from crm.tests.races import test_relationships as relationships
from crm.tests.races import test_trash as trash

pytestmark = [needs_postgresql, pytest.mark.django_db(transaction=True)]

RACES = (relationships, phones, merge, trash, history)


@pytest.fixture(scope="module")
def both_servers_served(cluster):
    """Fail unless both app servers answered some of this module's writes."""
    before = [app.posts() for app in cluster.app_servers]
    yield
    after = [app.posts() for app in cluster.app_servers]
    assert all(b > a for a, b in zip(before, after, strict=True)), (before, after)


@pytest.fixture(autouse=True)
def clients_across_servers(cluster, both_servers_served, monkeypatch):
    """Give the races' threads clients of the balancer instead of Django test clients."""

    def logged_in_clients(user, count):
        clients = queue.SimpleQueue()
        for _ in range(count):
            clients.put(cluster.client(cookies=session_cookie(user)))
        return clients

    for module in RACES:
        monkeypatch.setattr(module, "logged_in_clients", logged_in_clients)


# Their fixtures, under the names the tests ask for.
pair, types = relationships.pair, relationships.types
duplicates = merge.duplicates
ada = history.ada

# One race of each read-then-write path, to keep the suite quick; the rest
# run in one process (crm/tests/races/), through the same code.
# Relating two contacts: the mirror row and the types on both rows.
test_twenty_relates_at_once_leave_exactly_one_pair = (
    relationships.test_twenty_relates_at_once_leave_exactly_one_pair
)
# A shared phone number: one Phone row however many save it at once.
test_twenty_new_contacts_with_the_same_new_number_share_exactly_one_phone = (
    phones.test_twenty_new_contacts_with_the_same_new_number_share_exactly_one_phone
)
# Merging duplicates.
test_two_simultaneous_merges_of_the_same_pair_leave_one_contact = (
    merge.test_two_simultaneous_merges_of_the_same_pair_leave_one_contact
)
# Restoring from the trash and from the history.
test_restores_and_a_delete_for_good_at_once_leave_one_outcome = (
    trash.test_restores_and_a_delete_for_good_at_once_leave_one_outcome
)
test_two_restores_at_once_restore_once = history.test_two_restores_at_once_restore_once


def test_overlapping_imports_committed_by_two_workers_at_once_create_each_contact_once(
    cluster, user
):
    """crm/tests/races/test_import.py's first race, as two app servers run it."""
    runs = []
    for records in [imports.people(0, 30), imports.people(20, 50)]:
        run = Import.objects.create(author=user, file_name="f.csv", on_match="update")
        assert import_preview(import_run=run, records=records)["create"] == 30
        run.status = Import.Status.PREVIEWED
        run.save(update_fields=["status"])
        runs.append(run)
    # "Import" pressed on each, through the balancer; then one worker per server.
    for run in runs:
        client = cluster.client(cookies=session_cookie(user))
        response = client.post(reverse("crm:import_commit", args=[run.pk]))
        assert response.status_code == 302, response.content[:500]
    workers = [cluster.manage("crm_worker", "--once") for _ in cluster.app_servers]
    outputs = [worker.communicate(timeout=120)[0] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs

    statuses = Import.objects.filter(pk__in=[run.pk for run in runs]).values_list("status")
    assert [status for (status,) in statuses] == [Import.Status.COMMITTED] * 2, outputs
    assert Contact.objects.count() == 50
    assert Email.objects.count() == 50
    assert Phone.objects.count() == 51  # every number once, the office line shared
    assert Phone.objects.get(number="+1 212 555 9999").contacts.count() == 50
