"""
The contact as the API shows it (``ContactOut``), read in one query for any
number of contacts, and its entity tag.
"""

import datetime
import hashlib
from typing import Annotated, Literal

from django.urls import reverse
from ninja import Path, Schema
from pydantic import Field

from ..models import NAME_FIELDS, Address, Contact, ContactDate, Email, Phone, Url
from ..queries.contacts import decorate

# The largest id a contact may have (a bigint): larger ones are refused by
# the schema, never sent to the database (SQLite cannot even bind them).
MAX_ID = 2**63 - 1


# A contact's id in a path.
ContactId = Annotated[int, Path(ge=1, le=MAX_ID, description="The contact's id.")]


def choices(model_choices) -> type:
    """Return the ``Literal`` type of a model's ``TextChoices`` values, for the schema's enum."""
    return Literal[tuple(model_choices.values)]


EmailLabel = choices(Email.Label)
PhoneLabel = choices(Phone.Label)
AddressLabel = choices(Address.Label)
UrlLabel = choices(Url.Label)
DateKind = choices(ContactDate.Kind)


class EmailOut(Schema):
    address: str = Field(description="The email address.")
    label: EmailLabel = Field(description="What the address is to the contact.")
    primary: bool = Field(description="Whether it is the primary email (exactly one is).")


class PhoneOut(Schema):
    number: str = Field(description="The number as first typed.")
    e164: str = Field(
        description="The number in E.164 form (+33612345678); empty when it is not "
        "normalised (an extension, a short code)."
    )
    label: PhoneLabel = Field(description="What the number is to this contact.")


class AddressOut(Schema):
    id: int = Field(
        description="The address's id: send it back to change this address in place "
        "(for every contact sharing it)."
    )
    label: AddressLabel = Field(description="What the address is to this contact.")
    street: str = Field(description="Street and number.")
    city: str = Field(description="City.")
    region: str = Field(description="Region, state or county.")
    postal_code: str = Field(description="Postal code.")
    country: str = Field(description="Country.")


class UrlOut(Schema):
    url: str = Field(description="A web address (http or https).")
    label: UrlLabel = Field(description="What the address is.")


class DateOut(Schema):
    kind: DateKind = Field(description="Birthday, anniversary, or another date.")
    label: str = Field(description="What another date is; empty for a birthday or anniversary.")
    year: int | None = Field(description="The year, or null when not known.")
    month: int = Field(description="The month, 1 to 12.")
    day: int = Field(description="The day of the month.")
    iso: str = Field(description='The date as vCard writes it: "1815-12-10", or "--12-10".')


class TagOut(Schema):
    slug: str = Field(description="The tag's slug, as the list's tag filter takes it.")
    name: str = Field(description="The tag's name.")


class UserRef(Schema):
    id: int = Field(description="The user's id.")
    username: str = Field(description="The user's username.")


class TeamRef(Schema):
    id: int = Field(description="The team's id.")
    name: str = Field(description="The team's name.")


class ContactOut(Schema):
    """A contact with everything it holds, as vCard 4.0 (RFC 6350) would."""

    id: int = Field(description="The contact's id.")
    url: str = Field(description="This contact's URL in the API.")
    name: str = Field(description="The display name (vCard FN).")
    sort_name: str = Field(description="The key the list sorts by: family name first.")
    honorific_prefix: str = Field(description='Prefix ("Dr.").')
    given_name: str = Field(description="Given name.")
    additional_names: str = Field(description="Middle names.")
    family_name: str = Field(description="Family name.")
    honorific_suffix: str = Field(description='Suffix ("PhD").')
    nickname: str = Field(description="Nickname.")
    organization: str = Field(description="Organisation.")
    job_title: str = Field(description="Job title.")
    notes: str = Field(description="Notes.")
    emails: list[EmailOut] = Field(description="Emails, the primary first.")
    phones: list[PhoneOut] = Field(description="Phones, in the order they were added.")
    addresses: list[AddressOut] = Field(description="Postal addresses.")
    urls: list[UrlOut] = Field(description="Web addresses.")
    dates: list[DateOut] = Field(description="Birthday, anniversary and other dates.")
    tags: list[TagOut] = Field(description="Tags, by name.")
    owner: UserRef | None = Field(description="Who answers for the contact, if anyone.")
    team: TeamRef | None = Field(description="The team it belongs to, if any.")
    shared_with: list[TeamRef] = Field(description="Other teams that see it.")
    created: datetime.datetime = Field(description="When it was created.")
    updated: datetime.datetime = Field(description="When it was last saved.")
    last_interaction: datetime.datetime | None = Field(
        description="The latest call, meeting, email or message of its timeline, if any."
    )


class TrashedContactOut(ContactOut):
    """A contact in the trash, with when and by whom it went there."""

    trashed: datetime.datetime = Field(description="When it was moved to the trash.")
    trashed_by: UserRef | None = Field(description="Who moved it there, if known.")


# The fields of ContactOut read as they are from the contact.
SCALARS = (
    "id",
    "sort_name",
    *NAME_FIELDS,
    "organization",
    "job_title",
    "notes",
    "created",
    "updated",
    "last_interaction",
)


def with_records(contacts):
    """Return ``contacts`` (a queryset) with all ``record()`` reads: one query for any number."""
    return (
        contacts.with_emails()
        .with_phones()
        .with_addresses()
        .with_urls()
        .with_dates()
        .with_tag_rows()
        .with_sharing()
        .select_related("owner", "team", "trashed_by")
    )


def _user(user):
    return None if user is None else {"id": user.pk, "username": user.get_username()}


def _rows(items, key="row"):
    return sorted(items or (), key=lambda item: item[key])


def record(contact) -> dict:
    """Return the ``ContactOut`` values of a contact read through ``with_records()``."""
    decorate(contact)
    values = {field: getattr(contact, field) for field in SCALARS}
    return {
        **values,
        "url": reverse("api:contact_read", args=[contact.pk]),
        # SQLite's JSON says 1 and 0 for true and false.
        "emails": [{**row, "primary": bool(row["primary"])} for row in contact.email_rows],
        "phones": [{**row, "e164": row["e164"] or ""} for row in contact.phone_rows],
        "addresses": contact.address_rows,
        "urls": contact.url_rows,
        "dates": [
            {f: getattr(d, f) for f in ("kind", "label", "year", "month", "day", "iso")}
            for d in contact.date_rows
        ],
        "tags": sorted(
            contact.tag_list or (), key=lambda tag: (tag["name"].casefold(), tag["slug"])
        ),
        "owner": _user(contact.owner),
        "team": None
        if contact.team is None
        else {"id": contact.team.pk, "name": contact.team.name},
        "shared_with": sorted(contact.sharing_list or (), key=lambda team: team["name"]),
        "trashed": contact.trashed,
        "trashed_by": _user(contact.trashed_by),
    }


def records(contacts, pks) -> list[dict]:
    """Return the records of the contacts ``pks`` among ``contacts``, in the order of ``pks``."""
    found = {contact.pk: record(contact) for contact in with_records(contacts.filter(pk__in=pks))}
    return [found[pk] for pk in pks if pk in found]


def read(contacts, pk) -> dict:
    """Return the record of contact ``pk`` among ``contacts``; raise DoesNotExist when missing."""
    found = records(contacts, [pk])
    if not found:
        raise Contact.DoesNotExist
    return found[0]


def etag(values: dict, schema=ContactOut) -> str:
    """
    Return the strong entity tag of a record: a digest of its representation,
    so it changes whenever anything the record shows does (a phone, a tag, a
    shared address edited through another contact, a timeline's last interaction).
    """
    text = schema.model_validate(values).model_dump_json()
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
