"""Helpers of the tests of the API's records of a contact: JSON calls, a book of teams."""

import json

from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Team
from crm.queries.contacts import UNSEEN
from crm.tests.factories import make_contact

UNSEEN_REF = {"id": None, "name": UNSEEN["name"]}


def call(client, method, url, body=None, **query):
    """Send ``body`` as JSON to the API by ``method``; return the response."""
    send = getattr(client, method.lower())
    if body is None:
        return send(url, query or None) if method == "GET" else send(url)
    return send(url, json.dumps(body), content_type="application/json")


def problem_of(response, status):
    """Assert ``response`` is a problem of ``status``; return its document."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def every_page(client, url, limit):
    """Return every item of a list read a page of ``limit`` at a time, following ``next``."""
    items, cursor = [], None
    while True:
        query = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get(url, query)
        assert response.status_code == 200, response.content
        page = response.json()
        assert len(page["items"]) <= limit
        items += page["items"]
        cursor = page["next"]
        if cursor is None:
            return items


def queries_of(client, url, **query):
    """Return how many queries a GET of ``url`` runs (and check it answers 200)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query or None)
    assert response.status_code == 200, response.content
    return len(captured)


def make_team_book(settings, editor):
    """
    "team" mode: return Olivia (the editor's team, Sales), Oscar (Support)
    and Sharon (Support's, shared with Sales).
    """
    settings.CRM_VISIBILITY = "team"
    sales, support = Team.objects.create(name="Sales"), Team.objects.create(name="Support")
    sales.members.add(editor)
    olivia = make_contact("Olivia Lovelace", team=sales)
    oscar = make_contact("Oscar Lovelace", team=support)
    sharon = make_contact("Sharon Lovelace", team=support)
    sharon.shared_with.add(sales)
    return olivia, oscar, sharon
