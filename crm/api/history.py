"""
A contact's history: every change newest first; restoring the contact to
how it was right after one, and undoing the operation a change was part of,
through the history's workflows (``crm.services.restore``).
"""

import datetime
import uuid
from typing import Any, Literal

from ninja import Field, Query, Router, Schema

from .. import permissions
from ..models import Change, Contact
from ..queries.contacts import UNSEEN
from ..queries.history import unseen_unnamed
from ..services.restore import contact_restore_to, operation_undo
from ..views.history import UNDONE_ELSEWHERE
from ..visibility import sees_all, visible_contact_or_404
from . import pagination
from .access import require
from .problems import ERRORS, Problem, problem
from .references import ChangeId, ContactId, ContactRef, UserRef

router = Router(tags=["history"])

Kind = Literal[tuple(Change.KINDS)]


class ChangeOut(Schema):
    """One object of a contact changed: its own fields, an email, a tag, a relationship..."""

    id: int = Field(description="The change's id.")
    at: datetime.datetime = Field(description="When.")
    author: UserRef | None = Field(description="Who; null for a command or a former user.")
    source: Change.Source = Field(description="Through what: the form, an import, a merge...")
    ref: str = Field(
        description="What the source was, when it says: an import's or a bulk job's id, the "
        "change a restore went back to, the source an undo took back.",
        max_length=100,
    )
    operation: uuid.UUID = Field(
        description="Changes made together (one save, one merge) share it: an undo takes "
        "them back together."
    )
    kind: Kind = Field(
        description='What changed: "contact" (its own fields), "email", "url", "date", '
        '"phone", "address", "tag", "relationship", "owner", "team", "sharing", "entry".'
    )
    key: str = Field(
        description="Which one of the kind: an email's address, a tag's or phone's id, the "
        'related contact\'s id ("" for one you cannot see), an entry\'s id; "" for the '
        "contact's own fields.",
        max_length=300,
    )
    action: Change.Action = Field(description="Added, changed or removed.")
    before: dict[str, Any] | None = Field(
        description="The values before (only those that changed); null for an addition."
    )
    after: dict[str, Any] | None = Field(
        description="The values after (only those that changed); null for a removal."
    )
    summary: str = Field(description='The change as the history page says it: "Added the tag VIP".')


class ChangePage(pagination.Page):
    items: list[ChangeOut] = Field(description="Changes, newest first.")


class Seen(Schema):
    """The latest change the client saw, to act only on what it saw (a query parameter)."""

    seen: int | None = Field(
        None,
        ge=1,
        le=2**63 - 1,
        description="The id of the newest change you read in this contact's history: when "
        "there is a newer one, nothing is done (409). Leave it out to act whatever came since.",
    )


class Restored(Schema):
    contact: ContactRef = Field(description="The contact restored.")
    restored_to: datetime.datetime = Field(description="The moment it is as it was right after.")


class Undone(Schema):
    operation: uuid.UUID = Field(description="The operation undone.")
    kept: list[str] = Field(
        description="What changed again since, so was kept: one line each, for people."
    )


def _out(change, hidden) -> ChangeOut:
    key = change.key
    if change.kind == "relationship" and change.key in hidden:
        # Named by the contact's id: "the relationship with a contact you cannot see".
        change.key, key = UNSEEN["name"], ""
    return ChangeOut(
        id=change.pk,
        at=change.at,
        author=UserRef.of(change.author),
        source=change.source,
        ref=change.ref,
        operation=change.operation,
        kind=change.kind,
        key=key,
        action=change.action,
        before=change.before,
        after=change.after,
        summary=f"{change.get_action_display()} {change.subject()}",
    )


def _unseen_keys(changes, user) -> set[str]:
    """Return the keys of the relationships in ``changes`` with a contact ``user`` cannot see."""
    keys = {c.key for c in changes if c.kind == "relationship" and c.key.isdigit()}
    if not keys or sees_all(user):
        return set()
    seen = Contact.all_objects.visible_to(user).filter(pk__in=[int(key) for key in keys])
    return keys - {str(pk) for pk in seen.values_list("pk", flat=True)}


@router.get(
    "/contacts/{contact_id}/history",
    response={200: ChangePage, **ERRORS},
    summary="List a contact's changes",
)
def change_list(request, contact_id: ContactId, query: Query[pagination.PageQuery]):
    """
    The contact's changes, newest first, one range of the history's index a
    page. A relationship with a contact you cannot see is not named.
    """
    require(request, permissions.VIEW)
    contact = visible_contact_or_404(request.user, contact_id)
    keys = ("-at", "-id")
    changes = Change.objects.filter(contact_id=contact.pk).select_related("author")
    changes = pagination.past(changes, keys, query.cursor)
    rows, next_cursor = pagination.page(list(changes[: query.limit + 1]), query.limit, keys)
    hidden = _unseen_keys(rows, request.user)
    rows = unseen_unnamed(rows, request.user)
    return {"items": [_out(change, hidden) for change in rows], "next": next_cursor}


def _change(contact, change_id):
    change = Change.objects.filter(contact=contact, pk=change_id).first()
    if change is None:
        return None, problem(404, "That change is not in this contact's history.")
    return change, None


@router.post(
    "/contacts/{contact_id}/history/{change_id}/restore",
    response={200: Restored, 409: Problem, **ERRORS},
    summary="Restore a contact to how it was right after a change",
)
def change_restore(request, contact_id: ContactId, change_id: ChangeId, seen: Query[Seen]):
    """
    Give the contact back its fields, emails, phones, addresses, URLs,
    dates, tags and relationships as they were right after the change (its
    timeline and the trash are left as they are). The restore is a change
    of its own, which can be undone. 409 when the contact changed since
    `seen`.
    """
    require(request, permissions.RESTORE)
    contact = visible_contact_or_404(request.user, contact_id)
    change, refused = _change(contact, change_id)
    if refused is not None:
        return refused
    restored = contact_restore_to(contact=contact, change=change, seen=seen.seen)
    return {"contact": ContactRef(id=restored.pk, name=restored.name), "restored_to": change.at}


@router.post(
    "/contacts/{contact_id}/history/{change_id}/undo",
    response={200: Undone, 409: Problem, **ERRORS},
    summary="Undo the operation a change was part of",
)
def change_undo(request, contact_id: ContactId, change_id: ChangeId, seen: Query[Seen]):
    """
    Take back every change of the change's operation (an edit, a merge, a
    restore, an undo), on every contact it changed, where the object is
    still what the change made it; what changed since is kept and listed.
    An import is undone as a whole (its own operation), a deletion by
    restoring from the trash, a timeline entry by changing it, a creation
    by moving the contact to the trash: those are 409.
    """
    require(request, permissions.RESTORE)
    contact = visible_contact_or_404(request.user, contact_id)
    change, refused = _change(contact, change_id)
    if refused is not None:
        return refused
    if change.source in UNDONE_ELSEWHERE:
        return problem(
            409,
            f"A change through {change.get_source_display().lower()} is undone "
            "where it was made, not from the history.",
        )
    kept = operation_undo(operation=change.operation, seen=seen.seen, shown=contact)
    return {"operation": change.operation, "kept": kept}
