"""Dates as files write them, full names split into parts, labels as files name them."""

import pytest

from crm.imports.values import label_from_text, parse_date, split_full_name


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("1980-04-03", (1980, 4, 3)),
        ("19800403", (1980, 4, 3)),
        ("--0403", (None, 4, 3)),
        ("--04-03", (None, 4, 3)),
        ("--02-29", (None, 2, 29)),
        ("1980-04-03T00:00:00Z", (1980, 4, 3)),
        ("4/3/1980", (1980, 4, 3)),  # Outlook: month first
        ("12/24/2001", (2001, 12, 24)),
        ("1980/04/03", (1980, 4, 3)),
        ("3.4.1980", (1980, 4, 3)),  # day first
        ("14.07.1989", (1989, 7, 14)),
        (" 1980-04-03 ", (1980, 4, 3)),
    ],
)
def test_dates_in_the_forms_exports_write(text, date):
    assert parse_date(text) == date


@pytest.mark.parametrize(
    "text",
    ["", "tomorrow", "1980-02-30", "2001-02-29", "13/1/1980", "24/12/2001", "1980-13-01",
     "0000-01-01", "--13-01", "4/3/80", "1980-4", "circa 1800"],
)  # fmt: skip
def test_what_is_not_a_date_says_so(text):
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(text)


def parts(prefix="", given="", additional="", family="", suffix=""):
    return {
        "honorific_prefix": prefix,
        "given_name": given,
        "additional_names": additional,
        "family_name": family,
        "honorific_suffix": suffix,
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Dr. Ana María Silva Jr.", parts("Dr.", "Ana", "María", "Silva", "Jr.")),
        ("Silva, Ana", parts(given="Ana", family="Silva")),
        ("Silva, Ana María", parts(given="Ana", additional="María", family="Silva")),
        ("Ada Lovelace", parts(given="Ada", family="Lovelace")),
        ("Madonna", parts(given="Madonna")),
        ("  Zoë   Ørsted  ", parts(given="Zoë", family="Ørsted")),
        ("Ludwig van Beethoven", parts(given="Ludwig", family="van Beethoven")),
        ("Charles de la Fontaine", parts(given="Charles", family="de la Fontaine")),
        ("Ana Silva, PhD", parts(given="Ana", family="Silva", suffix="PhD")),
        ("Prof. Dr. Hans Müller", parts("Prof. Dr.", "Hans", "", "Müller")),
        ("Martin Luther King Jr", parts("", "Martin", "Luther", "King", "Jr")),
        ("", parts()),
    ],
)
def test_a_full_name_is_split_into_its_parts(name, expected):
    assert split_full_name(name) == expected


@pytest.mark.parametrize(
    ("kind", "text", "label"),
    [
        ("phone", "Mobile", "mobile"),
        ("phone", "* Mobile", "mobile"),
        ("phone", "_$!<Mobile>!$_", "mobile"),
        ("phone", "iPhone", "mobile"),
        ("phone", "Work", "office"),
        ("phone", "Office", "office"),
        ("phone", "_$!<HomeFAX>!$_", "fax"),
        ("phone", "Home Fax", "fax"),
        ("phone", "Pager", None),
        ("email", "* Work", "work"),
        ("email", "Personal", "home"),
        ("email", "Other", "other"),
        ("url", "Personal", "home"),
        ("url", "_$!<HomePage>!$_", "home"),
        ("url", "Blog", "blog"),
        ("address", "Business", "work"),
        ("address", "", None),
        ("address", "Gym", None),
    ],
)
def test_labels_as_files_name_them(kind, text, label):
    assert label_from_text(kind, text) == label
