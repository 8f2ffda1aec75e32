"""
The phone rules: what a number may contain, its digits, and how to dial it.

A number is kept as typed; its digits are what search and de-duplication
compare. Dialing goes through ``phonenumbers`` (Google's libphonenumber),
which knows each country's numbering plan.
"""

import re

import phonenumbers
from django.core.exceptions import ValidationError

from .conf import settings

# Digits and the punctuation people type between them.
PHONE_CHARACTERS = re.compile(r"[\d\s()+\-./]+")
MIN_DIGITS = 3
MAX_DIGITS = 20


def normalize_phone(number):
    """Return the digits of ``number``: the form used for search and de-duplication."""
    return re.sub(r"\D", "", number or "")


def validate_phone_number(number):
    """Raise ``ValidationError`` unless ``number`` is phone punctuation and 3 to 20 digits."""
    if not PHONE_CHARACTERS.fullmatch(number):
        raise ValidationError("Use digits, spaces and + - ( ) . / only.", code="phone_characters")
    if not MIN_DIGITS <= len(normalize_phone(number)) <= MAX_DIGITS:
        raise ValidationError(
            f"A phone number has {MIN_DIGITS} to {MAX_DIGITS} digits.", code="phone_digits"
        )


def tel_uri(number):
    """
    Return the ``tel:`` URI that dials ``number`` as typed.

    A number that phonenumbers reads as a valid number (in ``CRM_PHONE_REGION``
    when typed without a country code) is dialed in E.164 form,
    ``tel:+33612345678``. Any other is dialed as its digits, after a "+" if it
    was typed with one: the number as typed is the best guess left.
    """
    try:
        parsed = phonenumbers.parse(number, settings.PHONE_REGION)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is not None and phonenumbers.is_valid_number(parsed):
        return "tel:" + phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    plus = "+" if number.lstrip().startswith("+") else ""
    return f"tel:{plus}{normalize_phone(number)}"
