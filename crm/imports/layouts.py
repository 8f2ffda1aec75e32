"""
CSV columns mapped to the contact's fields: the fields a column can be
mapped to (``FIELDS``), the layouts recognised from their header (Google
Contacts, Outlook, our own export), a best guess for any other header, and
the rows read through a mapping (``RowReader``).

A mapping gives each column a key of ``FIELDS`` or "" (ignored). Repeated
values keep their label in the key ("email.work", "phone.mobile",
"address.home.city"), unless a label column gives it row by row: a label
column ("email.label") belongs to the value column of its kind just before
it when that has none yet (our export: "Email 1", "Email 1 label"), else to
the next one (Google: "E-mail 1 - Label", "E-mail 1 - Value"). The parts of
an address go together until a part comes again, except that streets in a
row of columns are lines of one street (Outlook's "Business Street 2").
"""

import re
import unicodedata
from dataclasses import dataclass, field

from ..exports import cell_text
from ..models import ADDRESS_FIELDS, Address, Email, Phone, Url
from .records import ImportRecord
from .values import label_from_text, label_text

LAYOUTS = {
    "google": "Google Contacts CSV",
    "outlook": "Outlook CSV",
    "crm": "this contact book's CSV export",
    "custom": "a spreadsheet",
    "vcard": "vCard",
}
TEXT_FIELDS = {
    "full_name": "Full name (split into parts when no part is given)",
    "honorific_prefix": "Prefix (Dr., Ms.)",
    "given_name": "Given name",
    "additional_names": "Middle names",
    "family_name": "Family name",
    "honorific_suffix": "Suffix (Jr., PhD)",
    "nickname": "Nickname",
    "organization": "Organisation",
    "job_title": "Job title",
    "notes": "Notes",
}
ADDRESS_PARTS = {
    "street": "street",
    "extended": "street, second line",
    "city": "city",
    "region": "region",
    "postal_code": "postal code",
    "country": "country",
}
LABELLED = {"email": Email.Label, "phone": Phone.Label, "url": Url.Label}


def _fields():
    fields = dict(TEXT_FIELDS)
    for kind, title in [("email", "Email"), ("phone", "Phone"), ("url", "Web address")]:
        for label in LABELLED[kind]:
            fields[f"{kind}.{label.value}"] = f"{title} ({str(label.label).lower()})"
        fields[f"{kind}.label"] = f"{title}: its label (home, work…) in this column"
    for label in Address.Label:
        for part, title in ADDRESS_PARTS.items():
            fields[f"address.{label.value}.{part}"] = f"Address ({label.value}): {title}"
    fields["address.label"] = "Address: its label (home, work…) in this column"
    fields["birthday"] = "Birthday"
    fields["anniversary"] = "Anniversary"
    fields["date"] = "Other date"
    fields["date.label"] = "Other date: what it is, in this column"
    fields["tags"] = "Tags (separated by “;”)"
    return fields


# Every key a column can be mapped to, with the name the mapping screen shows.
FIELDS: dict[str, str] = _fields()

# Our own export's header (crm.exports.spreadsheet.header()): its first titles,
# then numbered columns.
CRM_FIRST = ["Display name", "Prefix", "Given name", "Additional names", "Family name"]
CRM_FIRST += ["Suffix", "Nickname", "Organisation", "Job title"]
_ADDRESS_TITLES = "|".join(ADDRESS_PARTS[part] for part in ADDRESS_FIELDS)
CRM_COLUMNS = [
    ("Display name", "full_name"),
    *((title, key) for title, key in zip(CRM_FIRST[1:], list(TEXT_FIELDS)[1:9], strict=True)),
    (r"Email \d+", "email.other"),
    (r"Email \d+ label", "email.label"),
    (r"Phone \d+", "phone.other"),
    (r"Phone \d+ label", "phone.label"),
    (rf"Address \d+ (?P<part>{_ADDRESS_TITLES})", "address.other.{part}"),
    (r"Address \d+ label", "address.label"),
    (r"URL \d+", "url.other"),
    (r"URL \d+ label", "url.label"),
    ("Birthday", "birthday"),
    ("Anniversary", "anniversary"),
    (r"Date \d+", "date"),
    (r"Date \d+ label", "date.label"),
    ("Tags", "tags"),
    ("Notes", "notes"),
]
# Google Contacts: the export of 2024 ("First Name", "E-mail 1 - Label") and
# the older one ("Given Name", "E-mail 1 - Type").
GOOGLE_COLUMNS = [
    ("Name", "full_name"),
    ("First Name|Given Name", "given_name"),
    ("Middle Name|Additional Name", "additional_names"),
    ("Last Name|Family Name", "family_name"),
    ("Name Prefix", "honorific_prefix"),
    ("Name Suffix", "honorific_suffix"),
    ("Nickname", "nickname"),
    ("Organization Name|Organization 1 - Name", "organization"),
    ("Organization Title|Organization 1 - Title", "job_title"),
    ("Birthday", "birthday"),
    ("Notes", "notes"),
    ("Labels|Group Membership", "tags"),
    (r"E-mail \d+ - (Label|Type)", "email.label"),
    (r"E-mail \d+ - Value", "email.other"),
    (r"Phone \d+ - (Label|Type)", "phone.label"),
    (r"Phone \d+ - Value", "phone.other"),
    (r"Address \d+ - (Label|Type)", "address.label"),
    (r"Address \d+ - Street", "address.other.street"),
    (r"Address \d+ - (PO Box|Extended Address)", "address.other.extended"),
    (r"Address \d+ - City", "address.other.city"),
    (r"Address \d+ - Region", "address.other.region"),
    (r"Address \d+ - Postal Code", "address.other.postal_code"),
    (r"Address \d+ - Country", "address.other.country"),
    (r"Website \d+ - (Label|Type)", "url.label"),
    (r"Website \d+ - Value", "url.other"),
    (r"Event \d+ - (Label|Type)", "date.label"),
    (r"Event \d+ - Value", "date"),
]
_OUTLOOK_PLACES = {"Business": "work", "Home": "home", "Other": "other"}
OUTLOOK_COLUMNS = [
    ("Title", "honorific_prefix"),
    ("First Name", "given_name"),
    ("Middle Name", "additional_names"),
    ("Last Name", "family_name"),
    ("Suffix", "honorific_suffix"),
    ("Nickname", "nickname"),
    ("Company", "organization"),
    ("Job Title", "job_title"),
    (r"(?P<place>Business|Home|Other) Street( \d)?", "address.{place}.street"),
    (r"(?P<place>Business|Home|Other) Address PO Box", "address.{place}.extended"),
    (r"(?P<place>Business|Home|Other) City", "address.{place}.city"),
    (r"(?P<place>Business|Home|Other) State", "address.{place}.region"),
    (r"(?P<place>Business|Home|Other) Postal Code", "address.{place}.postal_code"),
    (r"(?P<place>Business|Home|Other) Country/Region", "address.{place}.country"),
    (r"Business Phone( \d)?|Company Main Phone", "phone.office"),
    (r"Home Phone( \d)?", "phone.home"),
    (r"Mobile Phone|Car Phone", "phone.mobile"),
    (r"(Business|Home|Other) Fax", "phone.fax"),
    (r"Other Phone|Primary Phone|Pager|Assistant's Phone", "phone.other"),
    (r"E-mail( \d)? Address", "email.other"),
    ("Web Page", "url.other"),
    ("Birthday", "birthday"),
    ("Anniversary", "anniversary"),
    ("Categories", "tags"),
    ("Notes", "notes"),
]
_LAYOUT_COLUMNS = {"crm": CRM_COLUMNS, "google": GOOGLE_COLUMNS, "outlook": OUTLOOK_COLUMNS}


def _known(header, columns, places=None):
    """Return the keys ``columns`` (pattern, key) give ``header``'s titles ("" for none)."""
    mapping = []
    for title in header:
        key = ""
        for pattern, template in columns:
            match = re.fullmatch(pattern, title.strip())
            if match:
                found = {name: value for name, value in match.groupdict().items() if value}
                if "part" in found:
                    found["part"] = _part_key(found["part"])
                if "place" in found:
                    found["place"] = _OUTLOOK_PLACES[found["place"]]
                key = template.format(**found)
                break
        mapping.append(key)
    return mapping


def _part_key(title):
    return next(part for part, name in ADDRESS_PARTS.items() if name == title)


def recognise(header: list[str]) -> tuple[str, list[str]]:
    """
    Return the layout of a CSV ``header`` ("google", "outlook", "crm" or
    "custom") and its mapping: a key of FIELDS or "" per column, a best guess
    from the titles' words for a "custom" one.
    """
    titles = {title.strip() for title in header}
    if [title.strip() for title in header[: len(CRM_FIRST)]] == CRM_FIRST:
        layout = "crm"
    elif any(re.fullmatch(r"(E-mail|Phone|Address|Website) \d+ - \w+", t) for t in titles) or (
        "Group Membership" in titles or {"File As", "Labels"} <= titles
    ):
        layout = "google"
    elif {"E-mail Address", "Business Phone"} <= titles or {
        "E-mail Address",
        "Home Street",
    } <= titles:
        layout = "outlook"
    else:
        return "custom", [guess(title) for title in header]
    return layout, _known(header, _LAYOUT_COLUMNS[layout])


def _words(title):
    """Return ``title`` as lower-case words without accents: "E-mail (Büro)" -> "e mail buro"."""
    bare = unicodedata.normalize("NFKD", title.casefold())
    bare = "".join(c for c in bare if not unicodedata.combining(c))
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", bare.replace("e-mail", "email")).split()) + " "


def _has(words, *candidates):
    return any(f" {candidate} " in words for candidate in candidates)


def _place(words, default="other"):
    if _has(words, "work", "business", "office", "company", "job", "bureau", "buro"):
        return "work"
    if _has(words, "home", "personal", "private", "privat", "maison"):
        return "home"
    return default


# (words, key) in order: the first whose word the title has wins, so "Company
# phone" is a phone and "Company name" an organisation.
_GUESS_NAMES = [
    (("first name", "given name", "firstname", "forename", "prenom", "vorname"), "given_name"),
    (("middle name", "middle", "additional name", "middle names"), "additional_names"),
    (("last name", "family name", "lastname", "surname", "nachname", "nom"), "family_name"),
    (("prefix", "salutation", "honorific"), "honorific_prefix"),
    (("suffix",), "honorific_suffix"),
    (("nickname", "nick", "alias"), "nickname"),
    (("company", "organization", "organisation", "org", "employer", "societe"), "organization"),
    (("job title", "title", "position", "role", "jobtitle", "occupation"), "job_title"),
    (("notes", "note", "comments", "comment", "description", "remarks", "remarques"), "notes"),
    (("tags", "tag", "labels", "groups", "group", "categories", "category"), "tags"),
    (("name", "full name", "display name", "contact", "fullname"), "full_name"),
]  # fmt: skip
_GUESS_ADDRESS = [
    (("zip", "zipcode", "postal", "postcode", "post code", "plz"), "postal_code"),
    (("city", "town", "locality", "ville", "ort", "stadt"), "city"),
    (("state", "region", "province", "county"), "region"),
    (("country", "pays", "land"), "country"),
    (("street", "address", "addr", "adresse", "strasse"), "street"),
]


def guess(title: str) -> str:
    """Return the key of FIELDS a column titled ``title`` most likely holds, or ""."""
    words = _words(title)
    if _has(words, "email", "mail", "emailaddress"):
        return f"email.{_place(words)}"
    if _has(words, "fax"):
        return "phone.fax"
    if _has(words, "mobile", "cell", "cellphone", "handy", "portable", "iphone"):
        return "phone.mobile"
    if _has(words, "phone", "tel", "telephone", "telefon", "number"):
        return "phone." + {"work": "office"}.get(_place(words), _place(words))
    if _has(words, "website", "web", "url", "homepage", "site", "blog", "linkedin"):
        label = "blog" if _has(words, "blog") else "profile" if _has(words, "linkedin") else None
        return f"url.{label or _place(words)}"
    if _has(words, "birth", "birthday", "dob", "bday", "born"):
        # Thunderbird's "Birth Year", "Birth Month", "Birth Day" are not a date each.
        return "" if _has(words, "year", "month", "day") else "birthday"
    if _has(words, "anniversary"):
        return "anniversary"
    for candidates, part in _GUESS_ADDRESS:
        if _has(words, *candidates):
            return f"address.{_place(words)}.{part}"
    for candidates, key in _GUESS_NAMES:
        if _has(words, *candidates):
            return key
    return ""


@dataclass
class _Item:
    """A value a row may hold: an email, phone, URL, date or address, from its columns."""

    kind: str
    label: str  # from the key: "work", or for a date its kind
    columns: dict[str, list[int]] = field(default_factory=dict)
    label_column: int | None = None


def _compile(mapping):
    """Return the text fields' columns and the items of ``mapping`` (see the module docstring)."""
    texts, items, pending, open_addresses = {}, [], {}, {}
    previous, previous_part = None, None
    for column, key in enumerate(mapping):
        if not key:
            continue
        if key not in FIELDS:
            raise ValueError(f"“{key}” is not a field a column can be mapped to.")
        kind, _, rest = key.partition(".")
        if key in TEXT_FIELDS or key == "tags":
            texts.setdefault(key, []).append(column)
            previous = None
            continue
        if rest == "label":
            if previous and previous.kind == kind and previous.label_column is None:
                previous.label_column = column
            else:
                pending[kind] = column
            continue
        if kind == "address":
            label, part = rest.split(".")
            item = open_addresses.get(label)
            repeated = item and part in item.columns
            joins = part == "extended" or (
                part == "street" and previous is item and previous_part == "street"
            )
            if item is None or (repeated and not joins):
                item = open_addresses[label] = _Item("address", label)
                items.append(item)
                item.label_column = pending.pop("address", None)
            item.columns.setdefault(part, []).append(column)
            previous, previous_part = item, part
            continue
        if kind in ("birthday", "anniversary", "date"):
            item = _Item("date", "other" if kind == "date" else kind, {"value": [column]})
        else:
            item = _Item(kind, rest, {"value": [column]})
        item.label_column = pending.pop(item.kind, None)
        items.append(item)
        previous, previous_part = item, None
    return texts, items


def _split_values(cell):
    """Return the values of a cell: Google writes several as "a ::: b"."""
    return [value.strip() for value in cell.split(":::") if value.strip()]


def split_tags(cell: str) -> list[str]:
    """
    Return the tag names of a cell: ";"-separated (our export, Outlook) or
    " ::: " (Google), without Google's system groups ("* myContacts").
    """
    names = cell.split(":::") if ":::" in cell else cell.split(";")
    return [name.strip() for name in names if name.strip() and not is_system_group(name)]


def is_system_group(name: str) -> bool:
    """Return whether ``name`` is a group Google gives every contact, not a tag of the user's."""
    return name.strip().startswith("*") or name.strip().casefold() in ("mycontacts", "starred")


class RowReader:
    """Read the rows of a CSV into ImportRecords through a mapping."""

    def __init__(self, mapping: list[str], *, layout: str = "custom"):
        self.texts, self.items = _compile(mapping)
        # Our export marks cells a spreadsheet would run with an apostrophe.
        self.clean = cell_text if layout == "crm" else str
        self.outlook = layout == "outlook"

    def record(self, line: int, cells: list[str]) -> ImportRecord:
        """Return the record of the row ``cells``, the ``line``-th of the file."""
        record = ImportRecord(line=line, cells=cells)

        def cell(column):
            return self.clean(cells[column]).strip() if column < len(cells) else ""

        for key, columns in self.texts.items():
            values = [value for value in map(cell, columns) if value]
            if key == "tags":
                for value in values:
                    record.tags += [tag for tag in split_tags(value) if tag not in record.tags]
            else:
                setattr(record, key, ("\n\n" if key == "notes" else " ").join(values))
        for item in self.items:
            label = cell(item.label_column) if item.label_column is not None else ""
            self._add(record, item, label, cell)
        record.fill_name_parts()
        return record

    def _add(self, record, item, label, cell):
        if item.kind == "address":
            parts = {
                part: "\n".join(filter(None, map(cell, cols)))
                for part, cols in item.columns.items()
            }
            street = "\n".join(filter(None, [parts.pop("street", ""), parts.pop("extended", "")]))
            address = {name: parts.get(name, "") for name in ADDRESS_FIELDS} | {"street": street}
            if any(address.values()):
                address["label"] = label_from_text("address", label) or item.label
                record.addresses.append(address)
            return
        values = _split_values(cell(item.columns["value"][0]))
        if item.kind == "date":
            for value in values:
                if self.outlook and value in ("0/0/00", "1/1/4501"):
                    continue  # Outlook's "no date"
                kind = item.label
                if kind == "other" and label_text(label).casefold() in ("birthday", "anniversary"):
                    kind = label_text(label).casefold()
                record.dates.append((kind, label_text(label) if kind == "other" else "", value))
            return
        found = label_from_text(item.kind, label) or item.label
        rows = getattr(record, f"{item.kind}s")
        # Google marks the preferred value's label with "* ": it goes first.
        position = 0 if label.strip().startswith("*") else len(rows)
        rows[position:position] = [(value, found) for value in values]
