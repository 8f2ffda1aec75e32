"""An app server dies under load: the balancer routes around it and nothing acknowledged is lost.

Ten clients create contacts through the balancer, each also logging through
its own RemoteLogHandler, while one of the two gunicorns is killed with its
workers (SIGKILL, as when its machine dies). A request it was answering may
fail (Apache answers 502: the client cannot know whether it was written), but
every contact the site acknowledged is stored, every request started after
the death is answered by the other server, and the handlers' retries store
each record exactly once. The server is started again afterwards, and the
balancer's health check takes it back.
"""

import logging
import threading

import pytest
from cluster import needs_postgresql, remote_log_handler, session_cookie
from django.urls import reverse
from servers import wait_for

from crm.models import Contact
from crm.tests.views.test_contact_form import form_data
from remotelog.models import LogMessage

pytestmark = [needs_postgresql, pytest.mark.django_db(transaction=True)]

CLIENTS = 10
BEFORE, AFTER = 20, 40  # contacts acknowledged before the death, and after it


class Writers:
    """Ten clients writing contacts and log records until told to stop."""

    def __init__(self, cluster, user, application):
        self.browsers = [cluster.client(cookies=session_cookie(user)) for _ in range(CLIENTS)]
        self.handlers = [
            remote_log_handler(cluster, application, batch_size=5, backoff=0.1, max_backoff=1)
            for _ in range(CLIENTS)
        ]
        self.killed, self.stopping = threading.Event(), threading.Event()
        self.outcomes = []  # (started after the death, status or error), in any order
        self.acknowledged = []  # names of the contacts the site said it saved
        self.logged = [0] * CLIENTS  # records each writer logged: its own slot only
        self.threads = [threading.Thread(target=self.write, args=[n]) for n in range(CLIENTS)]

    def write(self, number):
        logger = logging.Logger(f"writer-{number}")  # outside the hierarchy: this handler only
        logger.addHandler(self.handlers[number])
        browser, count = self.browsers[number], 0
        while not self.stopping.is_set():
            after, name = self.killed.is_set(), f"Writer {number:02} contact {count:04}"
            data = form_data(name, confirm_duplicate="1")
            try:
                status = browser.post(reverse("crm:contact_create"), data).status_code
            except OSError as error:
                status = repr(error)
            self.outcomes.append((after, status))
            if status == 302:
                self.acknowledged.append(name)
            logger.warning("writer %s contact %s", number, count)
            self.logged[number] += 1
            count += 1

    def acknowledged_after(self):
        return sum(1 for after, status in self.outcomes if after and status == 302)


def test_killing_a_server_under_load_loses_no_acknowledged_write(
    cluster, user, cluster_application
):
    victim = cluster.app_servers[0]
    writers = Writers(cluster, user, cluster_application)
    for thread in writers.threads:
        thread.start()
    try:
        wait_for(lambda: len(writers.acknowledged) >= BEFORE, "contacts before the death")
        served = victim.posts()  # it had its share of the load
        victim.kill()
        writers.killed.set()
        wait_for(lambda: writers.acknowledged_after() >= AFTER, "contacts after the death")
        # The health check has taken it out of the balancer.
        cluster.wait_until_member(victim, healthy=False)
    finally:
        writers.stopping.set()
        for thread in writers.threads:
            thread.join(60)
    flushed = [handler.flush(timeout=60) for handler in writers.handlers]

    assert served > 0
    saved = set(Contact.objects.values_list("name", flat=True))
    assert set(writers.acknowledged) <= saved
    # The other server answered every request made after the death.
    assert {status for after, status in writers.outcomes if after} == {302}, cluster.log_text()
    assert flushed == [True] * CLIENTS
    assert sum(handler.dropped for handler in writers.handlers) == 0
    # Each handler delivered every record its writer logged, and the database holds each once.
    assert [handler.sent for handler in writers.handlers] == writers.logged
    stored = LogMessage.objects.filter(application=cluster_application[0])
    assert stored.count() == stored.values("client_id").distinct().count() == sum(writers.logged)
    for handler in writers.handlers:
        handler.close()


@pytest.fixture(autouse=True)
def revive(cluster):
    """Start the killed server again and wait until the balancer takes it back."""
    yield
    for app in cluster.app_servers:
        if app.server.process.poll() is not None:
            app.start()
            cluster.wait_until_member(app, healthy=True)
