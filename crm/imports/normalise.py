"""
An imported record checked and normalised by the contact form's rules.

The form's rules have one owner each (the model's field lengths, the email
and URL validators, the phone rules in ``crm.phones``, the date rule of
``ContactDate``, the tag rules of ``ContactForm``); this module applies them
to an ``ImportRecord`` and says what is wrong in a sentence per problem,
since nobody is there to correct a field as they would on the form. Two
choices differ from the form, because a file is not typed by hand: an
email, phone, URL or tag given twice in a row is kept once (the form calls
the second an error), and a number ``phonenumbers`` cannot read in full is
kept as typed, as the form keeps it, with a warning saying so.

The values are JSON (an ``ImportRow.values``)::

    {"contact": {field: text, ...},        # only the fields given; "name" is the display name
     "emails": [[address, label], ...],    # the first is the primary one
     "phones": [[number, label, key, e164], ...],
     "addresses": [{"label": ..., "street": ..., ...}, ...],
     "urls": [[url, label], ...],
     "dates": [[kind, label, year or None, month, day], ...],
     "tags": [name, ...]}
"""

import functools
import re
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from ..conf import settings
from ..forms.rows import MAX_ROWS
from ..models import ADDRESS_FIELDS, Address, Contact, ContactDate, Email, Phone, Tag, Url
from ..models import display_name as make_display_name
from ..phones import normalize, validate_phone_number
from .values import parse_date

# The contact's own fields an import writes, "name" being the display name.
OWN_FIELDS = (
    "name",
    "honorific_prefix",
    "given_name",
    "additional_names",
    "family_name",
    "honorific_suffix",
    "nickname",
    "organization",
    "job_title",
    "notes",
)
# An extension after a number ("x12", "ext. 12", "#12"), as crm.phones reads it.
EXTENSION = re.compile(r"\s*(?:x|ext\.?|extension|#)\s*\d+$", re.IGNORECASE)
NO_NAME = Contact._meta.constraints[0].violation_error_message

_url_field = forms.URLField(
    max_length=Url._meta.get_field("url").max_length,
    assume_scheme="https",
    validators=[URLValidator(schemes=["http", "https"])],
)


@dataclass
class Normalised:
    """A record as the import will write it, or the reasons it cannot be."""

    line: int
    values: dict
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return display_name(self.values.get("contact", {}))


def display_name(own: dict) -> str:
    """Return the display name of a contact with the fields ``own``, as ``Contact.derive()``."""
    return " ".join((own.get("name") or "").split()) or make_display_name(own)


def field_label(name: str) -> str:
    """Return what the user calls the contact's field ``name``: "Given name"."""
    return str(Contact._meta.get_field(name).verbose_name).capitalize()


@functools.cache
def _labels(labels) -> frozenset[str]:
    return frozenset(labels.values)


def _label(value: str, labels, default: str) -> str:
    return value if value in _labels(labels) else default


@functools.lru_cache(maxsize=4096)
def _normalize(number: str, region: str) -> tuple[str, str | None]:
    """``crm.phones.normalize()``, once per number and region: office lines repeat in a file."""
    return normalize(number)


def normalise(record) -> Normalised:
    """Return ``record`` (an ``ImportRecord``) checked and normalised by the form's rules."""
    found = Normalised(
        line=record.line, values={}, warnings=list(record.warnings), cells=list(record.cells)
    )
    errors = found.errors
    own = {}
    for name in OWN_FIELDS:
        text = (getattr(record, "full_name" if name == "name" else name) or "").strip()
        limit = Contact._meta.get_field(name).max_length
        if limit and len(text) > limit:
            errors.append(f"{field_label(name)} is longer than {limit} characters.")
        if text:
            own[name] = text
    if not display_name(own):
        errors.append(NO_NAME)
    values = {"contact": own}
    for kind, rule in RULES.items():
        rows = rule(getattr(record, kind), errors, found.warnings)
        if len(rows) > MAX_ROWS:
            errors.append(f"More than {MAX_ROWS} {kind}: a contact has {MAX_ROWS} at most.")
        values[kind] = rows
    found.values = values
    return found


def _emails(emails, errors, warnings):
    rows, seen = [], set()
    for address, label in emails:
        address = address.strip()
        if not address or address.lower() in seen:
            continue
        try:
            if len(address) > Email._meta.get_field("address").max_length:
                raise ValidationError("too long")
            validate_email(address)
        except ValidationError:
            errors.append(f"Email “{address}” is not a valid email address.")
            continue
        seen.add(address.lower())
        rows.append([address, _label(label, Email.Label, Email.Label.HOME)])
    return rows


def _phones(phones, errors, warnings):
    rows, seen = [], set()
    for typed, label in phones:
        number = " ".join(typed.split())
        if not number:
            continue
        try:
            if len(number) > Phone._meta.get_field("number").max_length:
                raise ValidationError("It is longer than 40 characters.")
            validate_phone_number(number)
        except ValidationError as error:
            errors.append(f"Phone “{number}”: {' '.join(error.messages)}")
            continue
        key, e164 = _normalize(number, settings.PHONE_REGION)
        if key in seen:
            continue
        seen.add(key)
        if e164 is None and _normalize(EXTENSION.sub("", number), settings.PHONE_REGION)[1] is None:
            warnings.append(
                f"Phone “{number}” is kept as typed: it is not a whole number with its "
                "country code (add one to link it with the same number typed another way)."
            )
        rows.append([number, _label(label, Phone.Label, Phone.Label.MOBILE), key, e164 or ""])
    return rows


def _addresses(addresses, errors, warnings):
    rows = []
    for address in addresses:
        row = {"label": _label(address.get("label", ""), Address.Label, Address.Label.HOME)}
        for name in ADDRESS_FIELDS:
            text = (address.get(name) or "").strip()
            limit = Address._meta.get_field(name).max_length
            if len(text) > limit:
                label = str(Address._meta.get_field(name).verbose_name)
                errors.append(f"Address {label} is longer than {limit} characters.")
                text = ""
            row[name] = text
        if any(row[name] for name in ADDRESS_FIELDS) and row not in rows:
            rows.append(row)
    return rows


def _urls(urls, errors, warnings):
    rows, seen = [], set()
    for typed, label in urls:
        typed = typed.strip()
        if not typed:
            continue
        try:
            url = _url_field.clean(typed)
        except ValidationError:
            errors.append(f"URL “{typed}” is not a web address (http or https).")
            continue
        if url not in seen:
            seen.add(url)
            rows.append([url, _label(label, Url.Label, Url.Label.HOME)])
    return rows


def _dates(dates, errors, warnings):
    rows, once = [], set()
    label_limit = ContactDate._meta.get_field("label").max_length
    for kind, label, text in dates:
        if not text.strip():
            continue
        kind = _label(kind, ContactDate.Kind, ContactDate.Kind.OTHER)
        label = label.strip() if kind == ContactDate.Kind.OTHER else ""
        try:
            year, month, day = parse_date(text.strip())
            ContactDate(year=year, month=month, day=day).clean()
        except ValueError as error:
            errors.append(str(error))
            continue
        except ValidationError:
            errors.append(f"“{text.strip()}” is not a date.")
            continue
        if kind in once:
            title = ContactDate.Kind(kind).label.lower()
            errors.append(f"A contact has one {title}: “{text.strip()}” is a second one.")
            continue
        if kind != ContactDate.Kind.OTHER:
            once.add(kind)
        if len(label) > label_limit:
            errors.append(
                f"The date label “{label[:20]}…” is longer than {label_limit} characters."
            )
            continue
        row = [kind, label, year, month, day]
        if row not in rows:
            rows.append(row)
    return rows


def _tags(tags, errors, warnings):
    """The tags as ``ContactForm.clean_tags()`` reads them: spaces collapsed, each once."""
    names = {}
    limit = Tag._meta.get_field("name").max_length
    for typed in tags:
        name = " ".join(typed.split())
        if len(name) > limit:
            errors.append(f"“{name[:20]}…” is too long for a tag.")
        elif name:
            names.setdefault(name.casefold(), name)
    return list(names.values())


# Each kind of row of a record, and the rule that reads it.
RULES = {
    "emails": _emails,
    "phones": _phones,
    "addresses": _addresses,
    "urls": _urls,
    "dates": _dates,
    "tags": _tags,
}
