"""
Relationships between contacts, and their types: read, set and remove,
through the same workflows as the contact page's (``crm.services.relationships``).
"""

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from .. import permissions
from ..models import ContactRelationship, RelationshipType
from ..services.relationships import relationship_remove, relationship_set
from ..visibility import seen, visible_contact_or_404
from . import pagination
from .access import require
from .problems import ERRORS, Problem, problem
from .references import ContactId, ContactRef, OtherId

router = Router(tags=["relationships"])

MAX_TYPES = 50


class TypeOut(Schema):
    """A kind of relationship: colleague, spouse, assistant (managed in the admin)."""

    slug: str = Field(description="Names the type in requests.", max_length=100)
    name: str = Field(description="The type's name, for people.", max_length=100)


class TypePage(pagination.Page):
    items: list[TypeOut] = Field(description="Relationship types, by name.")


class RelationshipOut(Schema):
    """A contact's relationship with another contact; the other has the same one back."""

    contact: ContactRef = Field(description="The other contact.")
    types: list[TypeOut] = Field(description="The relationship's types, by name; maybe none.")


class RelationshipPage(pagination.Page):
    items: list[RelationshipOut] = Field(
        description="The contact's relationships, oldest first; those with a contact in the "
        "trash are left out."
    )


class RelationshipIn(Schema):
    """What a relationship is: its types, exactly."""

    types: list[str] = Field(
        default_factory=list,
        max_length=MAX_TYPES,
        description="The slugs of the relationship's types (GET /api/relationship-types); "
        "empty for a relationship without a type.",
    )


def _out(row) -> RelationshipOut:
    return RelationshipOut(
        contact=ContactRef.of(row.to_contact_id, row.to_contact.name, row.to_visible),
        types=[TypeOut(slug=t.slug, name=t.name) for t in row.types.all()],
    )


@router.get(
    "/relationship-types",
    response={200: TypePage, **ERRORS},
    summary="List the relationship types",
)
def relationship_type_list(request, query: Query[pagination.PageQuery]):
    """Every type a relationship can have, by name."""
    require(request, permissions.VIEW)
    keys = ("name", "id")
    types = pagination.past(RelationshipType.objects.all(), keys, query.cursor)
    rows, next_cursor = pagination.page(list(types[: query.limit + 1]), query.limit, keys)
    return {"items": [TypeOut(slug=t.slug, name=t.name) for t in rows], "next": next_cursor}


@router.get(
    "/contacts/{contact_id}/relationships",
    response={200: RelationshipPage, **ERRORS},
    summary="List a contact's relationships",
)
def relationship_list(request, contact_id: ContactId, query: Query[pagination.PageQuery]):
    """
    The contact's relationships with their types, in two queries whatever
    their number. One with a contact you cannot see shows as
    `{"id": null, "name": "a contact you cannot see"}`.
    """
    require(request, permissions.VIEW)
    contact = visible_contact_or_404(request.user, contact_id)
    # A relationship with a contact in the trash is hidden with it, as on its page.
    rows = contact.relationships.filter(to_contact__trashed=None)
    rows = pagination.past(rows, ("id",), query.cursor)
    rows = (
        rows.annotate(to_visible=seen(request.user, "to_contact"))
        .select_related("to_contact")
        .prefetch_related("types")
    )
    rows, next_cursor = pagination.page(list(rows[: query.limit + 1]), query.limit, ("id",))
    return {"items": [_out(row) for row in rows], "next": next_cursor}


def _pair(request, contact_id, other_id):
    """Return both contacts, each one the user sees (404 otherwise)."""
    contact = visible_contact_or_404(request.user, contact_id)
    other = visible_contact_or_404(request.user, other_id)
    return contact, other


def _types(slugs):
    """Return the types of ``slugs``, or raise a 422 naming each unknown one."""
    found = {t.slug: t for t in RelationshipType.objects.filter(slug__in=set(slugs))}
    errors = [
        {"field": f"body.types.{i}", "message": f"No relationship type has the slug {slug!r}."}
        for i, slug in enumerate(slugs)
        if slug not in found
    ]
    return [found[slug] for slug in dict.fromkeys(slugs) if slug in found], errors


@router.put(
    "/contacts/{contact_id}/relationships/{other_id}",
    response={200: RelationshipOut, 201: RelationshipOut, 409: Problem, **ERRORS},
    summary="Relate two contacts with exactly these types",
)
def relationship_put(request, contact_id: ContactId, other_id: OtherId, payload: RelationshipIn):
    """
    Relate the two contacts, both ways, with exactly the types given (201
    when they were not related, 200 when they were). Both contacts must be
    ones you see; a contact cannot be related to itself.
    """
    require(request, permissions.CHANGE)
    contact, other = _pair(request, contact_id, other_id)
    if contact.pk == other.pk:
        errors = [{"field": "path.other_id", "message": "A contact cannot be related to itself."}]
        return problem(422, "A contact cannot be related to itself.", errors=errors)
    types, errors = _types(payload.types)
    if errors:
        return problem(422, "Some values were refused: see errors.", errors=errors)
    _, created = relationship_set(contact=contact, other=other, types=types)
    row = get_object_or_404(
        ContactRelationship.objects.select_related("to_contact")
        .prefetch_related("types")
        .annotate(to_visible=seen(request.user, "to_contact")),
        from_contact=contact,
        to_contact=other,
    )
    return Status(201 if created else 200, _out(row))


@router.delete(
    "/contacts/{contact_id}/relationships/{other_id}",
    response={204: None, 409: Problem, **ERRORS},
    summary="Unrelate two contacts",
)
def relationship_delete(request, contact_id: ContactId, other_id: OtherId):
    """Remove the relationship between the two contacts, from both; 404 when there is none."""
    require(request, permissions.CHANGE)
    contact, other = _pair(request, contact_id, other_id)
    if not relationship_remove(contact=contact, other=other):
        return problem(404, f"{contact.name} and {other.name} are not related.")
    return Status(204, None)
