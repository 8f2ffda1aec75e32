"""
Values as files write them, read into ours: dates in the forms contact
exports use, a full name split into its parts, a label typed in a cell or an
Apple ``X-ABLabel`` as one of our labels.

Pure functions: the readers use them, and the plan validates with them.
"""

import datetime
import re

from ..models import Address, Email, Phone, Url

# ISO 8601 extended or basic, with or without the year ("--04-03", "--0403"),
# as vCard 3.0 and 4.0, Google and our own export write dates; a time after
# the date (Outlook's vCards: "1980-04-03T00:00:00Z") is ignored.
_ISO = re.compile(
    r"(?P<year>\d{4}|--)-?(?P<month>\d\d)-?(?P<day>\d\d)(?:T[\d:.]*(?:Z|[+-][\d:]+)?)?"
)
# Outlook's US CSV writes month/day/year ("4/3/1980"); "1980/04/03" happens too.
_SLASHED = re.compile(r"(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})")
_SLASHED_YEAR_FIRST = re.compile(r"(?P<year>\d{4})/(?P<month>\d{1,2})/(?P<day>\d{1,2})")
# Continental Europe writes day.month.year ("3.4.1980").
_DOTTED = re.compile(r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})")
DATE_FORMATS = (_ISO, _SLASHED, _SLASHED_YEAR_FIRST, _DOTTED)


def parse_date(text: str) -> tuple[int | None, int, int]:
    """
    Return ``text`` as (year or None, month, day): "1980-04-03", "19800403",
    "--04-03", "--0403", "4/3/1980" (month first, as Outlook's CSV writes),
    "1980/04/03" or "3.4.1980" (day first). Raise ValueError for anything
    else, including a day the month does not have.
    """
    value = text.strip()
    for pattern in DATE_FORMATS:
        match = pattern.fullmatch(value)
        if match:
            break
    else:
        raise ValueError(f"“{text}” is not a date.")
    year = None if match["year"] == "--" else int(match["year"])
    month, day = int(match["month"]), int(match["day"])
    try:
        # A year-less 29 February is a date: 2000 was a leap year.
        datetime.date(year or 2000, month, day)
    except ValueError:
        raise ValueError(f"“{text}” is not a date.") from None
    if year == 0:
        raise ValueError(f"“{text}” is not a date.")
    return year, month, day


# Words a full name starts or ends with that are not a given or family name.
# Compared without their dots and case: "Dr." and "dr" alike.
PREFIXES = {
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "lady", "lord", "rev",
    "fr", "herr", "frau", "m", "mme", "mlle", "sr", "sra", "srta", "dra", "don", "dona",
    "doña",
}  # fmt: skip
SUFFIXES = {
    "jr", "sr", "ii", "iii", "iv", "phd", "md", "dds", "esq", "mba", "cpa", "rn", "obe",
    "mbe", "kbe", "cbe", "qc", "kc", "msc", "bsc", "ma", "ba",
}  # fmt: skip
# Words that belong to the family name that follows them: "van Beethoven".
FAMILY_PARTICLES = {
    "van", "von", "der", "den", "de", "da", "das", "dos", "del", "della", "di", "du", "la",
    "le", "ter", "ten", "bin", "ibn", "al", "el", "st", "st.",
}  # fmt: skip
NAME_KEYS = ("honorific_prefix", "given_name", "additional_names", "family_name")
NAME_KEYS += ("honorific_suffix",)


def _bare(word):
    return word.replace(".", "").casefold()


def split_full_name(text: str) -> dict[str, str]:
    """
    Split a full name into its parts, keyed as the contact's fields:
    "Dr. Ana María Silva Jr." gives the prefix "Dr.", given name "Ana",
    additional name "María", family name "Silva" and suffix "Jr.";
    "Silva, Ana" is family name, then given name; "Ludwig van Beethoven"
    keeps "van" with the family name.
    """
    parts = dict.fromkeys(NAME_KEYS, "")
    pieces = [" ".join(piece.split()) for piece in text.split(",")]
    pieces = [piece for piece in pieces if piece]
    suffixes = []
    # "Ana Silva, PhD", "Silva, Ana, Jr.": trailing pieces that are suffixes.
    while len(pieces) > 1 and all(_bare(w) in SUFFIXES for w in pieces[-1].split()):
        suffixes.insert(0, pieces.pop())
    if len(pieces) == 2:
        # "Family, Given Middle"
        family, rest = pieces
        words = rest.split()
    else:
        family, words = None, " ".join(pieces).split()
    prefixes = []
    while len(words) > 1 and _bare(words[0]) in PREFIXES:
        prefixes.append(words.pop(0))
    while family is None and len(words) > 1 and _bare(words[-1]) in SUFFIXES:
        suffixes.insert(0, words.pop())
    if family is None and len(words) > 1:
        start = len(words) - 1
        while start > 1 and words[start - 1].casefold() in FAMILY_PARTICLES:
            start -= 1
        family = " ".join(words[start:])
        words = words[:start]
    parts["honorific_prefix"] = " ".join(prefixes)
    parts["given_name"] = words[0] if words else ""
    parts["additional_names"] = " ".join(words[1:])
    parts["family_name"] = family or ""
    parts["honorific_suffix"] = ", ".join(suffixes)
    return parts


# What people and programs call our labels, besides the labels' own values and
# names: Google's "Mobile", Apple's "_$!<HomeFAX>!$_" (brackets removed),
# Outlook's "Business", a spreadsheet's "Cell".
LABEL_WORDS = {
    "email": {
        Email.Label.HOME: {"personal", "private", "privat"},
        Email.Label.WORK: {"business", "office", "job"},
    },
    "phone": {
        Phone.Label.MOBILE: {"cell", "cellular", "iphone", "handy", "mobil", "portable"},
        Phone.Label.FAX: {"homefax", "workfax", "otherfax", "home fax", "work fax"},
        Phone.Label.OFFICE: {"work", "business", "main", "company", "company main"},
    },
    "address": {
        Address.Label.HOME: {"personal", "private"},
        Address.Label.WORK: {"business", "office"},
    },
    "url": {
        Url.Label.HOME: {"homepage", "home page", "personal"},
        Url.Label.WORK: {"business", "company"},
        Url.Label.PROFILE: {"linkedin", "twitter", "facebook", "social"},
    },
}
_LABELS = {"email": Email.Label, "phone": Phone.Label, "address": Address.Label, "url": Url.Label}


def label_text(text: str) -> str:
    """Return a label as written, without Google's "* " (preferred) or Apple's "_$!<…>!$_"."""
    text = text.strip().removeprefix("*").strip()
    if text.startswith("_$!<") and text.endswith(">!$_"):
        text = text[4:-4]
    return text


def label_from_text(kind: str, text: str) -> str | None:
    """
    Return our label of a ``kind`` ("email", "phone", "address", "url") for a
    label as a file writes it ("Mobile", "* Work", "_$!<HomeFAX>!$_",
    "Business"), or None when it is none of ours.
    """
    word = label_text(text).casefold()
    if not word:
        return None
    for label in _LABELS[kind]:
        if word in (label.value, str(label.label).casefold()):
            return label.value
    for label, words in LABEL_WORDS[kind].items():
        if word in words:
            return label.value
    return None
