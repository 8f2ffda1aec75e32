"""The contact list through the API: the web list's search, filters, sort, and keyset cursors."""

import datetime

import pytest
from django.utils import timezone

from crm.models import Contact, Tag, Team
from crm.queries import pages
from crm.services.search import contact_search_refresh
from crm.tests.factories import make_contact, make_contacts

pytestmark = pytest.mark.django_db

URL = "/api/contacts/"


@pytest.fixture
def api(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def book(user):
    """A few contacts with every filter's reason to match or not."""
    vip = Tag.objects.create(name="VIP", slug="vip")
    press = Tag.objects.create(name="Press", slug="press")
    team = Team.objects.create(name="Sales")
    ada = make_contact("Ada Lovelace", email="ada@example.org", phones=["202 555 0143"])
    ada.tags.add(vip, press)
    bob = make_contact("Bob Müller", addresses=["Zürich"], organization="Acme", owner=user)
    bob.tags.add(vip)
    contact_search_refresh(ids=[ada.pk, bob.pk])
    make_contact("Zoë Costa", organization="Beta", team=team)
    make_contact("José Silva", phones=["+33 6 12 34 56 78"])
    old = make_contact("Old Timer")
    Contact.objects.filter(pk=old.pk).update(created=timezone.now() - datetime.timedelta(days=40))
    return {"team": team}


def api_names(client, params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["items"]]


def web_names(client, params):
    response = client.get("/contacts/", params)
    assert response.status_code == 200
    assert not response.context["form"].errors
    return [contact.name for contact in response.context["contacts"]]


def test_search_filters_and_sorts_mean_what_they_mean_on_the_web_list(api, book, user):
    today = timezone.localdate().isoformat()
    cases = [
        {},
        {"q": "muller"},
        {"q": "costa zoe"},
        {"q": "555-01"},
        {"q": "zurich"},
        {"q": "vip"},
        {"tag": ["vip", "press"]},
        {"has": ["phone"]},
        {"has": ["email", "phone"]},
        {"owner": str(user.pk)},
        {"owner": "none"},
        {"team": str(book["team"].pk)},
        {"team": "none", "sort": "-name"},
        {"created_from": today},
        {"created_to": (timezone.localdate() - datetime.timedelta(days=1)).isoformat()},
        {"sort": "organization"},
        {"sort": "-organization"},
        {"sort": "-created"},
        {"sort": "updated", "tag": ["vip"]},
        {"sort": "last_interaction"},
    ]
    for params in cases:
        assert api_names(api, params) == web_names(api, params), params
    assert api_names(api, {"q": "costa zoe"}) == ["Zoë Costa"]


def test_values_the_list_refuses_are_422_naming_the_parameter(api, book):
    for params, field in [
        ({"tag": "nope"}, "query.tag"),
        ({"sort": "shoe_size"}, "query.sort"),
        ({"owner": "999999"}, "query.owner"),
        ({"owner": "someone"}, "query.owner"),
        ({"created_from": "2026-02-31"}, "query.created_from"),
        ({"created_from": "2026-02-02", "created_to": "2026-02-01"}, "query.created_to"),
        ({"limit": 201}, "query.limit"),
        ({"limit": 0}, "query.limit"),
        ({"cursor": "not a cursor"}, "query.cursor"),
    ]:
        response = api.get(URL, params)
        assert response.status_code == 422, (params, response.content)
        assert field in [error["field"] for error in response.json()["errors"]], params


def test_cursors_page_forward_then_back_over_the_same_rows(api):
    make_contacts(23)
    for sort in ["name", "-created", "organization"]:
        forward, cursor, cursors = [], None, []
        while True:
            params = {"sort": sort, "limit": 5, **({"cursor": cursor} if cursor else {})}
            body = api.get(URL, params).json()
            assert body["count"] == 23 and body["count_exact"]
            forward.append([item["id"] for item in body["items"]])
            cursors.append(body["previous"])
            if not (cursor := body["next"]):
                break
        assert [len(page) for page in forward] == [5, 5, 5, 5, 3]
        everything = [
            item["id"] for item in api.get(URL, {"sort": sort, "limit": 200}).json()["items"]
        ]
        assert sum(forward, []) == everything
        assert cursors[0] is None
        # Each page's "previous" gives the page before it.
        for page, previous in zip(forward[:-1], cursors[1:], strict=True):
            body = api.get(URL, {"sort": sort, "limit": 5, "cursor": previous}).json()
            assert [item["id"] for item in body["items"]] == page
        cursor_of_name = forward and api.get(URL, {"limit": 5}).json()["next"]
        assert api.get(URL, {"sort": "-name", "cursor": cursor_of_name}).status_code == 422


def test_the_count_stops_at_the_cap(api, monkeypatch):
    monkeypatch.setattr(pages, "COUNT_CAP", 4)
    # No statistics to estimate from (an earlier test's ANALYZE may have left some).
    monkeypatch.setattr(pages, "_estimated_rows", lambda contacts: -1)
    make_contacts(6)
    body = api.get(URL, {"limit": 2}).json()
    assert (body["count"], body["count_exact"]) == (4, False)


@pytest.mark.parametrize("size", [5, 60])
def test_a_page_costs_the_same_queries_whatever_its_size(api, django_assert_max_num_queries, size):
    contacts = make_contacts(size, phones_each=2)
    tag = Tag.objects.create(name="VIP", slug="vip")
    for contact in contacts:
        contact.tags.add(tag)
        contact.emails.create(address=f"{contact.pk}@example.org", primary=True)
    api.get(URL)  # the session and the user's permissions, read once
    # The session, the user, the rate limit's count, their permissions, the
    # tag filter's tag, the count, the page (crm.queries.pages), the records.
    with django_assert_max_num_queries(8):
        body = api.get(URL, {"limit": 200, "tag": "vip"}).json()
    assert len(body["items"]) == size
    assert all(len(item["phones"]) == 2 and item["tags"] for item in body["items"])
