"""``manage.py crm_team``: teams and their members, for provisioning scripts."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from crm.models import Contact, Team
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db


def crm_team(*args):
    out = io.StringIO()
    call_command("crm_team", *args, stdout=out)
    return out.getvalue()


def test_add_list_and_remove_a_team():
    assert crm_team("add", "Sales") == "Made the team “Sales”.\n"
    crm_team("add", "Support")
    assert crm_team("list") == "Sales\t0 members\t0 contacts\nSupport\t0 members\t0 contacts\n"
    assert crm_team("remove", "sales") == "Removed the team “Sales”.\n"
    assert list(Team.objects.values_list("name", flat=True)) == ["Support"]


def test_list_counts_members_and_live_contacts(make_user):
    sales = Team.objects.create(name="Sales")
    sales.members.add(make_user("ada"), make_user("bob"))
    make_contact("Ada", team=sales)
    make_contact("Bob", team=sales)
    Contact.objects.filter(name="Bob").update(trashed="2026-01-01T00:00:00Z")
    assert crm_team("list", "SALES") == "Sales\t2 members\t1 contact\n"


def test_members_adds_and_removes_users(make_user):
    make_user("ada"), make_user("bob")
    crm_team("add", "Sales")
    assert crm_team("members", "Sales", "--add", "ada", "bob") == (
        "“Sales” has 2 members: ada, bob.\n"
    )
    assert crm_team("members", "Sales", "--remove", "bob") == "“Sales” has 1 member: ada.\n"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["add", "sales"], "There is a team called “sales” already."),
        (["remove", "Nope"], "There is no team “Nope”."),
        (["list", "Nope"], "There is no team “Nope”."),
        (["members", "Nope", "--add", "ada"], "There is no team “Nope”."),
        (["members", "Sales", "--add", "ada", "nobody"], "There is no user “nobody”."),
        (["members", "Sales"], "Say whom to add"),
        (["remove", "Sales"], "still has 1 contact: move them to another team first"),
    ],
)
def test_errors_say_what_is_wrong_and_change_nothing(make_user, args, error):
    make_user("ada")
    sales = Team.objects.create(name="Sales")
    make_contact("Ada", team=sales)
    with pytest.raises(CommandError, match=error):
        crm_team(*args)
    assert list(Team.objects.values_list("name", flat=True)) == ["Sales"]
    assert not sales.members.exists()


def test_an_unknown_action_exits_with_an_error():
    with pytest.raises(CommandError):
        crm_team("rename", "Sales")
