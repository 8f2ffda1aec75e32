"""Our own CSV and vCard exports read back: every field of a fully filled contact."""

import io

import pytest

from crm.exports import csv_lines, vcards
from crm.imports.readers import inspect, read_records
from crm.models import ADDRESS_FIELDS, Contact
from crm.phones import phone_key

# The exports' own fully filled contact, read back here.
from crm.tests.test_exports_full_contact import (
    ADDRESSES,
    EMAILS,
    NOTES,
    PHONES,
    TAGS,
    URLS,
    ada,  # noqa: F401 - a fixture
)

pytestmark = pytest.mark.django_db


def read_back(text, name):
    stream = io.BytesIO(text.encode())
    info = inspect(stream, name=name)
    [record] = [r for r in read_records(stream, info) if r.full_name == "Ada Lovelace"]
    return info, record


def assert_every_field(record):
    assert record.full_name == "Ada Lovelace"
    parts = [record.honorific_prefix, record.given_name, record.additional_names]
    parts += [record.family_name, record.honorific_suffix]
    assert parts == ["Lady", "Augusta", "Ada Zoë", "King", "Countess of Lovelace"]
    assert (record.nickname, record.organization, record.job_title) == (
        "Ada, the Enchantress",
        "Analytical Engine; Ltd.",
        "Programmer, first",
    )
    assert record.notes == NOTES
    # The primary email first.
    assert record.emails == [(a, label) for a, label, _ in [EMAILS[1], EMAILS[0], EMAILS[2]]]
    assert [(phone_key(number), label) for number, label in record.phones] == [
        (phone_key(number), label) for number, label in PHONES
    ]
    assert record.phones[-1] == ("112", "other")
    assert record.addresses == [
        dict(zip(ADDRESS_FIELDS, parts, strict=True)) | {"label": label}
        for parts, label in ADDRESSES
    ]
    assert record.urls == URLS
    assert sorted(record.tags) == TAGS
    assert record.warnings == []


def test_our_csv_export_gives_back_every_field(ada):  # noqa: F811 - the fixture
    text = "".join(csv_lines(Contact.objects.all()))
    info, record = read_back(text, "contacts.csv")
    assert (info.encoding, info.layout, info.rows_estimate) == ("utf-8-sig", "crm", 2)
    assert_every_field(record)
    # As written, ISO dates: "--07-08" has no year.
    assert record.dates == [
        ("birthday", "", "1815-12-10"),
        ("anniversary", "", "--07-08"),
        ("other", "Met Babbage, at a party; London", "1833-06-05"),
    ]
    # The apostrophe that kept a spreadsheet from running "+44..." is dropped, once.
    assert record.phones[0] == ("+44 20 7946 0000", "office")
    assert "'+44 20 7946 0000" in record.cells


@pytest.mark.parametrize(
    ("version", "dates"),
    [
        ("4.0", ["18151210", "--0708", "1833-06-05"]),
        ("3.0", ["1815-12-10", "--07-08", "1833-06-05"]),
    ],
)
def test_our_vcard_exports_give_back_every_field(ada, version, dates):  # noqa: F811
    text = "".join(vcards(Contact.objects.all(), version))
    info, record = read_back(text, "contacts.vcf")
    assert (info.format, info.rows_estimate) == ("vcard", 2)
    assert_every_field(record)
    assert record.dates == [
        ("birthday", "", dates[0]),
        ("anniversary", "", dates[1]),
        ("other", "Met Babbage, at a party; London", dates[2]),
    ]
