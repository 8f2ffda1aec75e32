"""
Teams and owners: making and removing teams, their members, who a new
contact belongs to, and reassigning contacts in bulk.

A contact has an owner (a user), a team, and teams it is shared with; when
CRM_VISIBILITY is "team", those decide who sees it (``crm.visibility``).
Changing them is ``crm.assign_contact``'s (Managers): one contact at a time
through the form (``contact_save``), many through ``contacts_assign``.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from ..exceptions import ContactBookError, NoTeam, TeamNotEmpty
from ..models import Contact, Team
from ..queries.ids import ids_subquery
from ..visibility import sees_all
from .bulk import links_insert, locked_pks
from .history import changed, current_source, source
from .locks import concurrent_change_guard
from .webhooks import UPDATED, contacts_changed

NO_TEAM = "You belong to no team: ask a manager to add you to one."


class Keep:
    """The value of ``contacts_assign``'s owner or team that leaves it as it is."""

    def __repr__(self):
        return "KEEP"


KEEP = Keep()


def team_add(*, name: str) -> Team:
    """Make the team ``name``; refuse a name another team has, ignoring case."""
    name = " ".join(name.split())
    if not name:
        raise ContactBookError("A team needs a name.")
    if len(name) > Team._meta.get_field("name").max_length:
        raise ContactBookError(f"“{name[:20]}…” is too long for a team's name.")
    if Team.objects.filter(name__iexact=name).exists():
        raise ContactBookError(f"There is a team called “{name}” already.")
    try:
        with transaction.atomic():
            return Team.objects.create(name=name)
    except IntegrityError:  # made by someone else meanwhile
        raise ContactBookError(f"There is a team called “{name}” already.") from None


@concurrent_change_guard
def team_remove(*, team: Team) -> None:
    """
    Remove ``team``, and its sharing of contacts (recorded in their history);
    refuse while contacts belong to it, those in the trash included, saying
    how many and how to move them.
    """
    # Locked: on PostgreSQL, a contact given this team meanwhile waits for the
    # removal, then fails on the foreign key (ConcurrentChange).
    if not Team.objects.select_for_update().filter(pk=team.pk).exists():
        raise ContactBookError(f"The team “{team}” was removed already.")
    count = Contact._base_manager.filter(team=team).count()
    if count:
        trashed = Contact._base_manager.filter(team=team, trashed__isnull=False).count()
        held = f" ({trashed} of them in the trash)" if trashed else ""
        raise TeamNotEmpty(
            f"The team “{team}” still has {count} contact{'s' if count != 1 else ''}{held}: "
            "move them to another team first (filter the list by this team, select all "
            "matching, then Assign; or restore those in the trash and do the same)."
        )
    shared = Contact._base_manager.filter(shared_with=team)
    pks = locked_pks(shared)
    links = Contact.shared_with.through.objects.filter(team=team, contact_id__in=ids_subquery(pks))
    links.delete()
    changed(contacts=pks, kind="sharing", key=str(team.pk), before={"name": team.name})
    team.delete()


def _user(username: str):
    User = get_user_model()
    try:
        return User._default_manager.get_by_natural_key(username)
    except User.DoesNotExist:
        raise ContactBookError(f"There is no user “{username}”.") from None


def team_members(*, team: Team, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
    """
    Add the users named ``add`` (usernames) to ``team`` and take those named
    ``remove`` out of it; an unknown username changes nothing at all.
    """
    adding, removing = [_user(name) for name in add], [_user(name) for name in remove]
    with transaction.atomic():
        team.members.add(*adding)
        team.members.remove(*removing)


def contact_defaults(*, user) -> tuple:
    """
    Return the owner and team of a contact ``user`` creates: the user, and
    their first team by name (or None). Raise NoTeam when visibility is by
    team and ``user``, in no team, could not see what they create.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return None, None
    team = user.crm_teams.order_by("name").first()
    if team is None and not sees_all(user):
        raise NoTeam(NO_TEAM)
    return user, team


def _named(user_or_team) -> dict | None:
    """Return an owner or team as the history stores it (``crm.queries.history``)."""
    if user_or_team is None:
        return None
    named = getattr(user_or_team, "get_username", lambda: str(user_or_team))
    return {"id": user_or_team.pk, "name": named()}


def _assign(pks: Sequence[int], field: str, value) -> None:
    """Set ``field`` ("owner", "team") of the contacts ``pks`` to ``value``; record each change."""
    name = "owner__username" if field == "owner" else "team__name"
    others = Contact._base_manager.filter(pk__in=ids_subquery(pks)).exclude(**{field: value})
    before = defaultdict(list)
    for pk, old, old_name in others.values_list("pk", f"{field}_id", name):
        before[(old, old_name)].append(pk)
    moving = [pk for pks_ in before.values() for pk in pks_]
    Contact._base_manager.filter(pk__in=ids_subquery(moving)).update(**{field: value})
    for (old, old_name), contacts in before.items():
        old = None if old is None else {"id": old, "name": old_name}
        changed(contacts=contacts, kind=field, key="", before=old, after=_named(value))


def _share(pks: Sequence[int], team: Team) -> None:
    shared = links_insert(Contact.shared_with, target=team.pk, pks=pks)
    changed(contacts=shared, kind="sharing", key=str(team.pk), after={"name": team.name})


def _unshare(pks: Sequence[int], team: Team) -> None:
    links = Contact.shared_with.through.objects.filter(team=team, contact_id__in=ids_subquery(pks))
    had = list(links.values_list("contact_id", flat=True))
    links.delete()
    changed(contacts=had, kind="sharing", key=str(team.pk), before={"name": team.name})


@concurrent_change_guard
def contacts_assign(
    *,
    contacts: QuerySet,
    owner=KEEP,
    team=KEEP,
    share: Team | None = None,
    unshare: Team | None = None,
    author=None,
) -> int:
    """
    Give ``contacts`` the ``owner`` (a user, or None for none) and the
    ``team`` (or None) unless they are ``KEEP``, share them with the team
    ``share`` and stop sharing them with ``unshare``; return how many
    contacts were selected (those deleted meanwhile left out).

    One transaction, the contacts locked first as every bulk action locks
    them; each change is recorded in their history, by ``author``.
    """
    if share is not None and share == unshare:
        raise ContactBookError("Share with a team, or stop sharing with it: not both at once.")
    pks = locked_pks(contacts)
    if not pks:
        return 0
    where = current_source()
    with source(where.name, ref=where.ref, author=author or where.author):
        if owner is not KEEP:
            _assign(pks, "owner", owner)
        if team is not KEEP:
            _assign(pks, "team", team)
        if share is not None:
            _share(pks, share)
        if unshare is not None:
            _unshare(pks, unshare)
    contacts_changed(UPDATED, pks)
    return len(pks)
