"""
What a client sends to create or change a contact (``ContactIn``, and
``ContactPatch`` for a partial change), checked by the web's own contact
form: the API's body becomes the form's data, so the phone rules
(``CRM_PHONE_REGION``), emails, dates, tags and the name are refused by the
same rules with the same messages, each error named by its body field.
"""

from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from ninja import Schema
from ninja.errors import ValidationError
from pydantic import Field, field_validator

from ..forms.contacts import ASSIGNMENT_FIELDS, ContactEditor
from ..forms.rows import MAX_ROWS
from ..models import ADDRESS_FIELDS, Address, Contact, Tag, display_name
from ..permissions import ASSIGN, REASONS
from .schemas import AddressLabel, DateKind, EmailLabel, PhoneLabel, UrlLabel


def _max(model, field):
    return model._meta.get_field(field).max_length


class EmailIn(Schema):
    address: str = Field(min_length=1, max_length=254, description="The email address.")
    label: EmailLabel = Field("home", description="What the address is to the contact.")
    primary: bool = Field(False, description="The primary email; without one marked, the first is.")


class PhoneIn(Schema):
    number: str = Field(
        min_length=1,
        max_length=40,
        description="The number as typed; a number another contact has links the same "
        "phone (read by CRM_PHONE_REGION when it has no +country code).",
    )
    label: PhoneLabel = Field("mobile", description="What the number is to this contact.")


class AddressIn(Schema):
    id: int | None = Field(
        None,
        ge=1,
        le=2**63 - 1,
        description="The id of one of the contact's addresses to change it in place "
        "(for every contact sharing it); none for a new address.",
    )
    label: AddressLabel = Field("home", description="What the address is to this contact.")
    street: str = Field("", max_length=_max(Address, "street"), description="Street and number.")
    city: str = Field("", max_length=_max(Address, "city"), description="City.")
    region: str = Field("", max_length=_max(Address, "region"), description="Region or state.")
    postal_code: str = Field(
        "", max_length=_max(Address, "postal_code"), description="Postal code."
    )
    country: str = Field("", max_length=_max(Address, "country"), description="Country.")


class UrlIn(Schema):
    url: str = Field(min_length=1, max_length=500, description="A web address; http or https only.")
    label: UrlLabel = Field("home", description="What the address is.")


class DateIn(Schema):
    kind: DateKind = Field("birthday", description="One birthday, one anniversary, others.")
    label: str = Field("", max_length=50, description="What another date is.")
    year: int | None = Field(None, ge=1, le=9999, description="The year, or null if unknown.")
    month: int = Field(ge=1, le=12, description="The month, 1 to 12.")
    day: int = Field(ge=1, le=31, description="The day; it must exist in that month.")


def _text(field, description):
    return Field("", max_length=_max(Contact, field), description=description)


class ContactIn(Schema):
    """
    A whole contact (create, or replace with PUT: what is left out is
    emptied, except the owner and teams, which stay as they are).
    """

    name: str = _text(
        "name",
        "The display name; empty, made from the name parts, else the nickname "
        "or the organisation (and it keeps following them).",
    )
    honorific_prefix: str = _text("honorific_prefix", 'Prefix ("Dr.").')
    given_name: str = _text("given_name", "Given name.")
    additional_names: str = _text("additional_names", "Middle names.")
    family_name: str = _text("family_name", "Family name.")
    honorific_suffix: str = _text("honorific_suffix", 'Suffix ("PhD").')
    nickname: str = _text("nickname", "Nickname.")
    organization: str = _text("organization", "Organisation.")
    job_title: str = _text("job_title", "Job title.")
    notes: str = Field("", max_length=100_000, description="Notes.")
    emails: list[EmailIn] = Field(
        default_factory=list, max_length=MAX_ROWS, description="Emails, each address once."
    )
    phones: list[PhoneIn] = Field(
        default_factory=list, max_length=MAX_ROWS, description="Phones, each number once."
    )
    addresses: list[AddressIn] = Field(
        default_factory=list, max_length=MAX_ROWS, description="Postal addresses."
    )
    urls: list[UrlIn] = Field(
        default_factory=list, max_length=MAX_ROWS, description="Web addresses, each once."
    )
    dates: list[DateIn] = Field(
        default_factory=list,
        max_length=MAX_ROWS,
        description="Dates: at most one birthday and one anniversary.",
    )
    tags: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="Tag names, found ignoring case, created on first use.",
    )
    owner: int | None = Field(
        None,
        ge=1,
        le=2**63 - 1,
        description="The owner's user id (null: nobody). Changing it needs the role's "
        "crm.assign_contact; left out, a new contact is its creator's.",
    )
    team: int | None = Field(
        None,
        ge=1,
        le=2**63 - 1,
        description="The team's id (null: none). Changing it needs crm.assign_contact; "
        "left out, a new contact is in its creator's first team.",
    )
    shared_with: list[int] | None = Field(
        None,
        max_length=100,
        description="The ids of other teams that see it. Changing them needs crm.assign_contact.",
    )

    @field_validator("tags")
    @classmethod
    def _tag_names(cls, tags):
        for name in tags:
            if "," in name:
                raise ValueError("A tag's name cannot hold a comma.")
            if len(name) > _max(Tag, "name"):
                raise ValueError(f"“{name[:20]}…” is too long for a tag.")
        return tags

    @field_validator("shared_with")
    @classmethod
    def _team_ids(cls, ids):
        if ids is not None and any(not 1 <= pk < 2**63 for pk in ids):
            raise ValueError("A team's id is a positive integer.")
        return ids


class ContactPatch(ContactIn):
    """
    Some fields of a contact: only those given change. A list given
    (emails, phones, tags...) replaces the contact's whole list.
    """


def _form_data(values: dict) -> QueryDict:
    """Return the contact form's POST data for ``values``, a ``ContactIn`` dumped."""
    data = QueryDict(mutable=True)
    for name in (*Contact.SEARCHED_FIELDS, "notes"):
        data[name] = values.get(name) or ""
    data["tags"] = ", ".join(values.get("tags") or ())
    for prefix in ContactEditor.ROWS:
        rows = values.get(prefix) or []
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        for i, row in enumerate(rows):
            for field, value in row.items():
                if value is True:
                    data[f"{prefix}-{i}-{field}"] = "on"
                elif value is not None and value is not False:
                    data[f"{prefix}-{i}-{field}"] = str(value)
    for name in ("owner", "team"):
        data[name] = "" if values.get(name) is None else str(values[name])
    data.setlist("shared_with", [str(pk) for pk in values.get("shared_with") or ()])
    return data


def assignment(contact: Contact) -> dict:
    """Return the owner, team and sharing of ``contact`` as ``ContactIn`` has them."""
    shared = [] if contact.pk is None else list(contact.shared_with.values_list("pk", flat=True))
    return {"owner": contact.owner_id, "team": contact.team_id, "shared_with": sorted(shared)}


def _check_assignment(values: dict, given: set, current: dict, user) -> None:
    """
    Refuse (403) a change of the owner, team or sharing by a user whose role
    may not make it; a value given as it is already is no change.
    """
    if user.has_perm(ASSIGN):
        return
    for name in ASSIGNMENT_FIELDS:
        if name in given and _same(values[name]) != _same(current[name]):
            raise PermissionDenied(f"Your role does not allow you to {REASONS[ASSIGN]}.")


def _same(value):
    return sorted(value) if isinstance(value, list) else value


def editor(values: dict, given: set, *, contact: Contact | None, user) -> ContactEditor:
    """
    Return the web form's ``ContactEditor`` for ``values`` (a ``ContactIn``
    dumped), validated; ``given`` are the fields the client sent. Raise a
    ValidationError naming each field refused as ``body.<field>``.
    """
    # Its creator's, in their first team, when new (NoTeam when they may not create).
    instance = contact or ContactEditor(user=user).contact
    current = assignment(instance)
    _check_assignment(values, given, current, user)
    values = {**values, **{name: current[name] for name in ASSIGNMENT_FIELDS if name not in given}}
    edited = ContactEditor(contact=instance, data=_form_data(values), user=user)
    if not edited.is_valid():
        raise ValidationError(list(_errors(edited)))
    return edited


def _errors(edited: ContactEditor):
    """Yield the errors of an editor as the API names them: body.phones.1.number."""
    for field, messages in edited.form.errors.items():
        for message in messages:
            yield _error(("body",) if field == "__all__" else ("body", field), message)
    for rows in edited.rows:
        for message in rows.non_form_errors():
            yield _error(("body", rows.prefix), message)
        for i, form in enumerate(rows.forms):
            for field, messages in form.errors.items():
                where = ("body", rows.prefix, i) + (() if field == "__all__" else (field,))
                for message in messages:
                    yield _error(where, message)


def _error(loc, message):
    return {"loc": loc, "msg": message, "type": "value_error"}


def patched(current: dict, patch: ContactPatch) -> tuple[dict, set]:
    """
    Return the ``ContactIn`` values of the record ``current`` with the fields
    ``patch`` gives, and the names of the fields given.
    """
    values = {
        **{name: current[name] for name in (*Contact.SEARCHED_FIELDS, "notes")},
        "emails": [{f: e[f] for f in ("address", "label", "primary")} for e in current["emails"]],
        "phones": [{f: p[f] for f in ("number", "label")} for p in current["phones"]],
        "addresses": [
            {f: a[f] for f in ("id", "label", *ADDRESS_FIELDS)} for a in current["addresses"]
        ],
        "urls": [{f: u[f] for f in ("url", "label")} for u in current["urls"]],
        "dates": [
            {f: d[f] for f in ("kind", "label", "year", "month", "day")} for d in current["dates"]
        ],
        "tags": [tag["name"] for tag in current["tags"]],
    }
    # A display name made from the parts is sent empty, as the form shows
    # it, so that it keeps following them.
    if values["name"] == display_name(values):
        values["name"] = ""
    given = patch.model_fields_set
    values.update(patch.model_dump(include=given))
    return values, set(given)
