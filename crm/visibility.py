"""
Who sees which contacts, as CRM_VISIBILITY says.

"all" (the default): every user allowed to read the contact book sees every
contact. "team": a user sees a contact when they have ``crm.view_all_contacts``
(Managers, superusers), or the contact's team is one of theirs, or it is
shared with one of their teams; a contact with no team is seen only by those
who see all. A contact one cannot see answers 404, never 403, so that ids
cannot be probed.

Reads use ``Contact.objects.visible_to(user)`` (crm.queries.contacts), or
``visible(user, "to_contact")`` to filter rows that name a contact; a page
naming one contact gets it from ``visible_contact_or_404()``.
"""

from django.db.models import (
    BigIntegerField,
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import Cast
from django.http import Http404

from .conf import settings

VIEW_ALL = "crm.view_all_contacts"


def sees_all(user) -> bool:
    """Return whether ``user`` sees every contact."""
    return settings.VISIBILITY != "team" or user.has_perm(VIEW_ALL)


def team_ids(user) -> list[int]:
    """
    Return the ids of ``user``'s teams, read once per user object: once a
    request, since each request loads its own user.
    """
    try:
        return user._crm_team_ids
    except AttributeError:
        pass
    ids = []
    if user.is_authenticated and user.is_active:
        ids = sorted(user.crm_teams.values_list("pk", flat=True))
    user._crm_team_ids = ids
    return ids


def visible(user, to: str = "", *, row_by_row=False) -> Q | None:
    """
    Return the filter of the contacts ``user`` sees, None when they see all.

    ``to`` names the contact from another model ("to_contact",
    "contacts"): ``visible(user, "to_contact")`` filters relationships.

    The contacts shared with the user's teams are read once a query, all
    of them, and looked up in memory: the cheapest for a search, an
    export, a count. ``row_by_row`` looks each contact up among the shares
    instead, for a walk along the list's index that stops at a page: it
    reads a few hundred rows, where reading every share costs what the
    shares are (10,000 for a team at a million contacts).
    """
    if sees_all(user):
        return None
    prefix = f"{to}__" if to else ""
    ids = team_ids(user)
    if not ids:
        return Q(**{f"{prefix}pk__in": []})
    teams, shared = _teams_and_shared(ids, prefix)
    if row_by_row:
        shares = _shares(ids).filter(contact=OuterRef(f"{prefix}pk"))
        shared = Q(EachRow(shares))
    return teams | shared


def visible_parts(user) -> list[Q] | None:
    """
    Return the contacts ``user`` sees as filters of parts that do not overlap,
    None when they see all: their teams' contacts, then the contacts shared
    with their teams that are not their teams'.

    For a count that stops at a cap (crm.queries.pages): each part has an
    index (the live contacts by team; the shares by team), so a count of the
    parts one after the other reads about as many rows as it counts, where
    ``visible()``'s OR is a filter on every row read, which reads ten rows
    for each one counted when one sees a tenth of the book.
    """
    if sees_all(user):
        return None
    ids = team_ids(user)
    if not ids:
        return [Q(pk__in=[])]
    teams, shared = _teams_and_shared(ids)
    return [teams, shared & ~teams]


def _teams_and_shared(ids, prefix=""):
    # The ids as literals, not a subquery of the memberships: the planner
    # knows how many teams it filters by. Shared contacts as an uncorrelated
    # "pk IN (...)", which PostgreSQL hashes once per query, where an EXISTS
    # would probe the sharing table once per contact read.
    shared = _shares(ids).values("contact_id")
    # Each id cast to the column's type: a team of one is then "team_id =
    # 1::bigint", which the search's GIN index (the words, then the team:
    # migration 0028) reads together with the words; GIN has no operator
    # for bigint = integer, nor for the "= ANY (array)" of several teams,
    # which the team indexes (B-trees) read instead.
    teams = [Cast(Value(pk), BigIntegerField()) for pk in ids]
    return Q(**{f"{prefix}team__id__in": teams}), Q(**{f"{prefix}pk__in": shared})


def _shares(ids):
    from .models import Contact

    return Contact.shared_with.through.objects.filter(team_id__in=ids)


class EachRow(Exists):
    """
    ``EXISTS``, tested for each row on PostgreSQL: it turns a plain one into
    an ``IN`` over the whole subquery, read before the first row. An
    ``OFFSET`` keeps it from doing so (``simplify_EXISTS_query()``).
    """

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "EXISTS(%(subquery)s OFFSET 0)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def seen(user, to: str = ""):
    """
    Return an expression, true where ``user`` sees the contact ``to`` names:
    for rows listed whatever their contact, the contact then shown as "a
    contact you cannot see".
    """
    condition = visible(user, to)
    if condition is None:
        return Value(True)
    if not team_ids(user):
        return Value(False)
    return ExpressionWrapper(condition, output_field=BooleanField())


def visible_contact_or_404(user, pk, queryset=None):
    """
    Return the contact ``pk`` of ``queryset`` (the live contacts by default)
    when ``user`` sees it; raise Http404 when there is none or they may not
    see it, alike.
    """
    from .models import Contact

    queryset = Contact.objects.all() if queryset is None else queryset
    try:
        return queryset.visible_to(user).get(pk=pk)
    except Contact.DoesNotExist:
        raise Http404("No contact matches the given query.") from None
