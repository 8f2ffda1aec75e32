"""Every way contacts are created gives them an owner and a team; a merge keeps the kept one's."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from crm.imports.commit import ImportConflict, import_commit
from crm.models import Contact, Import, Team
from crm.services.duplicates import contact_merge
from crm.tests.factories import make_contact
from crm.tests.imports.plans import ada, previewed
from crm.tests.imports.uploads import PEOPLE

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales():
    return Team.objects.create(name="Sales")


@pytest.fixture
def people(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(PEOPLE)
    return str(path)


def test_an_import_s_contacts_are_its_author_s_in_their_first_team(people, make_user, sales):
    bob = make_user("bob")
    Team.objects.create(name="Support").members.add(bob)
    sales.members.add(bob)
    call_command("crm_import", people, owner="bob", stdout=io.StringIO())
    assert Contact.objects.count() == 2
    assert set(Contact.objects.values_list("owner", "team")) == {(bob.pk, sales.pk)}


@override_settings(CRM_VISIBILITY="team")
def test_in_team_visibility_an_importer_in_no_team_is_refused(people, make_user, client):
    bob = make_user("bob")
    with pytest.raises(CommandError, match="You belong to no team: ask a manager"):
        call_command("crm_import", people, owner="bob", stdout=io.StringIO())
    client.force_login(bob)
    response = client.post("/contacts/import/start/", {"name": "people.csv", "size": 10})
    assert response.status_code == 403
    assert response.json() == {"error": "You belong to no team: ask a manager to add you to one."}
    assert not Import.objects.exists() and not Contact.objects.exists()


def test_a_commit_by_an_author_taken_out_of_every_team_meanwhile_is_refused(
    make_user, sales, settings
):
    bob = make_user("bob")
    sales.members.add(bob)
    run, _ = previewed(bob, [ada(2)])
    sales.members.remove(bob)
    settings.CRM_VISIBILITY = "team"
    with pytest.raises(ImportConflict, match="You belong to no team"):
        import_commit(import_run=run)
    assert not Contact.objects.exists()


def test_crm_demo_gives_its_contacts_the_owner_named_in_their_first_team(make_user, sales):
    bob = make_user("bob")
    sales.members.add(bob)
    call_command("crm_demo", contacts=20, owner="bob", stdout=io.StringIO())
    assert set(Contact.objects.values_list("owner", "team")) == {(bob.pk, sales.pk)}
    with pytest.raises(CommandError, match="There is no user 'nobody'"):
        call_command("crm_demo", contacts=1, owner="nobody", stdout=io.StringIO())


def test_crm_demo_without_an_owner_makes_contacts_of_nobody():
    call_command("crm_demo", contacts=5, stdout=io.StringIO())
    assert set(Contact.objects.values_list("owner", "team")) == {(None, None)}


def test_a_merge_keeps_the_kept_contact_s_owner_team_and_sharing(make_user, sales):
    support = Team.objects.create(name="Support")
    ada_, bob = make_user("ada"), make_user("bob")
    keep = make_contact("Ada Lovelace", owner=ada_, team=sales)
    duplicate = make_contact("Ada King", owner=bob, team=support)
    duplicate.shared_with.add(sales)
    merged = contact_merge(keep=keep, duplicate=duplicate)
    assert (merged.owner, merged.team, list(merged.shared_with.all())) == (ada_, sales, [])
