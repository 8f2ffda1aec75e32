"""The body of a merge: which contact, and whose value to keep where both differ."""

from typing import Literal

from django.http import Http404
from ninja import Schema
from ninja.errors import ValidationError
from pydantic import Field, create_model

from ..forms.duplicates import MergeForm, email_addresses
from ..models import Contact
from ..services.duplicates import CHOSEN_FIELDS

Whose = Literal["keep", "duplicate"]


def _choice(name):
    label = Contact._meta.get_field(name).verbose_name
    if name == "notes":
        return (
            Literal["keep", "duplicate", "both"] | None,
            Field(
                None,
                description="Whose notes to keep where both differ; or both, one after the other.",
            ),
        )
    return Whose | None, Field(
        None, description=f"Whose {label} to keep where both differ (default: keep)."
    )


_MergeChoices = create_model(
    "MergeChoices", __base__=Schema, **{name: _choice(name) for name in CHOSEN_FIELDS}
)


class MergeIn(_MergeChoices):
    duplicate_id: int = Field(
        ge=1, le=2**63 - 1, description="The contact merged into this one, then trashed."
    )
    primary_email: str | None = Field(
        None,
        max_length=254,
        description="The merged contact's primary email, one of either's addresses "
        "(default: this contact's primary).",
    )


def _refuse(field, message):
    return ValidationError([{"loc": ("body", field), "msg": message, "type": "value_error"}])


def merge_choices(user, contact_id: int, payload: MergeIn):
    """
    Return the contact kept, the duplicate and the values ``contact_merge()``
    takes, as the web's merge form reads them; raise Http404 when either is
    not a contact ``user`` sees, ValidationError for a choice refused.
    """
    if payload.duplicate_id == contact_id:
        raise _refuse("duplicate_id", "A contact cannot be merged with itself.")
    seen = Contact.objects.visible_to(user).prefetch_related("emails")
    found = {
        contact.pk: contact for contact in seen.filter(pk__in=[contact_id, payload.duplicate_id])
    }
    if len(found) < 2:
        raise Http404("No contact matches the given query.")
    keep, duplicate = found[contact_id], found[payload.duplicate_id]
    form = MergeForm(keep=keep, duplicate=duplicate)
    given = payload.model_dump(exclude_none=True)
    addresses = {address.casefold(): address for address in email_addresses(keep, duplicate)}
    if "primary_email" in given:
        if given["primary_email"].casefold() not in addresses:
            raise _refuse("primary_email", "Choose one of the two contacts' email addresses.")
        given["primary_email"] = addresses[given["primary_email"].casefold()]
    data = {name: given.get(name, field.initial) for name, field in form.fields.items()}
    form = MergeForm(data, keep=keep, duplicate=duplicate)
    if not form.is_valid():
        raise ValidationError(
            [
                {"loc": ("body", field), "msg": message, "type": "value_error"}
                for field, messages in form.errors.items()
                for message in messages
            ]
        )
    chosen = form.values()
    if "primary_email" in given and "primary_email" not in chosen:
        chosen["primary_email"] = given["primary_email"]
    return keep, duplicate, chosen
