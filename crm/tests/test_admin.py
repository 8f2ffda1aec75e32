"""The contact book's admin: every list usable at scale."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Address, Contact, ContactRelationship, Phone, RelationshipType, Tag
from crm.services.relationships import relationship_add

from .factories import make_contact, make_contacts

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "/admin/crm/contact/",
    "/admin/crm/phone/",
    "/admin/crm/address/",
    "/admin/crm/relationshiptype/",
    "/admin/crm/contactrelationship/",
    "/admin/crm/tag/",
]


def add_rows(count):
    """Add ``count`` contacts with phones and an address, related in pairs, with a type each."""
    contacts = make_contacts(count, prefix=f"Batch{count}")
    for i, contact in enumerate(contacts):
        contact.phones.add(
            Phone.objects.create(number=f"{count} 555 {i:04d}"),
            Phone.objects.create(number=f"{count} 556 {i:04d}"),
        )
    kind = RelationshipType.objects.create(name=f"Kind {count}", slug=f"kind-{count}")
    Tag.objects.create(name=f"Tag {count}", slug=f"tag-{count}").contacts.add(*contacts)
    make_contact(f"City dweller {count}", addresses=[f"Town {count}"])
    for left, right in zip(contacts[::2], contacts[1::2], strict=False):
        relationship_add(contact=left, other=right, types=[kind])


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", CHANGELISTS)
def test_a_changelist_costs_the_same_queries_whatever_it_lists(admin_client, url):
    add_rows(2)
    few = queries(admin_client, url)
    add_rows(20)
    assert queries(admin_client, url) == few


def test_a_contact_change_page_costs_the_same_queries_however_many_relationships(admin_client):
    # Each phone and address row costs one query: the autocomplete widget looks
    # up its current value. A contact has a handful of those; relationships
    # can be many, and they cost nothing per row.
    kind = RelationshipType.objects.create(name="Friend", slug="friend")
    few, many = (
        make_contact(name, phones=[f"555 010{i}"], addresses=["Paris"])
        for i, name in enumerate(["Few Friends", "Many Friends"])
    )
    others = make_contacts(6)
    relationship_add(contact=few, other=others[0], types=[kind])
    for other in others[1:]:
        relationship_add(contact=many, other=other, types=[kind])
    page = f"/admin/crm/contact/{many.pk}/change/"
    queries(admin_client, page)  # Caches the content type, as any earlier page would.
    few_queries = queries(admin_client, f"/admin/crm/contact/{few.pk}/change/")
    assert queries(admin_client, page) == few_queries
    html = admin_client.get(page).content.decode()
    assert all(other.name in html for other in others[1:])


def test_relationships_cannot_be_added_or_changed_one_row_at_a_time(admin_client):
    assert admin_client.get("/admin/crm/contactrelationship/add/").status_code == 403
    add_rows(2)
    row = ContactRelationship.objects.first()
    response = admin_client.post(f"/admin/crm/contactrelationship/{row.pk}/change/", {})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("url", "column"),
    [("/admin/crm/contact/", "phone_count"), ("/admin/crm/phone/", "contact_count")],
)
def test_counts_per_row_are_right_and_the_list_count_joins_nothing(admin_client, url, column):
    shared = Phone.objects.create(number="555 0000")
    make_contact("Two Phones", phones=[shared, "555 0001"])
    make_contact("One Phone", phones=[shared])
    make_contact("No Phone")
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(url)
    shown = {str(row): getattr(row, column) for row in response.context["cl"].result_list}
    if column == "phone_count":
        assert shown == {"Two Phones": 2, "One Phone": 1, "No Phone": 0}
    else:
        assert sorted(shown.values()) == [1, 2]
    # At 100,000 contacts a count over the phone join would group every row.
    counts = [q["sql"] for q in captured if "COUNT(*)" in q["sql"] and "__count" in q["sql"]]
    assert counts and all("JOIN" not in sql for sql in counts), counts


def admin_form_data(client, url, **changes):
    """
    Return the POST data of the admin form at ``url`` as the page shows it,
    management forms of its inlines included, with ``changes`` applied.
    """
    response = client.get(url)
    assert response.status_code == 200
    forms = [response.context["adminform"].form]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms += formset.forms
        for name, field in formset.management_form.fields.items():
            value = formset.management_form.initial.get(name, field.initial)
            data[formset.management_form.add_prefix(name)] = "" if value is None else value
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None and value is not False:
                data[form.add_prefix(name)] = value
    data.update(changes)
    return data


def inline_rows(data, prefix, *rows):
    """Add ``rows`` (dicts of field values) to the inline ``prefix`` of admin POST ``data``."""
    first = int(data[f"{prefix}-TOTAL_FORMS"])
    for i, row in enumerate(rows, start=first):
        data.update({f"{prefix}-{i}-{field}": value for field, value in row.items()})
    data[f"{prefix}-TOTAL_FORMS"] = str(first + len(rows))
    return data


def refused(client, url, data):
    """Post ``data`` to ``url``; assert that the page comes back with errors; return them."""
    response = client.post(url, data)
    assert response.status_code == 200, response.status_code
    errors = response.context["errors"]
    assert errors, "the admin saved the form"
    return [str(message) for message in errors]


@pytest.mark.parametrize("number", ["()", "call me", "5550123", "555.01.23"])
def test_admin_refuses_a_phone_without_digits_or_with_another_phones_digits(admin_client, number):
    Phone.objects.create(number="(555) 01-23")
    url = "/admin/crm/phone/add/"
    errors = refused(admin_client, url, admin_form_data(admin_client, url, number=number))
    assert any("digit" in error or "(555) 01-23" in error for error in errors), errors
    assert Phone.objects.count() == 1


def test_admin_refuses_to_change_a_phone_to_another_phones_digits(admin_client):
    Phone.objects.create(number="(555) 01-23")
    phone = Phone.objects.create(number="555 0199")
    url = f"/admin/crm/phone/{phone.pk}/change/"
    errors = refused(admin_client, url, admin_form_data(admin_client, url, number="555-01-23"))
    assert any("(555) 01-23" in error for error in errors), errors
    phone.refresh_from_db()
    assert (phone.number, phone.digits) == ("555 0199", "5550199")


def test_admin_refuses_a_phone_in_another_format_of_another_phones_number(admin_client):
    Phone.objects.create(number="+1 (200) 000-0682")
    phone = Phone.objects.create(number="555 0199")
    url = f"/admin/crm/phone/{phone.pk}/change/"
    errors = refused(admin_client, url, admin_form_data(admin_client, url, number="200 000 0682"))
    assert any("+1 (200) 000-0682" in error for error in errors), errors


def test_admin_changes_a_phone_and_derives_its_digits(admin_client):
    phone = Phone.objects.create(number="555 0199")
    url = f"/admin/crm/phone/{phone.pk}/change/"
    response = admin_client.post(url, admin_form_data(admin_client, url, number="+1 555 0100"))
    assert response.status_code == 302
    phone.refresh_from_db()
    assert (phone.number, phone.digits) == ("+1 555 0100", "15550100")


def test_admin_refuses_the_same_phone_or_address_twice_on_one_contact(admin_client):
    ada = make_contact(phones=["555 0100"], addresses=["London"])
    phone, address = ada.phones.get(), ada.addresses.get()
    url = f"/admin/crm/contact/{ada.pk}/change/"
    data = admin_form_data(admin_client, url)
    inline_rows(data, "phone_links", {"phone": phone.pk})
    refused(admin_client, url, data)
    data = admin_form_data(admin_client, url)
    inline_rows(data, "address_links", {"address": address.pk})
    refused(admin_client, url, data)

    url = "/admin/crm/contact/add/"
    data = admin_form_data(admin_client, url, name="Charles Babbage")
    inline_rows(data, "phone_links", {"phone": phone.pk}, {"phone": phone.pk})
    refused(admin_client, url, data)
    assert list(Contact.objects.all()) == [ada]


def test_admin_refuses_a_relationship_type_whose_name_or_slug_is_taken(admin_client):
    RelationshipType.objects.create(name="Colleague", slug="colleague")
    url = "/admin/crm/relationshiptype/add/"
    for fields in [{"name": "Colleague", "slug": "other"}, {"name": "Other", "slug": "colleague"}]:
        refused(admin_client, url, admin_form_data(admin_client, url, **fields))
    assert RelationshipType.objects.count() == 1


def test_admin_refuses_fields_longer_than_their_columns(admin_client):
    ada = make_contact(addresses=["London"])
    long = "x" * 201
    for url in [
        "/admin/crm/contact/add/",
        f"/admin/crm/contact/{ada.pk}/change/",
        "/admin/crm/address/add/",
        f"/admin/crm/address/{ada.addresses.get().pk}/change/",
        "/admin/crm/relationshiptype/add/",
    ]:
        fields = {"street": long} if "/address/" in url else {"name": long, "slug": "s"}
        refused(admin_client, url, admin_form_data(admin_client, url, **fields))


def test_admin_edits_a_contacts_own_label_of_a_shared_phone_and_address(admin_client):
    office = Address.objects.create(city="London")
    ada = make_contact(phones=[("555 0100", "home")], addresses=[(office, "home")])
    charles = make_contact("Charles Babbage", phones=["555 0100"], addresses=[office])
    url = f"/admin/crm/contact/{ada.pk}/change/"
    data = admin_form_data(
        admin_client, url, **{"phone_links-0-label": "office", "address_links-0-label": "work"}
    )
    assert admin_client.post(url, data).status_code == 302
    assert list(ada.phone_links.values_list("label", flat=True)) == ["office"]
    assert list(ada.address_links.values_list("label", flat=True)) == ["work"]
    assert list(charles.phone_links.values_list("label", flat=True)) == ["mobile"]
    assert list(charles.address_links.values_list("label", flat=True)) == ["home"]


def test_tag_changelist_counts_contacts_and_searches(admin_client):
    vip = Tag.objects.create(name="VIP", slug="vip")
    vip.contacts.add(*make_contacts(3))
    Tag.objects.create(name="Supplier", slug="supplier")
    page = admin_client.get("/admin/crm/tag/", {"q": "vi"}).content.decode()
    assert '<td class="field-contact_count">3</td>' in page and "Supplier" not in page
    assert 'id="id_tags"' in admin_client.get("/admin/crm/contact/add/").content.decode()


def rich_contact(name, count):
    """Create a contact with ``count`` emails, URLs, dates (at most 3), phones, addresses, tags."""
    contact = make_contact(
        name,
        emails=[f"{name.split()[0].lower()}{i}@example.org" for i in range(count)],
        phones=[f"+44 20 7946 {hash(name) % 100:02d}{i:02d}" for i in range(count)],
        addresses=[f"Town {i}" for i in range(count)],
        organization="Acme",
    )
    for i in range(count):
        contact.urls.create(url=f"https://example.org/{i}", label="home")
        tag, _ = Tag.objects.get_or_create(name=f"Tag {i}", slug=f"tag-{i}")
        contact.tags.add(tag)
    kinds = ["birthday", "anniversary", "other"]
    for i in range(min(count, 3)):
        contact.dates.create(kind=kinds[i], label="Met" if i == 2 else "", month=3, day=i + 1)
    return contact


def test_the_contact_changelist_costs_the_same_queries_at_10_and_100_rows(admin_client):
    for i in range(10):
        rich_contact(f"Few{i} Person", 2)
    url = "/admin/crm/contact/?o=1"
    queries(admin_client, url)  # caches the content type, as any earlier page would
    few = queries(admin_client, url)
    for i in range(90):
        rich_contact(f"Many{i} Person", 3)
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(url)
    assert len(response.context["cl"].result_list) == 100
    assert len(captured) == few
    assert "few00@example.org" in response.content.decode()


def test_a_contact_change_page_costs_the_same_queries_however_much_it_holds(admin_client):
    few, many = rich_contact("Few Things", 1), rich_contact("Many Things", 6)
    queries(admin_client, f"/admin/crm/contact/{few.pk}/change/")
    few_queries = queries(admin_client, f"/admin/crm/contact/{few.pk}/change/")
    page = f"/admin/crm/contact/{many.pk}/change/"
    assert queries(admin_client, page) == few_queries
    html = admin_client.get(page).content.decode()
    assert all(f"many{i}@example.org" in html for i in range(6))
    # Each phone and address shows as the selected choice of its autocomplete.
    for link in many.phone_links.select_related("phone"):
        assert f'<option value="{link.phone_id}" selected>{link.phone.number}</option>' in html
    for link in many.address_links.select_related("address"):
        assert f'<option value="{link.address_id}" selected>{link.address}</option>' in html


def test_admin_edits_every_field_of_a_contact(admin_client, admin_user):
    ada = make_contact("", given_name="Ada", family_name="Lovelace", email="ada@example.org")
    url = f"/admin/crm/contact/{ada.pk}/change/"
    data = admin_form_data(
        admin_client,
        url,
        name="",
        honorific_prefix="Dr.",
        additional_names="King",
        honorific_suffix="PhD",
        nickname="Ada",
        organization="Analytical Engines Ltd",
        job_title="Programmer",
        **{"emails-0-primary": ""},
    )
    work = {"address": "ada@engines.example", "label": "work", "primary": "on"}
    inline_rows(data, "emails", work)
    inline_rows(data, "urls", {"url": "https://ada.example/", "label": "home"})
    inline_rows(
        data,
        "dates",
        {"kind": "birthday", "month": "12", "day": "10", "year": "1815"},
        {"kind": "other", "label": "First program", "month": "7", "day": "1"},
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    ada = Contact.objects.detail(ada.pk, user=admin_user)
    assert ada.name == "Dr. Ada King Lovelace, PhD"
    assert (ada.organization, ada.job_title, ada.nickname) == (
        "Analytical Engines Ltd",
        "Programmer",
        "Ada",
    )
    assert [(e["address"], e["label"], e["primary"]) for e in ada.email_rows] == [
        ("ada@engines.example", "work", True),
        ("ada@example.org", "home", False),
    ]
    assert [(u["url"], u["label"]) for u in ada.url_rows] == [("https://ada.example/", "home")]
    assert [(d.title, d.iso) for d in ada.date_rows] == [
        ("First program", "--07-01"),
        ("Birthday", "1815-12-10"),
    ]


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        ([("ada@example.org", "on"), ("ADA@example.org", "")], "once"),
        ([("ada@example.org", "on"), ("ada@work.example", "on")], "exactly one"),
        ([("ada@example.org", ""), ("ada@work.example", "")], "exactly one"),
    ],
)
def test_admin_refuses_an_email_twice_or_not_one_primary(admin_client, rows, error):
    url = "/admin/crm/contact/add/"
    data = admin_form_data(admin_client, url, name="Ada Lovelace")
    inline_rows(data, "emails", *({"address": a, "label": "home", "primary": p} for a, p in rows))
    errors = refused(admin_client, url, data)
    assert any(error in message for message in errors), errors
    assert not Contact.objects.exists()


def test_admin_refuses_two_birthdays_and_a_day_the_month_does_not_have(admin_client):
    url = "/admin/crm/contact/add/"
    birthday = {"kind": "birthday", "month": "1", "day": "2"}
    for dates in [[birthday, {**birthday, "day": "3"}], [{**birthday, "month": "2", "day": "30"}]]:
        data = admin_form_data(admin_client, url, name="Ada Lovelace")
        errors = refused(admin_client, url, inline_rows(data, "dates", *dates))
        assert any("one birthday" in e or "no such day" in e for e in errors), errors
    assert not Contact.objects.exists()


def test_admin_search_by_email_lists_each_contact_once(admin_client):
    make_contact("Ada Lovelace", emails=["ada@example.org", "ada.l@example.org", "al@example.org"])
    make_contact("Charles Babbage", email="charles@example.org", phones=["+1 (212) 555-0143"])
    response = admin_client.get("/admin/crm/contact/", {"q": "ada"})
    assert [c.name for c in response.context["cl"].result_list] == ["Ada Lovelace"]
    response = admin_client.get("/admin/crm/contact/", {"q": "example.org"})
    assert sorted(c.name for c in response.context["cl"].result_list) == [
        "Ada Lovelace",
        "Charles Babbage",
    ]
    # As on the site, a number in another format finds the contact.
    response = admin_client.get("/admin/crm/contact/", {"q": "212.555.0143"})
    assert [c.name for c in response.context["cl"].result_list] == ["Charles Babbage"]


def test_a_later_page_of_the_contact_changelist_lists_the_right_rows(admin_client):
    for i in range(130):
        make_contact(f"Person {i:03d}", email=f"p{i}@example.org", phones=[f"+1 212 555 {i:04d}"])
    response = admin_client.get("/admin/crm/contact/", {"p": "2"})
    rows = response.context["cl"].result_list
    assert [(c.name, c.primary_email, c.phone_count) for c in rows] == [
        (f"Person {i:03d}", f"p{i}@example.org", 1) for i in range(100, 130)
    ]
    response = admin_client.get("/admin/crm/contact/", {"p": "2", "o": "-1"})
    assert [c.name for c in response.context["cl"].result_list][:2] == ["Person 029", "Person 028"]


def test_the_admin_lists_api_tokens_and_revokes_them_at_once(admin_client, user):
    from crm.models import ApiToken

    token, secret = ApiToken.objects.issue(user=user, name="billing sync", scope="write")
    page = admin_client.get("/admin/crm/apitoken/")
    assert page.status_code == 200
    assert b"billing sync" in page.content and secret.encode() not in page.content
    response = admin_client.post(
        "/admin/crm/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ApiToken.objects.authenticate(secret) is None


def test_the_admin_lists_webhooks_without_their_secret_and_sends_failed_events_again(
    admin_client, user
):
    from crm.models import Webhook, WebhookEvent

    webhook = Webhook.objects.create(
        owner=user, url="https://hooks.example.org/crm", events=["contact.created"]
    )
    page = admin_client.get("/admin/crm/webhook/")
    assert page.status_code == 200
    assert b"hooks.example.org" in page.content and webhook.secret.encode() not in page.content
    change = admin_client.get(f"/admin/crm/webhook/{webhook.pk}/change/")
    assert webhook.secret.encode() not in change.content
    failed, sent = (
        WebhookEvent.objects.create(
            webhook=webhook, type="contact.created", payload={}, status=status, attempts=8
        )
        for status in ("failed", "sent")
    )
    response = admin_client.post(
        "/admin/crm/webhookevent/",
        {"action": "send_again", "_selected_action": [failed.pk, sent.pk]},
    )
    assert response.status_code == 302
    failed.refresh_from_db()
    sent.refresh_from_db()
    assert (failed.status, failed.attempts) == ("pending", 0)
    assert (sent.status, sent.attempts) == ("sent", 8)


@pytest.mark.parametrize("q", ["abc", "42", "0b1c5a9e-2f2d-4a61-9d1a-0f6c3a1f2b77"])
def test_the_webhook_events_search_takes_any_text(admin_client, q):
    assert admin_client.get("/admin/crm/webhookevent/", {"q": q}).status_code == 200
