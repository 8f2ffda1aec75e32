"""The contact list's sorts, filters, keyset pages, capped count and state in the URL."""

import base64
import datetime
import html
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from crm.forms.listing import SORT_CHOICES
from crm.models import Contact, Phone, Tag
from crm.queries import pages
from crm.tests.factories import make_contact, make_contacts

pytestmark = pytest.mark.django_db
LIST = reverse("crm:contact_list")
SORTS = [key for key, _ in SORT_CHOICES]
ORGANIZATIONS = ["", "Acme", "Zeta Works", "Beta", "", "acme"]
START = datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC)


def names(response):
    return [contact.name for contact in response.context["contacts"]]


def link(response, rel):
    """Return the URL of the page's ``rel="next"`` (or "prev") link, or None."""
    found = re.search(f'rel="{rel}" href="([^"]+)"', response.content.decode())
    return html.unescape(found[1]) if found else None


def href(response, css_class):
    found = re.search(f'class="{css_class}" href="([^"]+)"', response.content.decode())
    return html.unescape(found[1])


def cursor(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.fixture
def book(db):
    """23 contacts with organisations (some none) and timestamps that tie in groups."""
    contacts = make_contacts(23)
    for i, contact in enumerate(contacts):
        Contact.objects.filter(pk=contact.pk).update(
            organization=ORGANIZATIONS[i % len(ORGANIZATIONS)],
            # Ties, so that the id decides between rows with equal values.
            created=START + datetime.timedelta(days=i // 4),
            updated=START - datetime.timedelta(minutes=i % 5),
        )
    return contacts


def in_order(sort):
    return list(Contact.objects.order_by(*pages.ordering(sort)).values_list("name", flat=True))


def walk(client, url, rel):
    """Return the pages from ``url`` on, following each page's ``rel`` link, and the last one."""
    seen = []
    while url:
        response = client.get(url)
        seen.append(names(response))
        url = link(response, rel)
    return seen, response


@pytest.mark.parametrize("sort", SORTS)
def test_paging_forward_then_backward_returns_the_same_rows(logged_in_client, book, sort):
    forward, end = walk(logged_in_client, f"{LIST}?sort={sort}&per_page=5", "next")
    assert [name for page in forward for name in page] == in_order(sort)
    assert len(forward) == 5
    backward, _ = walk(logged_in_client, link(end, "prev"), "prev")
    assert backward[::-1] == forward[:-1]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("query", ["zed", "person"])
@pytest.mark.parametrize("window", [4, 10])
def test_many_matches_page_alike_near_the_cursor_and_past_the_window(
    logged_in_client, book, monkeypatch, sort, query, window
):
    # "zed" clusters at the end of the order by name (none of the first
    # rows of the index match: the walk gives up after the window's head
    # and the page is sorted by itself); "person" is spread (the window
    # holds a page). Past the count's cap, so the list does not sort them
    # by themselves from the start.
    for contact in make_contacts(9, prefix="Zed"):
        Contact.objects.filter(pk=contact.pk).update(
            organization=ORGANIZATIONS[contact.pk % len(ORGANIZATIONS)],
            created=START + datetime.timedelta(days=contact.pk % 3),
        )
    monkeypatch.setattr(pages, "COUNT_CAP", 3)
    monkeypatch.setattr(pages, "WINDOW", window)
    expected = [name for name in in_order(sort) if query in name.lower()]
    forward, end = walk(logged_in_client, f"{LIST}?q={query}&sort={sort}&per_page=3", "next")
    assert [name for page in forward for name in page] == expected
    backward, _ = walk(logged_in_client, link(end, "prev"), "prev")
    assert backward[::-1] == forward[:-1]
    last, _ = walk(logged_in_client, f"{LIST}?q={query}&sort={sort}&per_page=3&page=last", "prev")
    assert [name for page in last[::-1] for name in page] == expected


@pytest.mark.parametrize("sort", ["name", "-organization", "created", "-updated"])
def test_the_last_page_is_the_first_of_the_reverse_order(logged_in_client, book, sort):
    backward, start = walk(logged_in_client, f"{LIST}?sort={sort}&per_page=5&page=last", "prev")
    # The last page has 5 rows, not the 3 left over by the first pages.
    assert backward[0] == in_order(sort)[-5:]
    assert [name for page in backward[::-1] for name in page] == in_order(sort)
    assert link(start, "prev") is None


def test_contacts_without_an_organisation_come_last_both_ways(logged_in_client, book):
    organizations = dict(Contact.objects.values_list("name", "organization"))

    def shown(sort):
        rows = names(logged_in_client.get(f"{LIST}?sort={sort}&per_page=200"))
        return [(organizations[name], name) for name in rows]

    ascending, descending = shown("organization"), shown("-organization")
    filled = len([name for name, organization in organizations.items() if organization])
    assert all(organization for organization, _ in ascending[:filled])
    assert all(organization for organization, _ in descending[:filled])
    assert descending[:filled] == ascending[:filled][::-1]
    # Among those without, the newest first when descending, as with equal names.
    assert descending[filled:] == ascending[filled:][::-1]


FILTERS = [
    {},
    {"tag": ["vip", "supplier"], "has": ["email"]},
    {"created_from": "2026-03-02", "created_to": "2026-03-04", "has": ["phone"]},
    {"q": "person", "tag": ["vip"]},
]


@pytest.mark.parametrize("filters", FILTERS)
def test_every_sort_and_filter_costs_two_data_queries_a_page(logged_in_client, book, filters):
    vip = Tag.objects.create(name="VIP", slug="vip")
    supplier = Tag.objects.create(name="Supplier", slug="supplier")
    for contact in book[:18]:
        contact.tags.add(vip, supplier)
        contact.emails.create(address=f"{contact.pk}@example.org")
        phone = Phone.typed(f"+1 212 555 {contact.pk:04d}")
        phone.save()
        contact.phones.add(phone)
    logged_in_client.get(LIST)  # Let the database backend run its one-time feature checks.
    for sort in SORTS:
        url = f"{LIST}?{urlencode({**filters, 'sort': sort, 'per_page': 3}, doseq=True)}"
        for _ in range(2):  # The first page and the one after it.
            with CaptureQueriesContext(connection) as captured:
                response = logged_in_client.get(url)
            assert response.status_code == 200
            assert len(names(response)) == 3, (sort, filters)
            # The capped count and the page's rows with their phones.
            data = [q["sql"] for q in captured if 'FROM "crm_contact"' in q["sql"]]
            assert len(data) == 2, (sort, filters, data)
            url = link(response, "next")


def test_filters_narrow_the_list(logged_in_client):
    vip = Tag.objects.create(name="VIP", slug="vip")
    supplier = Tag.objects.create(name="Supplier", slug="supplier")
    ada = make_contact("Ada Lovelace", email="ada@example.org", phones=["555 0100"])
    ada.tags.add(vip, supplier)
    make_contact("Charles Babbage", addresses=["London"]).tags.add(vip)
    grace = make_contact("Grace Hopper", email="grace@example.org")
    Contact.objects.filter(pk=grace.pk).update(created=START)

    def listed(**params):
        response = logged_in_client.get(LIST, params)
        assert response.status_code == 200
        return names(response)

    assert listed(tag="vip") == ["Ada Lovelace", "Charles Babbage"]
    assert listed(tag=["vip", "supplier"]) == ["Ada Lovelace"]
    assert listed(has="email") == ["Ada Lovelace", "Grace Hopper"]
    assert listed(has=["email", "phone"]) == ["Ada Lovelace"]
    assert listed(has="address") == ["Charles Babbage"]
    # The range is inclusive, whole days in the site's time zone.
    day = START.date().isoformat()
    assert listed(created_from=day, created_to=day) == ["Grace Hopper"]
    assert listed(created_from=timezone.localdate().isoformat()) == [
        "Ada Lovelace",
        "Charles Babbage",
    ]
    assert listed(q="a", tag="vip", has="phone") == ["Ada Lovelace"]


def test_the_count_stops_at_its_cap_and_the_last_page_still_works(
    logged_in_client, book, monkeypatch
):
    monkeypatch.setattr(pages, "COUNT_CAP", 5)
    response = logged_in_client.get(LIST, {"q": "person", "per_page": 4})
    page = response.content.decode()
    assert "More than 5 contacts match “person”" in page
    assert response.context["count"] == pages.Count(5, exact=False)
    last = logged_in_client.get(_last_link(response))
    assert names(last) == in_order("name")[-4:]
    assert link(last, "next") is None
    # Without a filter, more than the cap (or PostgreSQL's estimate past it).
    page = logged_in_client.get(LIST).content.decode()
    assert "More than 5 contacts" in page or "About " in page


def _last_link(response):
    found = re.search(r'href="([^"]+)">Last', response.content.decode())
    return html.unescape(found[1])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
def test_the_whole_book_past_the_cap_is_estimated(logged_in_client, book, monkeypatch):
    monkeypatch.setattr(pages, "_estimated_rows", lambda contacts: 1_234_567)
    # Past the cap, the statistics say about how many.
    monkeypatch.setattr(pages, "COUNT_CAP", 5)
    page = logged_in_client.get(LIST).content.decode()
    assert "About 1,200,000 contacts" in page
    # Below it the count stands, whatever stale statistics say.
    monkeypatch.setattr(pages, "COUNT_CAP", 1000)
    assert "23 contacts" in logged_in_client.get(LIST).content.decode()
    # A filtered list is counted.
    assert (
        "23 contacts match “person”" in logged_in_client.get(LIST, {"q": "person"}).content.decode()
    )
    monkeypatch.undo()
    # Statistics below the cap (a small book): counted.
    assert pages.contact_count(Contact.objects.all(), filtered=False) == pages.Count(23)


def test_an_exact_count_below_the_cap(logged_in_client, book):
    page = logged_in_client.get(LIST, {"q": "person", "per_page": 5}).content.decode()
    assert "23 contacts match “person”, showing 1–5." in page
    page = logged_in_client.get(LIST, {"tag": "nope"}).content.decode()
    assert "23 contacts" in page


@pytest.mark.parametrize(
    "bad",
    [
        "x",
        "!!!",
        "A" * 5000,
        cursor(["a"]),
        cursor(["a\x00", 1]),
        cursor([1, 1]),
        cursor(["Person", -1]),
        cursor(["Person", 1e30]),
        cursor(["Person", 2**70]),
        cursor(["Person", True]),
        cursor({"a": 1}),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
@pytest.mark.parametrize("sort", ["name", "-created"])
def test_a_tampered_cursor_shows_the_first_page(logged_in_client, book, bad, sort):
    for param in ("after", "before"):
        response = logged_in_client.get(LIST, {"sort": sort, "per_page": 5, param: bad})
        assert response.status_code == 200
        assert names(response) == in_order(sort)[:5]


def test_a_cursor_past_the_end_shows_the_last_page(logged_in_client, book):
    last = Contact.objects.get(name="Person 0022")
    response = logged_in_client.get(LIST, {"per_page": 5, "after": pages.cursor_for(last, "name")})
    assert names(response) == in_order("name")[-5:]


@pytest.mark.parametrize(
    ("params", "field", "error", "first"),
    [
        ({"tag": "nope"}, "tag", "Select a valid choice", 0),
        ({"has": "fax"}, "has", "Select a valid choice", 0),
        ({"created_from": "yesterday"}, "created_from", "Enter a valid date", 0),
        # The start stays: only the field in error is left out.
        (
            {"created_from": "2026-03-05", "created_to": "2026-03-01"},
            "created_to",
            "before its start",
            16,
        ),
        ({"sort": "-bogus"}, "sort", "Select a valid choice", 0),
    ],
)
def test_invalid_filters_are_shown_and_left_out(
    logged_in_client, book, params, field, error, first
):
    response = logged_in_client.get(LIST, {**params, "per_page": 5})
    assert response.status_code == 200
    assert error in " ".join(response.context["form"].errors[field])
    assert error in html.unescape(response.content.decode())
    assert names(response) == in_order("name")[first : first + 5]


def test_the_filters_in_force_are_shown_and_each_can_be_removed(logged_in_client, book):
    Tag.objects.create(name="VIP", slug="vip")
    Tag.objects.create(name="Supplier", slug="supplier")
    params = {"q": "person", "tag": ["vip", "supplier"], "has": "email", "sort": "-created"}
    first = logged_in_client.get(LIST, params)
    response = logged_in_client.get(LIST, {**params, "after": "x"})
    chips = {
        (chip["label"], str(chip["value"])): chip["remove_url"]
        for chip in response.context["chips"]
    }
    assert set(chips) == {
        ("Search", "person"),
        ("Tags", "VIP"),
        ("Tags", "Supplier"),
        ("Only contacts that", "Has an email"),
    }
    without_vip = parse_qs(urlsplit(chips["Tags", "VIP"]).query)
    assert without_vip == {
        "q": ["person"],
        "tag": ["supplier"],
        "has": ["email"],
        "sort": ["-created"],
    }
    assert "Supplier" in first.content.decode()


def test_the_back_link_returns_to_the_same_list_page_and_filters(logged_in_client, book):
    state = {"q": "person", "sort": "-organization", "has": [], "per_page": 5}
    response = logged_in_client.get(LIST, state)
    response = logged_in_client.get(link(response, "next"))
    shown = names(response)
    detail = href(response, "contact-link")
    assert detail.startswith(f"{LIST}{response.context['contacts'][0].pk}/?list=")
    back = href(logged_in_client.get(detail), "back-to-list")
    assert urlsplit(back).path == LIST
    assert names(logged_in_client.get(back)) == shown
    assert parse_qs(urlsplit(back).query)["sort"] == ["-organization"]


@pytest.mark.parametrize(
    "hostile",
    [
        "//evil.example/?q=x",
        "https://evil.example/",
        "next=https://evil.example/&q=ada",
        'q="><script>alert(1)</script>',
        "q=%00",
    ],
)
def test_the_back_link_cannot_leave_the_list_or_inject_markup(logged_in_client, ada, hostile):
    response = logged_in_client.get(reverse("crm:contact_detail", args=[ada.pk]), {"list": hostile})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>alert" not in page
    back = href(response, "back-to-list")
    assert back.startswith(f"{LIST}") and "evil" not in back and "next=" not in back
    assert logged_in_client.get(back).status_code == 200


def test_the_exports_take_the_filters_the_list_shows(logged_in_client):
    vip = Tag.objects.create(name="VIP", slug="vip")
    make_contact("Ada Lovelace").tags.add(vip)
    make_contact("Charles Babbage")
    response = logged_in_client.get(LIST, {"tag": "vip", "sort": "-name", "after": "x"})
    export = _export_link(response)
    assert parse_qs(urlsplit(export).query) == {"tag": ["vip"]}
    csv = b"".join(logged_in_client.get(export).streaming_content).decode()
    assert "Ada Lovelace" in csv and "Charles Babbage" not in csv
    vcf = b"".join(logged_in_client.get(LIST + "export.vcf", {"tag": "vip"}).streaming_content)
    assert b"Ada Lovelace" in vcf and b"Charles Babbage" not in vcf
    nothing = logged_in_client.get(LIST + "export.csv", {"tag": "vip", "has": "phone"})
    assert nothing.status_code == 302
    assert parse_qs(urlsplit(nothing.url).query) == {"tag": ["vip"], "has": ["phone"]}


def _export_link(response):
    found = re.search(r'href="(/contacts/export\.csv[^"]*)"', response.content.decode())
    return html.unescape(found[1])


def test_rows_carry_what_bulk_actions_and_keys_need(logged_in_client, ada):
    page = logged_in_client.get(LIST).content.decode()
    assert f'<tr data-contact-id="{ada.pk}">' in page
    assert (
        f'<input type="checkbox" name="ids" value="{ada.pk}" form="bulk-form" '
        f'class="select-row" aria-label="Select Ada Lovelace">'
    ) in page
    assert 'class="select-page"' in page
    assert 'class="contact-link"' in page
