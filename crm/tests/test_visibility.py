"""Who sees which contact (crm.visibility): the rule, as the queries apply it."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from crm.models import Contact, ContactRelationship, Team
from crm.queries import pages
from crm.services.relationships import relationship_add
from crm.services.trash import contact_trash
from crm.tests.factories import make_contact
from crm.visibility import sees_all, visible, visible_contact_or_404, visible_parts

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(editor):
    """Return sales (the editor's team), support, and a contact of each, one shared, one of none."""
    sales = Team.objects.create(name="Sales")
    support = Team.objects.create(name="Support")
    sales.members.add(editor)
    contacts = {
        "own": make_contact("Own Contact", team=sales),
        "other": make_contact("Other Team", team=support),
        "shared": make_contact("Shared Contact", team=support),
        "none": make_contact("No Team"),
    }
    contacts["shared"].shared_with.add(sales)
    return contacts


def names(queryset):
    return sorted(contact.name for contact in queryset)


def test_everyone_sees_all_by_default(editor, viewer, teams):
    assert sees_all(editor) and sees_all(viewer)
    assert Contact.objects.visible_to(viewer).count() == 4


def test_in_team_mode_a_member_sees_their_team_and_what_is_shared_with_it(
    settings, editor, teams, django_assert_num_queries
):
    settings.CRM_VISIBILITY = "team"
    assert not sees_all(editor)
    with django_assert_num_queries(2):  # the user's teams, once; then the contacts
        assert names(Contact.objects.visible_to(editor)) == ["Own Contact", "Shared Contact"]
    with django_assert_num_queries(1):
        assert names(Contact.objects.visible_to(editor)) == ["Own Contact", "Shared Contact"]


def test_managers_and_superusers_see_all_in_team_mode(settings, user, staff_user, teams):
    settings.CRM_VISIBILITY = "team"
    assert sees_all(user) and sees_all(staff_user)
    assert Contact.objects.visible_to(user).count() == 4


def test_one_in_no_team_sees_nothing(settings, viewer, teams, django_assert_num_queries):
    settings.CRM_VISIBILITY = "team"
    assert list(Contact.objects.visible_to(viewer)) == []
    assert list(Contact.objects.visible_to(AnonymousUser())) == []


def test_a_contact_shared_with_two_of_ones_teams_is_listed_once(settings, editor, teams):
    settings.CRM_VISIBILITY = "team"
    other = Team.objects.create(name="Other")
    other.members.add(editor)
    teams["shared"].shared_with.add(other)
    assert names(Contact.objects.visible_to(editor)) == ["Own Contact", "Shared Contact"]


def test_an_invisible_contact_is_not_found_like_a_missing_one(settings, editor, teams):
    settings.CRM_VISIBILITY = "team"
    assert visible_contact_or_404(editor, teams["own"].pk) == teams["own"]
    for pk in (teams["other"].pk, teams["none"].pk, 0):
        with pytest.raises(Http404):
            visible_contact_or_404(editor, pk)


def test_the_queryset_given_is_kept(settings, editor, teams):
    settings.CRM_VISIBILITY = "team"
    contact_trash(contact=teams["own"])
    with pytest.raises(Http404):
        visible_contact_or_404(editor, teams["own"].pk)
    trash = Contact.all_objects.in_trash()
    assert visible_contact_or_404(editor, teams["own"].pk, queryset=trash) == teams["own"]


def test_rows_naming_a_contact_are_filtered_through_it(settings, editor, teams):
    settings.CRM_VISIBILITY = "team"
    for key in ("other", "shared"):
        relationship_add(contact=teams["own"], other=teams[key])
    seen = ContactRelationship.objects.filter(
        visible(editor, "to_contact"), from_contact=teams["own"]
    )
    assert [row.to_contact.name for row in seen] == ["Shared Contact"]


def test_the_parts_of_what_one_sees_split_it_without_overlap(settings, editor, viewer, teams):
    assert visible_parts(editor) is None
    settings.CRM_VISIBILITY = "team"
    # Shared with the team it belongs to, and with a second team of the editor's.
    teams["own"].shared_with.add(editor.crm_teams.get())
    other = Team.objects.create(name="Other")
    other.members.add(editor)
    teams["shared"].shared_with.add(other)
    parts = [names(Contact.objects.filter(part)) for part in visible_parts(editor)]
    assert parts == [["Own Contact"], ["Shared Contact"]]
    assert [list(Contact.objects.filter(part)) for part in visible_parts(viewer)] == [[]]


@pytest.mark.parametrize("cap", [1, 2, 3])
def test_the_count_by_parts_is_the_count_of_what_one_sees(
    settings, editor, teams, cap, django_assert_num_queries
):
    settings.CRM_VISIBILITY = "team"
    teams["own"].shared_with.add(editor.crm_teams.get())
    make_contact("Own Too", team=editor.crm_teams.get())
    contacts = Contact.objects.visible_to(editor)
    parts = visible_parts(editor)
    with django_assert_num_queries(1):
        count = pages.contact_count(contacts, cap=cap, parts=parts)
    assert count == pages.contact_count(contacts, cap=cap)
    assert count == (pages.Count(3) if cap == 3 else pages.Count(cap, exact=False))
    searched = contacts.search("shared")
    assert pages.contact_count(searched, cap=cap, parts=parts) == pages.Count(1)
