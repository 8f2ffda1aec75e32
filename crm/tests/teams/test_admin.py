"""Teams and owners in the admin."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Change, Contact, Team
from crm.tests.factories import make_contact, make_contacts
from crm.tests.test_admin import admin_form_data

pytestmark = pytest.mark.django_db


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_teams_are_listed_with_members_and_contacts_in_the_same_queries(admin_client, admin_user):
    sales = Team.objects.create(name="Sales")
    sales.members.add(admin_user)
    make_contact("Ada", team=sales)
    few, _ = queries(admin_client, "/admin/crm/team/")
    for i in range(5):
        team = Team.objects.create(name=f"Team {i}")
        Contact.objects.filter(pk__in=[c.pk for c in make_contacts(3, prefix=f"T{i}")]).update(
            team=team
        )
    many, page = queries(admin_client, "/admin/crm/team/")
    assert many == few
    assert '<td class="field-member_count">1</td><td class="field-contact_count">1</td>' in page
    assert '<td class="field-member_count">0</td><td class="field-contact_count">3</td>' in page


def test_a_team_with_contacts_is_not_deleted_and_the_page_says_how_many(admin_client):
    sales = Team.objects.create(name="Sales")
    make_contacts(3)
    Contact.objects.update(team=sales)
    url = f"/admin/crm/team/{sales.pk}/delete/"
    page = admin_client.get(url).content.decode()
    assert "Sales: 3 contacts; move them to another team first" in page
    admin_client.post(url, {"post": "yes"})
    assert Team.objects.filter(pk=sales.pk).exists()
    Contact.objects.update(team=None)
    admin_client.post(url, {"post": "yes"})
    assert not Team.objects.exists()


def test_the_contact_admin_filters_by_owner_and_team_and_shows_them(admin_client, make_user):
    bob = make_user("bob")
    sales = Team.objects.create(name="Sales")
    make_contact("Ada", owner=bob, team=sales)
    make_contact("Charles")
    page = admin_client.get("/admin/crm/contact/", {"owner__id__exact": bob.pk}).content.decode()
    assert "Ada" in page and "Charles" not in page
    page = admin_client.get("/admin/crm/contact/", {"team__isnull": "True"}).content.decode()
    assert "Charles" in page and ">Ada<" not in page


def test_a_contact_added_in_the_admin_is_its_creator_s_and_owner_changes_are_recorded(
    admin_client, admin_user, make_user
):
    sales = Team.objects.create(name="Sales")
    sales.members.add(admin_user)
    form = admin_client.get("/admin/crm/contact/add/").context["adminform"].form
    assert (form.initial["owner"], form.initial["team"]) == (admin_user.pk, sales.pk)
    bob = make_user("bob")
    contact = make_contact("Ada", owner=admin_user)
    url = f"/admin/crm/contact/{contact.pk}/change/"
    response = admin_client.post(url, admin_form_data(admin_client, url, owner=bob.pk))
    assert response.status_code == 302
    assert Contact.objects.get().owner == bob
    [change] = Change.objects.filter(contact=contact, kind="owner")
    assert (change.source, change.after) == ("admin", {"id": bob.pk, "name": "bob"})
