"""Teams and owners: the workflows of crm.services.teams, and their history."""

import pytest
from django.test import override_settings

from crm.exceptions import ContactBookError, NoTeam, TeamNotEmpty
from crm.models import Change, Contact, Team
from crm.services.contacts import contact_save
from crm.services.history import source
from crm.services.restore import contact_restore_to, operation_undo
from crm.services.teams import (
    KEEP,
    contact_defaults,
    contacts_assign,
    team_add,
    team_members,
    team_remove,
)
from crm.services.trash import contact_trash
from crm.tests.factories import make_contact, make_contacts

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales():
    return Team.objects.create(name="Sales")


@pytest.fixture
def support():
    return Team.objects.create(name="Support")


def changes(contact, kind):
    rows = Change.objects.filter(contact=contact, kind=kind).order_by("id")
    return [(c.action, c.before, c.after) for c in rows]


def test_team_add_refuses_a_name_taken_ignoring_case(sales):
    assert team_add(name="  Key   accounts ").name == "Key accounts"
    with pytest.raises(ContactBookError, match="already"):
        team_add(name="SALES")
    with pytest.raises(ContactBookError, match="needs a name"):
        team_add(name="   ")


def test_team_members_adds_and_removes_users_and_an_unknown_one_changes_nothing(sales, make_user):
    ada, bob = make_user("ada"), make_user("bob")
    team_members(team=sales, add=["ada", "bob"])
    team_members(team=sales, remove=["bob"])
    assert list(sales.members.all()) == [ada]
    with pytest.raises(ContactBookError, match="no user “nobody”"):
        team_members(team=sales, add=["bob"], remove=["nobody"])
    assert list(sales.members.all()) == [ada]
    assert bob.crm_teams.count() == 0


def test_team_remove_refuses_a_team_with_contacts_saying_how_many_and_how(sales, support):
    make_contact("Ada", team=sales)
    gone = make_contact("Bob", team=sales)
    contact_trash(contact=gone, by=None)
    with pytest.raises(TeamNotEmpty, match=r"still has 2 contacts \(1 of them in the trash\)"):
        team_remove(team=sales)
    assert Team.objects.filter(pk=sales.pk).exists()
    team_remove(team=support)
    assert not Team.objects.filter(pk=support.pk).exists()


def test_team_remove_takes_its_sharing_off_contacts_and_records_it(sales, support):
    ada = make_contact("Ada", team=sales)
    ada.shared_with.add(support)
    team_remove(team=support)
    assert not ada.shared_with.exists()
    assert changes(ada, "sharing") == [("remove", {"name": "Support"}, None)]


def test_a_new_contact_belongs_to_its_creator_in_their_first_team_by_name(
    make_user, sales, support
):
    ada = make_user("ada")
    support.members.add(ada)
    sales.members.add(ada)
    assert contact_defaults(user=ada) == (ada, sales)
    loner = make_user("loner")
    assert contact_defaults(user=loner) == (loner, None)
    assert contact_defaults(user=None) == (None, None)


@override_settings(CRM_VISIBILITY="team")
def test_in_team_visibility_a_user_in_no_team_who_cannot_see_all_may_not_create(make_user, user):
    with pytest.raises(NoTeam, match="You belong to no team: ask a manager"):
        contact_defaults(user=make_user("loner"))
    # A manager sees every contact: theirs without a team too.
    assert contact_defaults(user=user) == (user, None)


def test_contacts_assign_sets_owner_and_team_and_records_who_from_whom(
    make_user, user, sales, support
):
    ada, bob = make_user("ada"), make_user("bob")
    first, second, third = make_contacts(3)
    Contact.objects.filter(pk=first.pk).update(owner=ada, team=sales)
    Contact.objects.filter(pk=second.pk).update(owner=bob)
    with source("bulk"):
        count = contacts_assign(
            contacts=Contact.objects.all(), owner=bob, team=support, author=user
        )
    assert count == 3
    assert set(Contact.objects.values_list("owner", "team")) == {(bob.pk, support.pk)}
    bob_ = {"id": bob.pk, "name": "bob"}
    assert changes(first, "owner") == [
        ("change", {"id": ada.pk, "name": "ada"}, bob_),
    ]
    assert changes(second, "owner") == []  # was bob's already
    assert changes(third, "owner") == [("add", None, bob_)]
    assert changes(first, "team") == [
        ("change", {"id": sales.pk, "name": "Sales"}, {"id": support.pk, "name": "Support"})
    ]
    recorded = Change.objects.filter(kind__in=["owner", "team"])
    assert {c.source for c in recorded} == {"bulk"}
    assert {c.author_id for c in recorded} == {user.pk}
    assert str(recorded.filter(contact=first, kind="owner").get()) == "Changed the owner"
    assert str(recorded.filter(contact=third, kind="owner").get()) == "Added the owner bob"


def test_contacts_assign_shares_and_unshares_and_keeps_what_it_is_not_given(
    make_user, sales, support
):
    ada = make_user("ada")
    first, second = make_contacts(2)
    Contact.objects.update(owner=ada, team=sales)
    second.shared_with.add(support)
    contacts_assign(contacts=Contact.objects.all(), share=support)
    assert set(Contact.shared_with.through.objects.values_list("contact", "team")) == {
        (first.pk, support.pk),
        (second.pk, support.pk),
    }
    assert changes(first, "sharing") == [("add", None, {"name": "Support"})]
    assert changes(second, "sharing") == []
    contacts_assign(contacts=Contact.objects.filter(pk=first.pk), owner=None, unshare=support)
    first.refresh_from_db()
    assert (first.owner, first.team) == (None, sales)
    assert not first.shared_with.exists()
    assert changes(first, "sharing")[-1] == ("remove", {"name": "Support"}, None)
    assert changes(first, "owner") == [("remove", {"id": ada.pk, "name": "ada"}, None)]
    with pytest.raises(ContactBookError, match="not both"):
        contacts_assign(contacts=Contact.objects.all(), share=sales, unshare=sales)
    assert contacts_assign(contacts=Contact.objects.none(), owner=KEEP) == 0


def test_contacts_assign_costs_the_same_queries_for_three_or_thirty_contacts(
    make_user, sales, support, django_assert_max_num_queries
):
    ada = make_user("ada")
    make_contacts(30)
    Contact.objects.filter(pk__in=Contact.objects.values("pk")[:3]).update(team=support)
    # Lock, then per field: read, update, record (one per owner or team it had before).
    with django_assert_max_num_queries(14):
        contacts_assign(contacts=Contact.objects.all(), owner=ada, team=sales, share=support)


def saved(contact, *, shared_with=None, **fields):
    for name, value in fields.items():
        setattr(contact, name, value)
    with source("form"):
        contact_save(contact=contact, phones=[], addresses=[], shared_with=shared_with)
    return Change.objects.filter(contact=contact).first()


def test_the_form_s_save_records_owner_team_and_sharing_and_restore_takes_them_back(
    make_user, sales, support
):
    ada, bob = make_user("ada"), make_user("bob")
    contact = Contact(name="Grace Hopper")
    moment = saved(contact, owner=ada, team=sales)
    assert changes(contact, "owner") == [("add", None, {"id": ada.pk, "name": "ada"})]
    contact = Contact.objects.get(pk=contact.pk)
    saved(contact, owner=bob, team=support, shared_with=[sales])
    assert changes(contact, "sharing") == [("add", None, {"name": "Sales"})]
    contact_restore_to(contact=contact, change=moment)
    contact = Contact.objects.get(pk=contact.pk)
    assert (contact.owner, contact.team, list(contact.shared_with.all())) == (ada, sales, [])
    # Undo the later edit after the restore: nothing left to take back, all kept.
    contact = Contact.objects.get(pk=contact.pk)
    saved(contact, owner=bob)
    operation_undo(operation=Change.objects.filter(contact=contact).first().operation)
    assert Contact.objects.get(pk=contact.pk).owner == ada


def test_restoring_an_owner_deleted_since_keeps_the_current_one(make_user, sales):
    ada, bob = make_user("ada"), make_user("bob")
    contact = Contact(name="Grace Hopper")
    moment = saved(contact, owner=ada)
    saved(Contact.objects.get(pk=contact.pk), owner=bob, name="Grace B. Hopper")
    ada.delete()
    contact_restore_to(contact=contact, change=moment)
    contact = Contact.objects.get(pk=contact.pk)
    assert (contact.name, contact.owner) == ("Grace Hopper", bob)


def test_a_rename_of_the_owner_is_no_change_of_the_contact(make_user):
    ada = make_user("ada")
    contact = Contact(name="Grace Hopper")
    saved(contact, owner=ada)
    ada.username = "ada.king"
    ada.save()
    saved(Contact.objects.get(pk=contact.pk), job_title="Admiral")
    assert [c.kind for c in Change.objects.filter(contact=contact)] == [
        "contact",
        "owner",
        "contact",
    ]
