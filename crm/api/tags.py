"""
Tags: every tag with its number of contacts, one tag's contacts, and
putting a tag on one contact or taking it off, through the same workflows
as the list's bulk actions (``crm.services.bulk``), which lock the contact,
record its history and create a tag on first use.
"""

from django.db.models import Value
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404
from django.utils.text import slugify
from ninja import Field, Query, Router, Schema, Status

from .. import permissions
from ..models import Contact, Tag
from ..services.bulk import contacts_tag, contacts_untag
from ..visibility import visible_contact_or_404
from . import pagination
from .access import require
from .problems import ERRORS, Problem, problem
from .references import ContactId, ContactRef, Slug, Text

router = Router(tags=["tags"])

# A new tag's slug is its name's, cut to this length (crm.services.contacts).
NEW_SLUG_LENGTH = 90


class TagOut(Schema):
    """A word filed on contacts ("VIP", "Supplier"); "VIP" and "vip" are one tag."""

    slug: str = Field(description="Names the tag in URLs.", max_length=100)
    name: str = Field(description="The tag's name.", max_length=100)


class TagCounted(TagOut):
    contact_count: int = Field(
        description="How many contacts you can see have it (not those in the trash).", ge=0
    )


class TagPage(pagination.Page):
    items: list[TagCounted] = Field(description="Tags, by name.")


class TagContactPage(pagination.Page):
    tag: TagCounted = Field(description="The tag.")
    items: list[ContactRef] = Field(description="Contacts you can see that have it, by name.")


class TagIn(Schema):
    """The name a tag gets when it is created by this request."""

    name: Text | None = Field(
        None,
        max_length=100,
        description="The name of the tag when no tag has the slug yet (it must make that "
        "slug, e.g. `VIP Customer` for `vip-customer`); by default the slug itself. "
        "A tag of that name, ignoring case, is taken as it is.",
    )


@router.get("/tags", response={200: TagPage, **ERRORS}, summary="List the tags")
def tag_list(request, query: Query[pagination.PageQuery]):
    """Every tag, by name, with how many contacts you can see have it: one query a page."""
    require(request, permissions.VIEW)
    keys = ("name", "id")
    tags = pagination.past(Tag.objects.all(), keys, query.cursor)
    tags = tags.with_contact_count(user=request.user)
    rows, next_cursor = pagination.page(list(tags[: query.limit + 1]), query.limit, keys)
    return {"items": [_counted(tag) for tag in rows], "next": next_cursor}


def _counted(tag) -> TagCounted:
    return TagCounted(slug=tag.slug, name=tag.name, contact_count=tag.contact_count)


@router.get("/tags/{slug}", response={200: TagContactPage, **ERRORS}, summary="Read a tag")
def tag_detail(request, slug: Slug, query: Query[pagination.PageQuery]):
    """The tag, and a page of the contacts you can see that have it, by name."""
    require(request, permissions.VIEW)
    tag = get_object_or_404(Tag.objects.with_contact_count(user=request.user), slug=slug)
    keys = ("sort_name", "id")
    contacts = Contact.objects.visible_to(request.user).filter(tags=tag).only("name", "sort_name")
    contacts = pagination.past(contacts, keys, query.cursor)
    rows, next_cursor = pagination.page(list(contacts[: query.limit + 1]), query.limit, keys)
    items = [ContactRef(id=contact.pk, name=contact.name) for contact in rows]
    return {"tag": _counted(tag), "items": items, "next": next_cursor}


def _name_for(slug, data):
    """Return the name of the tag of ``slug`` to put on: its own, or a new one's; or a problem."""
    tag = Tag.objects.filter(slug=slug).first()
    if tag is not None:
        return tag.name, None
    name = " ".join(((data and data.name) or slug).split())
    if not name:
        return None, problem(
            422,
            "A tag needs a name.",
            errors=[{"field": "body.name", "message": "Give the tag a name."}],
        )
    made = slugify(name)[:NEW_SLUG_LENGTH]
    if made != slug:
        message = f"The name {name!r} makes the slug {made!r}, not {slug!r}: put it there."
        return None, problem(422, message, errors=[{"field": "body.name", "message": message}])
    return name, None


@router.put(
    "/contacts/{contact_id}/tags/{slug}",
    response={200: TagOut, 409: Problem, **ERRORS},
    summary="Tag a contact",
)
def contact_tag(request, contact_id: ContactId, slug: Slug, payload: TagIn | None = None):
    """
    Put the tag of this slug on the contact (nothing changes when it has it
    already). A tag that does not exist yet is created, named `name` (by
    default the slug).
    """
    require(request, permissions.CHANGE)
    contact = visible_contact_or_404(request.user, contact_id)
    name, refused = _name_for(slug, payload)
    if refused is not None:
        return refused
    if not contacts_tag(contacts=Contact.objects.filter(pk=contact.pk), tag=name):
        return problem(404, f"{contact.name} was deleted meanwhile.")
    tag = Tag.objects.alias(key=Lower("name")).get(key=Lower(Value(name)))
    return TagOut(slug=tag.slug, name=tag.name)


@router.delete(
    "/contacts/{contact_id}/tags/{slug}",
    response={204: None, 409: Problem, **ERRORS},
    summary="Untag a contact",
)
def contact_untag(request, contact_id: ContactId, slug: Slug):
    """Take the tag off the contact; 404 when the contact does not have it."""
    require(request, permissions.CHANGE)
    contact = visible_contact_or_404(request.user, contact_id)
    tag = Tag.objects.filter(slug=slug).first()
    if tag is None or not contacts_untag(
        contacts=Contact.objects.filter(pk=contact.pk), tag=tag.name
    ):
        return problem(404, f"{contact.name} does not have the tag {slug!r}.")
    return Status(204, None)
