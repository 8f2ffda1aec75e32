"""The contact form's owner, team and sharing: only for those who may assign contacts."""

import pytest
from django.test import override_settings
from django.urls import reverse

from crm.models import Change, Contact, Team
from crm.tests.factories import make_contact
from crm.tests.views.test_contact_form import form_data

pytestmark = pytest.mark.django_db
NEW = reverse("crm:contact_create")


@pytest.fixture
def teams(db):
    return Team.objects.create(name="Sales"), Team.objects.create(name="Support")


def edit_url(contact):
    return reverse("crm:contact_edit", args=[contact.pk])


def test_an_editor_creates_contacts_of_their_own_in_their_first_team_and_cannot_forge(
    client, editor, make_user, teams
):
    sales, support = teams
    support.members.add(editor)
    sales.members.add(editor)
    other = make_user("other")
    client.force_login(editor)
    page = client.get(NEW).content.decode()
    assert 'name="owner"' not in page and 'name="shared_with"' not in page
    forged = {"owner": other.pk, "team": support.pk, "shared_with": [support.pk]}
    client.post(NEW, form_data("Ada Lovelace", **forged))
    ada = Contact.objects.get(name="Ada Lovelace")
    assert (ada.owner, ada.team, list(ada.shared_with.all())) == (editor, sales, [])
    client.post(edit_url(ada), form_data("Ada King", **forged))
    ada.refresh_from_db()
    assert (ada.name, ada.owner, ada.team, list(ada.shared_with.all())) == (
        "Ada King",
        editor,
        sales,
        [],
    )


def test_a_manager_sees_the_fields_with_the_defaults_and_changes_them(
    logged_in_client, user, make_user, teams
):
    sales, support = teams
    support.members.add(user)
    bob = make_user("bob")
    page = logged_in_client.get(NEW).content.decode()
    assert f'<option value="{user.pk}" selected>' in page
    assert f'<option value="{support.pk}" selected>Support</option>' in page
    data = form_data("Ada Lovelace", owner=bob.pk, team=sales.pk, shared_with=[support.pk])
    response = logged_in_client.post(NEW, data)
    assert response.status_code == 302
    ada = Contact.objects.get(name="Ada Lovelace")
    assert (ada.owner, ada.team, list(ada.shared_with.all())) == (bob, sales, [support])
    logged_in_client.post(edit_url(ada), form_data("Ada Lovelace", owner=user.pk, team=""))
    ada.refresh_from_db()
    assert (ada.owner, ada.team, list(ada.shared_with.all())) == (user, None, [])
    history = {(c.kind, c.action) for c in Change.objects.filter(contact=ada, source="form")}
    assert {("owner", "change"), ("team", "remove"), ("sharing", "remove")} <= history


def test_owner_choices_are_active_users_and_the_current_owner_even_deactivated(
    logged_in_client, make_user
):
    gone, idle = make_user("gone", is_active=False), make_user("idle", is_active=False)
    contact = make_contact("Ada Lovelace", owner=gone)
    page = logged_in_client.get(edit_url(contact)).content.decode()
    assert f'<option value="{gone.pk}" selected>gone, deactivated</option>' in page
    assert "idle" not in page
    response = logged_in_client.post(edit_url(contact), form_data("Ada", owner=idle.pk))
    assert response.status_code == 200  # not a choice
    assert Contact.objects.get(pk=contact.pk).owner == gone
    # Kept as it is: saving the form does not take a deactivated owner away.
    logged_in_client.post(edit_url(contact), form_data("Ada", owner=gone.pk))
    assert Contact.objects.get(pk=contact.pk).owner == gone


@override_settings(CRM_VISIBILITY="team")
def test_in_team_visibility_a_user_in_no_team_is_told_and_creates_nothing(
    client, editor, messages_of
):
    client.force_login(editor)
    response = client.get(NEW, follow=True)
    assert response.redirect_chain == [(reverse("crm:contact_list"), 302)]
    assert messages_of(response) == ["You belong to no team: ask a manager to add you to one."]
    client.post(NEW, form_data("Ada Lovelace"))
    assert not Contact.objects.exists()


@override_settings(CRM_VISIBILITY="team")
def test_in_team_visibility_a_member_creates_in_their_team(client, editor, teams):
    teams[1].members.add(editor)
    client.force_login(editor)
    client.post(NEW, form_data("Ada Lovelace"))
    assert Contact.objects.get().team == teams[1]
