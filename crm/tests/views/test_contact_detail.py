"""The contact page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Phone, RelationshipType
from crm.services.relationships import relationship_add
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db


def test_contact_page_shows_everything(logged_in_client):
    office = Phone.objects.create(number="555 0100")
    ada = make_contact(
        "Ada Lovelace",
        email="ada@example.org",
        notes="Wrote the <first> program.",
        phones=["555 0199", (office, Phone.Label.OFFICE)],
        addresses=["London"],
    )
    charles = make_contact("Charles Babbage", phones=[office])
    colleague = RelationshipType.objects.create(name="Colleague", slug="colleague")
    relationship_add(contact=ada, other=charles, types=[colleague])
    page = logged_in_client.get(ada.get_absolute_url()).content.decode()
    for text in ["ada@example.org", "555 0199", "555 0100", "Office", "London", "Colleague"]:
        assert text in page
    assert "Wrote the &lt;first&gt; program." in page
    assert 'id="relationships"' in page
    assert f'href="{charles.get_absolute_url()}">Charles Babbage</a>' in page
    assert "Shared line, also for" in page
    assert f"/contacts/{ada.pk}/contact.vcf" in page


def test_contact_page_costs_the_same_queries_whatever_it_holds(logged_in_client):
    def count(contact):
        with CaptureQueriesContext(connection) as captured:
            assert logged_in_client.get(contact.get_absolute_url()).status_code == 200
        return len(captured)

    colleague = RelationshipType.objects.create(name="Colleague", slug="colleague")
    small = make_contact("Small", phones=["555 0999"], addresses=["A"])
    relationship_add(contact=small, other=make_contact("Friend"), types=[colleague])
    count(small)  # One-time feature checks of the database backend.
    full = make_contact(
        "Full",
        phones=[f"555 01{i:02d}" for i in range(6)],
        addresses=["A", "B"],
        emails=[f"full{i}@example.org" for i in range(4)],
    )
    for i in range(3):
        full.urls.create(url=f"https://full.example/{i}")
        full.dates.create(kind="other", label=f"Date {i}", month=i + 1, day=1)
    for i in range(4):
        other = make_contact(f"Other {i}", phones=[Phone.objects.get(number="555 0100")])
        relationship_add(contact=full, other=other, types=[colleague])
    assert count(full) == count(small)


def test_unknown_contact_is_404(logged_in_client):
    assert logged_in_client.get("/contacts/999999/").status_code == 404


def test_phone_links_dial_the_number_in_e164_form(logged_in_client, settings):
    ada = make_contact(
        "Ada Lovelace", phones=["+33 6 12 34 56 78", "(202) 555-0143", "555 0199", "+999 12"]
    )
    page = logged_in_client.get(ada.get_absolute_url()).content.decode()
    assert 'href="tel:+33612345678"' in page
    # Typed without a country code: the default region, the United States.
    assert 'href="tel:+12025550143"' in page
    # Not a number phonenumbers knows: its digits, with the "+" it was typed with.
    assert 'href="tel:5550199"' in page
    assert 'href="tel:+99912"' in page

    settings.CRM_PHONE_REGION = "FR"
    page = logged_in_client.get(make_contact("Bob", phones=["06 12 34 56 79"]).get_absolute_url())
    assert 'href="tel:+33612345679"' in page.content.decode()


def test_a_normalised_number_is_shown_as_typed_and_in_international_format(logged_in_client):
    ada = make_contact("Ada Lovelace", phones=["(200) 000-0682", "+33 6 12 34 56 78", "1234"])
    page = logged_in_client.get(ada.get_absolute_url()).content.decode()
    assert ">(200) 000-0682</a>" in page
    assert '<span class="phone-international muted">+1 200-000-0682</span>' in page
    # Typed in international format already, or not normalised: shown once.
    assert page.count("+33 6 12 34 56 78") == 1
    assert ">1234</a>" in page
    assert page.count("phone-international") == 1


def test_contact_page_shows_every_field_escaped(logged_in_client):
    ada = make_contact(
        "Ada <b>",
        emails=["ada@home.example", "ada@work.example"],
        honorific_prefix="Dr.",
        given_name="Ada",
        family_name="Lovelace",
        nickname="<i>Enchantress</i>",
        organization="Engines & Co",
        job_title="Programmer",
    )
    ada.emails.filter(address="ada@work.example").update(label="work")
    ada.urls.create(url="https://ada.example/?a=1&b=2", label="blog")
    ada.urls.create(url="javascript:alert(1)", label="other")  # not through the form
    ada.dates.create(kind="birthday", year=1815, month=12, day=10)
    ada.dates.create(kind="other", label="Met <Charles>", month=6, day=5)
    page = logged_in_client.get(ada.get_absolute_url()).content.decode()
    assert "<h1>Ada &lt;b&gt;</h1>" in page
    assert "Dr. Ada Lovelace" in page  # the parts, as they differ from the display name
    assert "&lt;i&gt;Enchantress&lt;/i&gt;" in page
    assert "Engines &amp; Co" in page and "Programmer" in page
    assert '<a href="mailto:ada@home.example">ada@home.example</a>' in page
    assert '<span class="primary-mark">Primary</span>' in page
    assert page.count("primary-mark") == 1
    work = '<a href="mailto:ada@work.example">ada@work.example</a><span class="row-label">Work'
    assert work in page
    assert '<a href="https://ada.example/?a=1&amp;b=2" rel="noopener noreferrer nofollow">' in page
    assert 'href="javascript:' not in page and "javascript:alert(1)" in page
    assert 'Birthday</span>: <time datetime="1815-12-10">10 December 1815</time>' in page
    assert "Met &lt;Charles&gt;</span>: <time>5 June</time>" in page


def test_name_parts_that_add_nothing_are_not_repeated(logged_in_client):
    ada = make_contact("", given_name="Ada", family_name="Lovelace")
    page = logged_in_client.get(ada.get_absolute_url()).content.decode()
    assert "<h1>Ada Lovelace</h1>" in page and "Full name" not in page
