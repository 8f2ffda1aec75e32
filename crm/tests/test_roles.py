"""The roles: their groups, the default role of a new user, and ``manage.py crm_role``."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from crm.roles import GRANTS, ROLES

pytestmark = pytest.mark.django_db


def roles(user):
    return sorted(user.groups.filter(name__in=ROLES.values()).values_list("name", flat=True))


def crm_role(*args):
    out = io.StringIO()
    call_command("crm_role", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_the_three_groups_and_taking_it_back_removes_them():
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate([("crm", "0020_timeline")])
        assert not Group.objects.filter(name__in=ROLES.values()).exists()
        # A user from before the roles (the model of then: no post_save receiver).
        before = executor.loader.project_state([("crm", "0020_timeline")]).apps
        before.get_model("auth", "User").objects.create(username="olduser")
        executor.loader.build_graph()
        executor.migrate(leaves)  # 0021_roles, then what later migrations grant
        for role, name in ROLES.items():
            held = Group.objects.get(name=name).permissions.values_list("codename", flat=True)
            assert set(held) == set(GRANTS[role]), role
        assert roles(get_user_model().objects.get(username="olduser")) == ["Editors"]
    finally:
        executor.loader.build_graph()
        executor.migrate(leaves)


def test_the_migration_made_the_three_groups_with_their_permissions():
    for role, name in ROLES.items():
        group = Group.objects.get(name=name)
        held = set(group.permissions.values_list("codename", flat=True))
        assert held == set(GRANTS[role]), role
    assert set(GRANTS["viewers"]) < set(GRANTS["editors"]) < set(GRANTS["managers"])


def test_a_role_whose_group_was_deleted_gets_it_back_with_its_permissions(make_user):
    Group.objects.filter(name="Viewers").delete()
    user = make_user("temp")
    crm_role("temp", "viewers")
    assert roles(user) == ["Viewers"]
    assert get_user_model().objects.get(pk=user.pk).has_perm("crm.export_contact")


def test_a_new_user_joins_the_editors_by_default(make_user):
    user = make_user("newcomer")
    assert roles(user) == ["Editors"]
    assert user.has_perm("crm.change_contact") and not user.has_perm("crm.delete_contact")


@pytest.mark.parametrize(("setting", "expected"), [("viewers", ["Viewers"]), ("", [])])
def test_crm_default_role_chooses_the_role_of_new_users(settings, make_user, setting, expected):
    settings.CRM_DEFAULT_ROLE = setting
    assert roles(make_user("newcomer")) == expected


def test_createsuperuser_and_the_demo_login_join_the_default_role(settings):
    settings.CRM_DEFAULT_ROLE = "managers"
    call_command("createsuperuser", "--noinput", username="root", email="", stdout=io.StringIO())
    call_command("crm_demo_login", username="demo", reset=True, stdout=io.StringIO())
    User = get_user_model()
    assert roles(User.objects.get(username="root")) == ["Managers"]
    assert roles(User.objects.get(username="demo")) == ["Managers"]


def test_an_unknown_default_role_fails_the_system_check(settings):
    settings.CRM_DEFAULT_ROLE = "admins"
    errors = [error.id for error in run_checks() if error.id.startswith("crm.")]
    assert errors == ["crm.E004"]


def test_crm_role_sets_exactly_one_role_and_keeps_other_groups(make_user):
    user = make_user("temp")
    other = Group.objects.create(name="Support")
    user.groups.add(other, Group.objects.get(name="Managers"))
    assert crm_role("temp", "viewers") == "temp is now one of the Viewers.\n"
    assert roles(user) == ["Viewers"]
    assert user.groups.filter(pk=other.pk).exists()
    crm_role("temp", "managers")
    assert roles(user) == ["Managers"]
    user = get_user_model().objects.get(pk=user.pk)  # no cached permissions
    assert user.has_perm("crm.destroy_contact")


def test_crm_role_refuses_an_unknown_user_or_role(make_user):
    make_user("temp")
    with pytest.raises(CommandError, match="No user 'nobody'"):
        crm_role("nobody", "viewers")
    with pytest.raises(CommandError, match="Unknown role 'admins': choose one of viewers, "):
        crm_role("temp", "admins")
    assert roles(get_user_model().objects.get(username="temp")) == ["Editors"]


@pytest.mark.django_db(transaction=True)
def test_the_groups_come_back_after_a_flush():
    # A flush (between transactional tests) empties auth_group; post_migrate refills it.
    call_command("flush", "--noinput", verbosity=0)
    for role, name in ROLES.items():
        held = Group.objects.get(name=name).permissions.values_list("codename", flat=True)
        assert set(held) == set(GRANTS[role])


def test_a_users_permissions_own_and_of_their_groups_load_in_one_query(
    make_user, django_assert_num_queries
):
    from django.contrib.auth.models import Permission

    user = make_user("temp")  # an editor
    user.user_permissions.add(Permission.objects.get(codename="merge_contact"))
    user = get_user_model().objects.get(pk=user.pk)
    with django_assert_num_queries(1):
        assert user.has_perm("crm.merge_contact") and user.has_perm("crm.change_contact")
        assert not user.has_perm("crm.delete_contact")
        assert user.get_all_permissions() >= {"crm.merge_contact", "crm.add_entry"}
    user.is_active = False
    assert not user.has_perm("crm.view_contact")
