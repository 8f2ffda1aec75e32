"""
The search rules: how text is compared, what a contact's search text holds,
how a query becomes the words to find, and where they are in a shown value.

Text is compared *folded*: decomposed (NFKD, so "ﬁ" is "fi" and "²" is
"2"), without combining marks (accents), case-folded ("ß" is "ss"), and
with the Latin letters that do not decompose written as people type them
without the key ("ø" as "o", "æ" as "ae", "ł" as "l"). Folding is done in
Python, never by the database, so that SQLite and PostgreSQL compare the
very same strings: SQLite's ``LIKE`` ignores the case of ASCII letters only,
and PostgreSQL's ``unaccent`` has no SQLite twin. unicodedata does the
decomposition; a transliteration library (Unidecode) would also write
Cyrillic or Greek in Latin letters, which nobody typing them wants.

A contact's search text (``Contact.search_text``) is the folded words of
its own fields on a first line, kept true by ``Contact.save()``, and those
of its rows (emails, phones, addresses, tags) on a second, kept true by
``crm.services.search.contact_search_refresh()``. Each distinct word once,
sorted, so that the same contact has the same text however it was written:
a query word has no space in it, so it matches inside one word or nowhere,
and neither a repeated word nor the order of words changes what matches.

A query is split into words; every word must be in the text (in any
order). A word of phone punctuation and digits ("(555)", "01-23") also
matches by its digits, and by its key (``crm.phones.phone_key()``). A query
of several such words is one phone number, matched by its digits or its
key, so "555 0123" finds "(555) 01-23" and, with ``CRM_PHONE_REGION=FR``,
"06 12 34 56 78" finds "+33 6 12 34 56 78": a phone's words in the text
are its digits as typed and its key.
"""

import functools
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.utils.text import Truncator

from .conf import settings
from .phones import PHONE_CHARACTERS, PHONE_NUMBER, phone_digits, phone_key

# Latin letters that NFKD leaves whole, as they are typed on a keyboard
# without them (casefold() has made them lower case already; "ß" is "ss").
LETTERS = str.maketrans(
    {
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ħ": "h",
        "ı": "i",
        "ŧ": "t",
        "ŋ": "n",
        "ĸ": "k",
        # Apostrophes: "O’Brien" is found by "o'brien".
        "’": "'",
        "‘": "'",
        "ʼ": "'",
    }
)

# More words than this are not searched (the notice says so): each word is
# one more condition, and ten already pick one contact out of millions.
MAX_WORDS = 10
# A longer word is cut: no searched field is longer than an email (254).
MAX_WORD_LENGTH = 254
# Fewer digits than this would match most phone numbers: searched as text only.
PHONE_QUERY_MIN_DIGITS = 3


def fold(text):
    """
    Return ``text`` as search compares it: without accents, case-folded,
    "ø" as "o", "æ" as "ae" ("Søren Ærø" is "soren aero").

    Folding a string is folding each of its characters, so a match in the
    folded text maps back to the characters shown (see ``highlight_spans()``).
    """
    if text.isascii():
        return text.lower()  # casefold() of ASCII; most text, a thousand times faster
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(LETTERS)


# Highlighting folds the characters of a shown value one by one.
_fold_character = functools.lru_cache(maxsize=4096)(fold)


# Words repeat (given names, cities, tags): fold each once.
_fold_word = functools.lru_cache(maxsize=65536)(fold)


def words(values: Iterable[str]) -> str:
    """Return the distinct folded words of ``values``, sorted, separated by spaces."""
    found = {
        folded
        for value in values
        if value
        for word in value.split()
        for folded in _fold_word(word).split()
    }
    return " ".join(sorted(found))


def phone_words(number: str, key: str) -> tuple[str, str]:
    """Return what a phone puts in the search text: its digits as typed, and its key."""
    return phone_digits(number), key


def address_words(parts: Mapping[str, str]) -> list[str]:
    """
    Return what an address puts in the search text: its parts (``parts``
    maps their field names to them), and the digits of a postal code typed
    with spaces ("114 55"), since a query of digits and spaces is searched
    as one number.
    """
    found = [value for value in parts.values() if value]
    postal_code = parts.get("postal_code") or ""
    if (digits := phone_digits(postal_code)) and digits != postal_code:
        found.append(digits)
    return found


def search_text(own: Iterable[str], rows: Iterable[str]) -> str:
    """
    Return a contact's search text: the words of ``own``, its own fields, on
    a first line, those of ``rows`` (emails, phone words, address parts,
    tag names) on a second.
    """
    return f"{words(own)}\n{words(rows)}"


def with_own_words(text: str, own: Iterable[str]) -> str:
    """Return the search ``text`` of a contact with the words of its own fields replaced."""
    return search_text(own, [text.partition("\n")[2]])


@dataclass(frozen=True)
class Word:
    """A word of a query, folded, and what it may match: itself, its digits, its key."""

    text: str
    alternatives: tuple[str, ...]

    @property
    def numbers(self):
        """The alternatives that are digits, matched whatever the punctuation between them."""
        return tuple(a for a in self.alternatives if a.isdigit())


@dataclass(frozen=True)
class Terms:
    """
    What a query searches for: ``words``, each of which must match, or
    ``phone``, the digits and key of a query of several words that is a
    phone number, either of which must. ``skipped`` counts words past
    ``MAX_WORDS``. Words without a letter or a digit ("-", "&") are left out.
    """

    query: str
    words: tuple[Word, ...] = ()
    phone: tuple[str, ...] = ()
    skipped: int = 0

    def __bool__(self):
        return bool(self.words or self.phone)

    @property
    def notice(self):
        """Return what the user should know about how the query was read, or ""."""
        if self.query and not self:
            return f"“{Truncator(self.query).chars(40)}” has no letters or digits to search for."
        if self.skipped:
            return f"Only the first {MAX_WORDS} words were searched for."
        return ""


def search_terms(query: str) -> Terms:
    """Return the ``Terms`` of ``query``, as typed in the search box."""
    return _terms(" ".join((query or "").replace("\x00", " ").split()), settings.PHONE_REGION)


@functools.lru_cache(maxsize=256)
def _terms(query, region):
    # The region is part of the key: it changes what a national number means.
    found = [w for w in fold(query).split() if any(c.isalnum() for c in w)]
    if len(found) > 1 and _is_phone(query):
        # A number typed with spaces is one number, not words found anywhere:
        # "06 12 34 56 78" would otherwise find everyone with a 12 and a 34.
        return Terms(query=query, phone=_unique(phone_digits(query), phone_key(query)))
    terms = [_word(w[:MAX_WORD_LENGTH]) for w in dict.fromkeys(found)]
    return Terms(
        query=query, words=tuple(terms[:MAX_WORDS]), skipped=max(len(terms) - MAX_WORDS, 0)
    )


def _is_phone(text):
    return PHONE_CHARACTERS.fullmatch(text) and len(phone_digits(text)) >= PHONE_QUERY_MIN_DIGITS


def _word(text):
    if not PHONE_CHARACTERS.fullmatch(text):
        return Word(text, (text,))
    digits = phone_digits(text)
    key = phone_key(text) if len(digits) >= PHONE_QUERY_MIN_DIGITS else ""
    return Word(text, _unique(text, digits, key))


def _unique(*values):
    return tuple(dict.fromkeys(v for v in values if v))


def highlight_spans(value: str, terms: Terms) -> list[tuple[int, int]]:
    """
    Return the ``(start, stop)`` slices of ``value`` that ``terms`` match,
    sorted and merged: a word where its folding is ("muller" in "Müller",
    with the accent), digits whatever the punctuation between them ("555
    0123" in "(555) 01-23"), and a whole phone number whose key matches.
    """
    if not value or not terms:
        return []
    folded, origin = [], []
    for i, character in enumerate(value):
        for c in _fold_character(character):
            folded.append(c)
            origin.append(i)
    folded = "".join(folded)
    digits = [i for i, c in enumerate(value) if c.isdigit()]
    digit_text = "".join(value[i] for i in digits)
    numbers = {n for word in terms.words for n in word.numbers} | set(terms.phone)
    spans = [
        *_found(folded, origin, {word.text for word in terms.words}),
        *_found(digit_text, digits, numbers),
    ]
    # A number not in the value's digits may be in its key: the number typed
    # in another format ("06 12..." for "+33 6 12..."). Then mark all of it.
    elsewhere = {number for number in numbers if number not in digit_text}
    if elsewhere and PHONE_NUMBER.fullmatch(value.strip()):
        key = phone_key(value)
        if any(number in key for number in elsewhere):
            spans.append((0, len(value) - 1))
    return _merged(value, spans)


def _found(text, origin, needles):
    """Yield (first, last) indexes in the original value of each needle in ``text``."""
    for needle in needles:
        start = text.find(needle)
        while needle and start >= 0:
            yield origin[start], origin[start + len(needle) - 1]
            start = text.find(needle, start + 1)


def _merged(value, spans):
    merged = []
    for first, last in sorted(spans):
        stop = last + 1
        # Take the marks that follow a matched letter with it (a decomposed "é").
        while stop < len(value) and not _fold_character(value[stop]):
            stop += 1
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], stop))
        else:
            merged.append((first, stop))
    return merged
