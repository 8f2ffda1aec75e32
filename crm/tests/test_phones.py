"""The phone rules: digits, what a number may contain, how a link dials it."""

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ValidationError

from crm.phones import normalize_phone, tel_uri, validate_phone_number


def test_digits_ignore_punctuation():
    assert normalize_phone("+1 (555) 01-23") == "15550123"
    assert normalize_phone("") == normalize_phone(None) == ""


@pytest.mark.parametrize(
    ("number", "code"),
    [("()", "phone_digits"), ("12", "phone_digits"), ("1" * 21, "phone_digits")]
    + [("call me", "phone_characters"), ("-2+3+cmd|' /C calc'!A0", "phone_characters")],
)
def test_a_number_is_phone_punctuation_and_3_to_20_digits(number, code):
    with pytest.raises(ValidationError) as refused:
        validate_phone_number(number)
    assert refused.value.code == code
    validate_phone_number("+1 (555) 01-23 / 4.5")


@pytest.mark.parametrize(
    ("number", "uri"),
    [
        ("+33 6 12 34 56 78", "tel:+33612345678"),
        ("(202) 555-0143", "tel:+12025550143"),
        ("1-202-555-0143", "tel:+12025550143"),
        ("+44 (0)20 7946 0000", "tel:+442079460000"),
        # Not valid where it says or in the default region: dialed as typed.
        ("555 0199", "tel:5550199"),
        ("06 12 34 56 78", "tel:0612345678"),
        ("+999 12", "tel:+99912"),
    ],
)
def test_tel_uri_is_e164_when_the_number_is_valid(number, uri):
    assert tel_uri(number) == uri


def test_tel_uri_reads_a_national_number_in_crm_phone_region(settings):
    settings.CRM_PHONE_REGION = "FR"
    assert tel_uri("06 12 34 56 78") == "tel:+33612345678"
    assert tel_uri("(202) 555-0143") == "tel:2025550143"


def crm_errors():
    return [error.id for error in run_checks() if error.id.startswith("crm.")]


@pytest.mark.parametrize("region", ["XX", "fr", ""])
def test_an_unknown_phone_region_is_reported(settings, region):
    assert crm_errors() == []
    settings.CRM_PHONE_REGION = region
    assert crm_errors() == ["crm.E001"]


def test_an_unset_phone_region_is_the_default(settings):
    settings.CRM_PHONE_REGION = None  # what crm/settings.py declares without the variable
    assert crm_errors() == []
    assert tel_uri("(202) 555-0143") == "tel:+12025550143"
