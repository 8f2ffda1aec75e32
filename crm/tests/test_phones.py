"""The phone rules: keys, what a number may contain, how a link dials it."""

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ValidationError

from crm.models import Phone
from crm.phones import international, normalize, phone_digits, tel_uri, validate_phone_number
from crm.services.contacts import phone_link_or_create


def test_digits_ignore_punctuation():
    assert phone_digits("+1 (555) 01-23") == "15550123"
    assert phone_digits("") == phone_digits(None) == ""


# (CRM_PHONE_REGION, number as typed, key, E.164 or None when kept as typed)
NORMALISATION = [
    # One US number in four spellings: one key, its E.164 digits. The 200 area
    # code is not assigned, so libphonenumber calls it possible, not valid.
    ("US", "+1 (200) 000-0682", "12000000682", "+12000000682"),
    ("US", "200 000 0682", "12000000682", "+12000000682"),
    ("US", "(200) 000-0682", "12000000682", "+12000000682"),
    ("US", "+1-200-000-0682", "12000000682", "+12000000682"),
    # One French mobile, international anywhere, national in France.
    ("US", "+33 6 12 34 56 78", "33612345678", "+33612345678"),
    ("FR", "06 12 34 56 78", "33612345678", "+33612345678"),
    ("FR", "0612345678", "33612345678", "+33612345678"),
    # In the US the same digits are no number (no US number starts with 0).
    ("US", "0612345678", "0612345678", None),
    ("GB", "020 7946 0000", "442079460000", "+442079460000"),
    ("US", "+44 20 7946 0000", "442079460000", "+442079460000"),
    # Kept as typed: an internal extension, a short code, a local-only
    # number, a country code that does not exist.
    ("US", "1234", "1234", None),
    ("US", "911", "911", None),
    ("US", "555 0199", "5550199", None),
    ("US", "+999 12", "99912", None),
    # An extension is another line than the number alone, kept as typed; its
    # key is the number's E.164 digits and the extension's, however typed.
    ("US", "+1 202 555 0143 x12", "1202555014312", None),
    ("US", "(202) 555-0143 ext. 12", "1202555014312", None),
    ("US", "555 0199 x12", "555019912", None),
]


@pytest.mark.parametrize(("region", "number", "key", "e164"), NORMALISATION)
def test_a_number_is_keyed_by_its_e164_digits_when_possible(settings, region, number, key, e164):
    settings.CRM_PHONE_REGION = region
    assert normalize(number) == (key, e164)


@pytest.mark.django_db
def test_numbers_link_the_same_phone_exactly_when_their_keys_are_equal(settings):
    phones = {}
    for region, number, key, _ in NORMALISATION:
        settings.CRM_PHONE_REGION = region
        phones.setdefault(key, set()).add(phone_link_or_create(number=number).pk)
    assert all(len(pks) == 1 for pks in phones.values()), phones
    assert Phone.objects.count() == len(phones)
    assert Phone.objects.get(digits="12000000682").number == "+1 (200) 000-0682"


@pytest.mark.django_db
def test_a_number_that_does_not_normalise_is_kept_as_typed_and_marked():
    for number in ["1234", "+999 12", "555 0199"]:
        phone = phone_link_or_create(number=number)
        phone.refresh_from_db()
        assert (phone.number, phone.digits, phone.e164) == (number, phone_digits(number), "")
        assert phone.international == ""
    phone = phone_link_or_create(number="(200) 000-0682")
    phone.refresh_from_db()
    assert (phone.number, phone.e164) == ("(200) 000-0682", "+12000000682")
    assert phone.international == international("+12000000682") == "+1 200-000-0682"


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
    for extension in ["555 0100 x12", "555 0100 ext. 12", "555 0100 #12", "555-0100 Extension 1"]:
        validate_phone_number(extension)


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
        ("(202) 555-0143 x12", "tel:+12025550143;ext=12"),
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
