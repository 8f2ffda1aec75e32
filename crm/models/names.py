"""The name rules: the display name made from its parts, and the keys contacts sort and match by."""

import unicodedata


def sort_key(name):
    """
    Return the key contacts are listed and matched as duplicates by: the name,
    case-folded, without accents (NFKD, combining marks dropped), and with
    single spaces, so "  Adá  COSTA" is "ada costa".
    """
    decomposed = unicodedata.normalize("NFKD", (name or "").casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


# The fields that name a contact, as the form and the exports list them: the
# display name (vCard's FN), the parts of N in the order people read them, NICKNAME.
NAME_FIELDS = (
    "name",
    "honorific_prefix",
    "given_name",
    "additional_names",
    "family_name",
    "honorific_suffix",
    "nickname",
)
NAME_PARTS = ("honorific_prefix", "given_name", "additional_names", "family_name")


def display_name(parts):
    """
    Return the name a contact is shown by, made from ``parts`` (a mapping of
    its field names) when none is typed: "Dr. Ada King Lovelace, PhD", else
    the nickname, else the organisation.
    """
    name = " ".join(" ".join(parts.get(part) or "" for part in NAME_PARTS).split())
    if name and parts.get("honorific_suffix"):
        name = f"{name}, {parts['honorific_suffix']}"
    return name or parts.get("nickname") or parts.get("organization") or ""


def list_key(parts):
    """
    Return the key the list sorts a contact by: family name first when there
    is one ("lovelace ada"), as iOS and Outlook sort by default, else its
    display name ("acme ltd"); see ``sort_key()``.
    """
    if parts.get("family_name"):
        return sort_key(f"{parts['family_name']} {parts.get('given_name') or ''}")
    return sort_key(parts.get("name"))
