"""
What the API's records name besides themselves: another contact as
``{id, name}`` (both empty of meaning for one the user cannot see), a user,
and the path parameters every part spells alike.
"""

from typing import Annotated

from ninja import Field, Schema
from ninja.params import P, PathEx
from pydantic import AfterValidator

from ..converters import MAX_ID
from ..queries.contacts import UNSEEN

ContactId = PathEx[int, P(ge=1, le=MAX_ID, description="The contact's id.")]
OtherId = PathEx[int, P(ge=1, le=MAX_ID, description="The other contact's id.")]
EntryId = PathEx[int, P(ge=1, le=MAX_ID, description="The timeline entry's id.")]
ChangeId = PathEx[int, P(ge=1, le=MAX_ID, description="The change's id, from the history.")]
Slug = PathEx[
    str,
    P(max_length=100, pattern=r"^[-a-zA-Z0-9_]+$", description="The tag's slug, as in its URL."),
]


def _no_nul(value: str) -> str:
    # PostgreSQL refuses a NUL character in any text; nobody types one.
    if "\x00" in value:
        raise ValueError("Text cannot contain the NUL character.")
    return value


# Text a user writes, which the databases must be able to store.
Text = Annotated[str, AfterValidator(_no_nul)]


class ContactRef(Schema):
    """Another contact, by id and name; one the user cannot see has neither."""

    id: int | None = Field(
        description="The contact's id; null for a contact you cannot see.",
        json_schema_extra={"minimum": 1},
    )
    name: str = Field(
        description='The contact\'s display name; "a contact you cannot see" for one you cannot.',
        max_length=200,
    )

    @classmethod
    def of(cls, pk, name, seen=True) -> "ContactRef":
        """Return the reference to contact ``pk`` called ``name``, unnamed unless ``seen``."""
        if not seen:
            return cls(id=UNSEEN["pk"], name=UNSEEN["name"])
        return cls(id=pk, name=name)


class UserRef(Schema):
    """A user of the site (an author of entries and changes)."""

    id: int = Field(description="The user's id.")
    username: str = Field(description="The user's username.", max_length=150)

    @classmethod
    def of(cls, user) -> "UserRef | None":
        return None if user is None else cls(id=user.pk, username=user.get_username())
