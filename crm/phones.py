"""
The phone rules: what a number may contain and its digits.

A number is kept as typed; its digits are what search and de-duplication
compare.
"""

import re

from django.core.exceptions import ValidationError

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
