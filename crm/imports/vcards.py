"""
vCards 2.1, 3.0 and 4.0 read into ImportRecords, a card at a time.

The file's lines are cut into cards here, so that one card at a time is held
(never more than ``MAX_CARD`` characters, never more than ``MAX_PROPERTIES``
lines of one kind: a card of 10,000 TEL lines is refused) and photos are
dropped as they stream by. Each card's lines are then read by ``vobject``:
unfolding, vCard 2.1's quoted-printable with its CHARSET, parameters (2.1's
bare ``TEL;CELL;PREF`` as well as ``TYPE=``), ``item1.`` groups.

Values are unescaped here, not by vobject's text behaviour, which keeps only
what comes before the first unescaped comma ("NOTE:Hello, world" as
"Hello"), and vCard 2.1 does not escape commas. Labels come from an
``itemN.X-ABLabel`` (Apple, Google) when it names one of ours, else from the
``TYPE`` values, as our export reads them back (``label_from_types``).
"""

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from io import StringIO

from vobject.base import VObjectError, getLogicalLines, textLineToContentLine

from ..exports.vcard import label_from_types
from .layouts import is_system_group
from .records import ImportFileError, ImportRecord
from .values import label_from_text, label_text

MAX_CARD = 1024 * 1024  # characters of one card, photos left out
MAX_PROPERTIES = 100  # lines of one kind (TEL, EMAIL...) in one card
SKIPPED = {
    "PHOTO": "Photo skipped: photos are not imported.",
    "LOGO": "Logo skipped: logos are not imported.",
    "SOUND": "Sound skipped: sounds are not imported.",
    "KEY": "Key skipped: keys are not imported.",
}
# TYPE values some writers use for the ones our export reads.
TYPE_SYNONYMS = {"iphone": "cell", "mobile": "cell", "main": "work", "business": "work"}
ANNIVERSARIES = {"ANNIVERSARY", "X-ANNIVERSARY", "X-MS-ANNIVERSARY", "X-EVOLUTION-ANNIVERSARY"}
_NAME = re.compile(r"[^;:]*")
_ESCAPES = {"n": "\n", "N": "\n", ",": ",", ";": ";", ":": ":", "\\": "\\"}


@dataclass
class Card:
    """The lines of one card as the file has them, photos left out."""

    number: int
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def cards(lines: Iterable[str]) -> Iterator[Card]:
    """Yield the cards of a file's ``lines``; raise ImportFileError for one too big."""
    card, number, nested, size = None, 0, 0, 0
    skipping = quoted_printable = continues = False
    counts = Counter()
    for line_number, line in enumerate(lines, start=1):
        text = line.rstrip("\r\n")
        if card is None:
            if text.strip().upper() == "BEGIN:VCARD":
                number += 1
                card, nested, size, counts = Card(number), 0, 0, Counter()
                skipping = quoted_printable = continues = False
            continue
        if continues or text[:1] in (" ", "\t"):
            # A folded line, or a quoted-printable one ending in "=" (vCard 2.1).
            continues = quoted_printable and text.endswith("=")
            if not skipping and not nested:
                card.lines.append(text)
                size += len(text)
        elif not text.strip():
            skipping = False  # vCard 2.1 ends base64 data with a blank line
        elif text.strip().upper() == "END:VCARD" and not nested:
            yield card
            card = None
        elif text.strip().upper() in ("BEGIN:VCARD", "END:VCARD"):
            nested += 1 if "BEGIN" in text.upper() else -1  # a 2.1 AGENT's card: left out
        elif not nested:
            name = _NAME.match(text).group().rpartition(".")[2].strip().upper()
            skipping = name in SKIPPED
            quoted_printable = "QUOTED-PRINTABLE" in text.partition(":")[0].upper()
            continues = quoted_printable and text.endswith("=")
            if skipping:
                if SKIPPED[name] not in card.warnings:
                    card.warnings.append(SKIPPED[name])
                continue
            counts[name] += 1
            if counts[name] > MAX_PROPERTIES:
                message = f"Card {number} has more than {MAX_PROPERTIES} {name} lines."
                raise ImportFileError(message, line=line_number)
            card.lines.append(text)
            size += len(text)
        if size > MAX_CARD:
            raise ImportFileError(f"Card {number} is larger than 1 MiB.", line=line_number)
    if card is not None:
        card.warnings.append("The file ends inside this card (it has no END:VCARD).")
        yield card


def records(lines: Iterable[str]) -> Iterator[ImportRecord]:
    """Yield the record of each card of a file's ``lines``."""
    for card in cards(lines):
        yield record(card)


def _split(value, separator):
    """Split ``value`` at each ``separator`` not escaped by a backslash; escapes are kept."""
    parts, current, escaped = [], [], False
    for char in value:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


def _unescape(value):
    value = re.sub(r"\\(.)", lambda match: _ESCAPES.get(match[1], match[0]), value)
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def _list(value, separator=",", joiner=" "):
    """Return a component of N or ADR, whose list of values vCard separates by commas."""
    return joiner.join(filter(None, (_unescape(part) for part in _split(value, separator))))


def _types(prop):
    """Return the TYPE values of ``prop``, 2.1's bare parameters included, in lower case."""
    values = [*prop.params.get("TYPE", []), *prop.singletonparams]
    types = {part.strip().strip('"').lower() for value in values for part in value.split(",")}
    return types | {TYPE_SYNONYMS[value] for value in types if value in TYPE_SYNONYMS}


def _rank(prop, types):
    """Return how preferred ``prop`` is: PREF=1 (4.0) or TYPE=pref first, then the others."""
    pref = prop.params.get("PREF")
    if pref:
        return int(pref[0]) if pref[0].isdigit() else 1
    return 1 if "pref" in types else 101


def _number(value):
    """Return a TEL value as typed: "tel:+1-202-555-0143;ext=12" as "+1-202-555-0143 ext. 12"."""
    if value.lower().startswith("tel:"):
        number, *params = value[4:].split(";")
        ext = next((p[4:] for p in params if p.lower().startswith("ext=")), "")
        return f"{number} ext. {ext}" if ext else number
    return value


def _date(prop):
    """Return a date's text; Apple's X-APPLE-OMIT-YEAR year is no year ("--04-03")."""
    text = _unescape(prop.value)
    omitted = prop.params.get("X-APPLE-OMIT-YEAR")
    if omitted and text.startswith(omitted[0]):
        text = "--" + text[len(omitted[0]) :].removeprefix("-")
    return text


def _properties(card, record):
    """Return the content lines of ``card`` read by vobject; warn about any it cannot read."""
    text = StringIO("\n".join(card.lines) + "\n")
    properties = []
    for line, number in getLogicalLines(text, allowQP=True):
        try:
            properties.append(textLineToContentLine(line, number))
        except (VObjectError, UnicodeDecodeError, LookupError, ValueError):
            name = _NAME.match(line).group().rpartition(".")[2][:40]
            record.warnings.append(f"A {name} line could not be read and was left out.")
    return properties


def record(card: Card) -> ImportRecord:
    """Return the record of one card."""
    record = ImportRecord(line=card.number, warnings=list(card.warnings))
    properties = _properties(card, record)
    labels = {
        prop.group.lower(): label_text(_unescape(prop.value))
        for prop in properties
        if prop.name == "X-ABLABEL" and prop.group
    }
    ranked = {"emails": [], "phones": []}
    for prop in properties:
        name, types = prop.name, _types(prop)
        label = labels.get((prop.group or "").lower(), "")
        value = prop.value if isinstance(prop.value, str) else ""
        if name == "EMAIL":
            found = label_from_text("email", label) or label_from_types("EMAIL", types)
            ranked["emails"].append((_rank(prop, types), (_unescape(value), found)))
        elif name == "TEL":
            found = label_from_text("phone", label) or label_from_types("TEL", types)
            ranked["phones"].append((_rank(prop, types), (_number(_unescape(value)), found)))
        elif name == "ADR":
            record.addresses.append(_address(value, label, types))
        elif name in ("URL", "X-SOCIALPROFILE"):
            found = label_from_text("url", label) or label_from_types("URL", types)
            record.urls.append((_unescape(value), "profile" if name != "URL" else found))
        else:
            _text_property(record, prop, label)
    for key, values in ranked.items():
        values.sort(key=lambda pair: pair[0])
        setattr(record, key, [pair for _, pair in values if pair[0]])
    record.addresses = [
        address
        for address in record.addresses
        if any(v for k, v in address.items() if k != "label")
    ]
    record.fill_name_parts()
    return record


def _text_property(record, prop, label):
    """Read a property holding text or a date into ``record``."""
    name, value = prop.name, prop.value if isinstance(prop.value, str) else ""
    if name == "FN" and not record.full_name:
        record.full_name = _unescape(value)
    elif name == "N":
        family, given, additional, prefix, suffix = (_split(value, ";") + [""] * 5)[:5]
        record.family_name, record.given_name = _list(family), _list(given)
        record.additional_names = _list(additional)
        record.honorific_prefix, record.honorific_suffix = _list(prefix), _list(suffix, joiner=", ")
    elif name == "NICKNAME" and not record.nickname:
        record.nickname = _unescape(value)
    elif name == "ORG" and not record.organization:
        record.organization = _list(value, separator=";", joiner=", ")
    elif name == "TITLE" and not record.job_title:
        record.job_title = _unescape(value)
    elif name == "NOTE" and _unescape(value):
        record.notes = "\n\n".join(filter(None, [record.notes, _unescape(value)]))
    elif name == "BDAY":
        record.dates.append(("birthday", "", _date(prop)))
    elif name in ANNIVERSARIES:
        record.dates.append(("anniversary", "", _date(prop)))
    elif name == "X-ABDATE":
        if label.casefold() == "anniversary":
            record.dates.append(("anniversary", "", _date(prop)))
        else:
            record.dates.append(("other", label, _date(prop)))
    elif name == "CATEGORIES":
        for tag in (_unescape(part) for part in _split(value, ",")):
            if is_system_group(tag):
                continue
            if tag and tag.casefold() not in {t.casefold() for t in record.tags}:
                record.tags.append(tag)


def _address(value, label, types):
    box, extended, street, city, region, code, country = (_split(value, ";") + [""] * 7)[:7]
    return {
        "street": "\n".join(filter(None, map(_unescape, (street, extended, box)))),
        "city": _unescape(city),
        "region": _unescape(region),
        "postal_code": _unescape(code),
        "country": _unescape(country),
        "label": label_from_text("address", label) or label_from_types("ADR", types),
    }
