"""
In "team" mode, a contact of another team is nowhere to be seen: not in the
list, its search, exports, duplicates, tags, trash or pickers, never matched
by an import; where a row names it, it is "a contact you cannot see".
"""

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Address, Contact, Phone, Tag, Team
from crm.services.relationships import relationship_add
from crm.services.timeline import entry_add
from crm.services.trash import contact_trash
from crm.tests.factories import make_contact
from crm.tests.imports.plans import imported, record

pytestmark = pytest.mark.django_db

UNSEEN = "a contact you cannot see"


@pytest.fixture
def book(settings, editor, friend):
    """
    Return Olivia (the editor's team), Oscar (another team) and Sharon
    (another team's, shared with the editor's), who share a phone, an
    address, a tag, an email, a name key and relationships; "team" mode.
    """
    settings.CRM_VISIBILITY = "team"
    sales, support = Team.objects.create(name="Sales"), Team.objects.create(name="Support")
    sales.members.add(editor)
    vip = Tag.objects.create(name="VIP", slug="vip")
    phone = Phone.objects.create(number="555 0100")
    office = Address.objects.create(city="London", street="1 Main Street")
    common = {"phones": [phone], "addresses": [office], "email": "ada@example.org"}
    olivia = make_contact("Olivia Lovelace", team=sales, **common)
    oscar = make_contact("Oscar Lovelace", team=support, **common)
    sharon = make_contact("Sharon Lovelace", team=support, **common)
    sharon.shared_with.add(sales)
    for contact in (olivia, oscar, sharon):
        contact.tags.add(vip)
    relationship_add(contact=olivia, other=oscar, types=[friend])
    relationship_add(contact=olivia, other=sharon, types=[friend])
    return olivia, oscar, sharon


@pytest.fixture
def client_of(client, editor):
    client.force_login(editor)
    return client


def text(response):
    assert response.status_code == 200, response.status_code
    body = response.streaming_content if response.streaming else [response.content]
    return b"".join(body).decode("utf-8-sig")


def test_the_list_search_and_exports_leave_it_out(client_of, book):
    olivia, oscar, sharon = book
    listed = client_of.get(reverse("crm:contact_list"))
    assert set(listed.context["contacts"]) == {olivia, sharon}
    assert listed.context["count"].number == 2
    found = client_of.get(reverse("crm:contact_list"), {"q": "london"})
    assert {c.pk for c in found.context["contacts"]} == {olivia.pk, sharon.pk}
    for url in ("crm:contact_export_csv", "crm:contact_export_vcf"):
        exported = text(client_of.get(reverse(url), {"q": "lovelace"}))
        assert "Olivia" in exported and "Sharon" in exported and "Oscar" not in exported
    assert "Oscar" not in text(client_of.get("/", {"q": "oscar"}))


@pytest.mark.parametrize("sort", ["name", "-created"])
def test_the_list_past_the_count_cap_pages_through_only_what_one_sees(
    client_of, book, monkeypatch, sort
):
    # Past the cap the unfiltered list walks the sort's index and looks each
    # row up among the shares (crm.visibility's row_by_row), not the count's way.
    from crm.queries import pages

    olivia, oscar, sharon = book
    others = {make_contact(f"Other {i}", team=oscar.team) for i in range(3)}
    shared = make_contact("Shared Too", team=oscar.team)
    shared.shared_with.add(olivia.team)
    monkeypatch.setattr(pages, "COUNT_CAP", 1)
    seen, params = [], {"sort": sort, "per_page": 1}
    while params:
        response = client_of.get(reverse("crm:contact_list"), params)
        assert response.context["count"].capped
        seen += response.context["contacts"]
        page = response.context["page"]
        params = {**params, "after": page.next_cursor} if page.has_next else None
    assert sorted(c.pk for c in seen) == sorted(c.pk for c in (olivia, sharon, shared))
    assert not {c.pk for c in seen} & {c.pk for c in (oscar, *others)}


def test_bulk_actions_and_exports_of_ticked_ids_leave_it_out(client_of, book):
    olivia, oscar, sharon = book
    ids = [olivia.pk, oscar.pk, sharon.pk]
    exported = text(
        client_of.post(reverse("crm:contact_bulk"), {"action": "export_csv", "ids": ids})
    )
    assert "Olivia" in exported and "Oscar" not in exported
    client_of.post(reverse("crm:contact_bulk"), {"action": "tag", "ids": ids, "tag_name": "Press"})
    assert set(Tag.objects.get(name="Press").contacts.all()) == {olivia, sharon}
    data = {"action": "tag", "all": "1", "q": "lovelace", "tag_name": "Later"}
    client_of.post(reverse("crm:contact_bulk"), data)
    assert set(Tag.objects.get(name="Later").contacts.all()) == {olivia, sharon}


def test_duplicates_and_the_duplicate_warning_leave_it_out(client_of, book, editor):
    olivia, oscar, sharon = book
    page = text(client_of.get(reverse("crm:duplicate_list")))
    assert "Sharon Lovelace" in page and "Oscar" not in page
    data = {"name": "Oscar Lovelace", "emails-0-address": "ada@example.org"}
    warning = client_of.post(reverse("crm:contact_possible_duplicates"), data)
    assert "Oscar" not in warning.content.decode()


def test_the_relationship_and_timeline_pickers_leave_it_out(client_of, book):
    olivia, oscar, sharon = book
    url = reverse("crm:relationship_candidates", args=[olivia.pk])
    html = text(client_of.get(url, {"q": "lovelace"}))
    assert f'value="{sharon.pk}"' in html and f'value="{oscar.pk}"' not in html
    response = client_of.post(
        reverse("crm:relationship_add", args=[sharon.pk]), {"other": oscar.pk}
    )
    assert response.status_code == 200 and not response.context["form"].is_valid()
    assert not oscar.relationships.filter(to_contact=sharon).exists()
    url = reverse("crm:entry_add", args=[olivia.pk])
    form = text(client_of.post(url, {"q": "lovelace", "find": "1"}))
    assert "Sharon Lovelace" in form and "Oscar" not in form


def test_a_relationship_or_a_sharing_with_it_shows_as_a_contact_you_cannot_see(
    client_of, book, editor
):
    olivia, oscar, sharon = book
    entry_add(contacts=[olivia, oscar], author=editor, kind="call", at=timezone.now())
    page = text(client_of.get(olivia.get_absolute_url()))
    assert "Oscar" not in page and f"/contacts/{oscar.pk}/" not in page
    # Its relationship, the phone and the address it shares, the call it was
    # on, and the relationship's line in the latest changes.
    assert page.count(UNSEEN) == 5
    assert f'href="/contacts/{sharon.pk}/"' in page
    edit = text(client_of.get(reverse("crm:contact_edit", args=[olivia.pk])))
    assert "Oscar" not in edit and UNSEEN in edit


def test_tags_and_the_trash_count_and_list_only_what_one_sees(client_of, book):
    olivia, oscar, sharon = book
    tags = client_of.get(reverse("crm:tag_list")).context["tags"]
    assert [(tag.name, tag.contact_count) for tag in tags] == [("VIP", 2)]
    listed = client_of.get(reverse("crm:tag_detail", args=["vip"]))
    assert set(listed.context["contacts"]) == {olivia, sharon}
    contact_trash(contact=oscar)
    contact_trash(contact=sharon)
    trash = text(client_of.get(reverse("crm:trash_list")))
    assert "Sharon" in trash and "Oscar" not in trash


def test_an_import_never_matches_nor_updates_a_contact_one_cannot_see(editor, book):
    olivia, oscar, sharon = book
    Contact.objects.filter(pk__in=[olivia.pk, sharon.pk]).delete()
    before = list(Contact.all_objects.filter(pk=oscar.pk).values())
    for match in ("email", "phone", "name"):
        # The contact the last import created is the editor's, so seen: it would match.
        Contact.all_objects.exclude(pk=oscar.pk).delete()
        oscar_again = record(
            2,
            "Oscar Lovelace",
            emails=[("ada@example.org", "home")],
            phones=[("555 0100", "mobile")],
            job_title="Changed",
        )
        run, counts = imported(editor, [oscar_again], match=match, on_match="update")
        assert counts["update"] == 0 and counts["create"] == 1, (match, counts)
    assert list(Contact.all_objects.filter(pk=oscar.pk).values()) == before
    assert Contact.objects.exclude(pk=oscar.pk).count() == 1


def test_a_manager_sees_them_all(client, user, book):
    olivia, oscar, sharon = book
    client.force_login(user)
    listed = client.get(reverse("crm:contact_list"))
    assert set(listed.context["contacts"]) == {olivia, oscar, sharon}
    page = text(client.get(olivia.get_absolute_url()))
    assert "Oscar Lovelace" in page and UNSEEN not in page


def test_the_list_in_team_mode_costs_one_query_more_whatever_it_shows(
    client_of, settings, book, editor
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client_of.get(reverse("crm:contact_list")).status_code == 200
        return len(captured)

    team = queries()
    for i in range(30):
        make_contact(f"Member {i}", team=editor.crm_teams.get(), phones=[f"555 1{i:03d}"])
    assert queries() == team
    settings.CRM_VISIBILITY = "all"
    assert queries() == team - 1  # the user's teams, read once a request
