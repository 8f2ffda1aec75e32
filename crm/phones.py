"""
The phone rules: what a number may contain, its key, and how to dial it.

A number is kept as typed, for display. Its key is what sharing,
de-duplication and search compare: the digits of its E.164 form when
``phonenumbers`` (Google's libphonenumber, which knows each country's
numbering plan) reads it as a whole number, in ``CRM_PHONE_REGION`` when
typed without a country code; else the digits as typed, and the number is
marked as not normalised (an internal extension, a short code).
"""

import re

import phonenumbers
from django.core.exceptions import ValidationError

from .conf import settings

# Digits and the punctuation people type between them.
PHONE_CHARACTERS = re.compile(r"[\d\s()+\-./]+")
# A number as typed: that, then perhaps an extension ("x12", "ext. 12", "#12").
PHONE_NUMBER = re.compile(
    rf"{PHONE_CHARACTERS.pattern}(?:\s*(?:x|ext\.?|extension|\#)\s*\d+)?", re.IGNORECASE
)
MIN_DIGITS = 3
MAX_DIGITS = 20


def phone_digits(number):
    """Return the digits of ``number`` as typed, punctuation dropped."""
    return re.sub(r"\D", "", number or "")


def normalize(number):
    r"""
    Return ``(key, e164)`` for ``number``: its sharing and search key, and
    its E.164 form, or None when it is kept as typed.

    A number is normalised when it is *possible*, not only when it is
    *valid*: its length fits its country's numbering plan, and so does its
    shape (the plan's general pattern, like ``[2-9]\d{9}`` for +1), even when
    the range is not assigned yet. libphonenumber calls many ranges invalid
    that people still type (demo and fictional numbers, ranges opened after
    its metadata was built), and refusing them would split one number into
    several keys. Local-only numbers (seven digits in the US) and anything
    unparseable keep their digits as key. A number with an extension is
    kept as typed too (E.164 has no extension), keyed by its E.164 digits
    followed by the extension's.
    """
    parsed = _parse(number)
    if parsed is None or not _possible(parsed):
        return phone_digits(number), None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if parsed.extension:
        # E.164 has no extension: kept as typed, keyed so that every spelling
        # of the same number and extension is one line.
        return e164[1:] + parsed.extension, None
    return e164[1:], e164


def phone_key(number):
    """Return the key of ``number`` that sharing, de-duplication and search compare."""
    return normalize(number)[0]


def international(e164):
    """Return a normalised number in international format: "+33 6 12 34 56 78"."""
    parsed = phonenumbers.parse(e164)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _parse(number):
    try:
        return phonenumbers.parse(number or "", settings.PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None


def _possible(parsed):
    """Whether ``parsed`` has a possible length and the shape of its country's numbers."""
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        return False
    if phonenumbers.is_valid_number(parsed):
        return True
    national = phonenumbers.national_significant_number(parsed)
    code = parsed.country_code
    for region in phonenumbers.region_codes_for_country_code(code):
        metadata = phonenumbers.PhoneMetadata.metadata_for_region_or_calling_code(code, region)
        pattern = metadata and metadata.general_desc.national_number_pattern
        if pattern and re.fullmatch(pattern, national):
            return True
    return False


def validate_phone_number(number):
    """
    Raise ``ValidationError`` unless ``number`` is phone punctuation and 3 to
    20 digits, perhaps with an extension at the end ("x12", "ext. 12").
    """
    if not PHONE_NUMBER.fullmatch(number):
        raise ValidationError(
            "Use digits, spaces and + - ( ) . / only, and x or ext before an extension.",
            code="phone_characters",
        )
    if not MIN_DIGITS <= len(phone_digits(number)) <= MAX_DIGITS:
        raise ValidationError(
            f"A phone number has {MIN_DIGITS} to {MAX_DIGITS} digits.", code="phone_digits"
        )


def tel_uri(number):
    """
    Return the ``tel:`` URI that dials ``number`` as typed.

    A number that phonenumbers reads as a valid number (in ``CRM_PHONE_REGION``
    when typed without a country code) is dialed in E.164 form,
    ``tel:+33612345678``. Any other is dialed as its digits, after a "+" if it
    was typed with one: the number as typed is the best guess left. An
    extension follows a valid number as ``;ext=12``.
    """
    parsed = _parse(number)
    if parsed is not None and phonenumbers.is_valid_number(parsed):
        e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
        # RFC 3966's extension parameter: phones dial it after the call connects.
        return f"tel:{e164};ext={parsed.extension}" if parsed.extension else f"tel:{e164}"
    plus = "+" if number.lstrip().startswith("+") else ""
    return f"tel:{plus}{phone_digits(number)}"
