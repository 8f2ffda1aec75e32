"""
CSV layouts: Google Contacts (both exports), Outlook (UTF-16), a French
Excel sheet and Thunderbird's CSV, each read with every field in its place.
"""

from pathlib import Path

import pytest

from crm.imports.layouts import FIELDS, guess, recognise
from crm.imports.records import ImportRecord

from .files import read

FIXTURES = Path(__file__).parent / "fixtures"


def read_fixture(name, **kwargs):
    return read((FIXTURES / name).read_bytes(), name=name, **kwargs)


def address(street="", city="", region="", postal_code="", country="", label="other"):
    return dict(
        street=street,
        city=city,
        region=region,
        postal_code=postal_code,
        country=country,
        label=label,
    )


def test_google_contacts_csv():
    info, [jose, zoe, brasserie] = read_fixture("google.csv")
    assert (info.encoding, info.delimiter, info.layout) == ("utf-8", ",", "google")
    assert info.rows_estimate == 3
    assert set(info.mapping) <= {*FIELDS, ""}
    assert jose == ImportRecord(
        line=2,
        cells=jose.cells,
        honorific_prefix="Dr.",
        given_name="José",
        additional_names="Luis",
        family_name="Müller",
        honorific_suffix="PhD",
        nickname="Pepe",
        organization="Acme Ibérica",
        job_title="Director técnico",
        notes="Met at the Lisbon fair.\nPrefers WhatsApp.",
        # "* Work" is the preferred label: its values first; " ::: " separates values.
        emails=[
            ("jose.muller@acme.example", "work"),
            ("jlm@acme.example", "work"),
            ("pepe@example.es", "home"),
        ],
        phones=[("+34 612 34 56 78", "mobile"), ("+34 91 123 45 67", "office")],
        addresses=[
            address(
                "Calle de Alcalá 42\nPlanta 3",
                "Madrid",
                "Comunidad de Madrid",
                "28014",
                "España",
                "work",
            )
        ],  # fmt: skip
        urls=[("https://pepe.example.es/blog", "blog")],
        dates=[("birthday", "", "1980-04-03"), ("anniversary", "", "2010-09-18")],
        tags=["VIP", "Fornecedores"],
    )
    assert len(jose.cells) == 38
    assert (zoe.given_name, zoe.family_name, zoe.emails) == (
        "Zoë",
        "Ørsted",
        [("zoe@example.dk", "other")],
    )
    assert zoe.dates == [("birthday", "", "--12-24")] and zoe.tags == []
    assert (brasserie.full_name, brasserie.given_name, brasserie.tags) == ("", "", ["Restaurants"])
    assert brasserie.phones == [("+33 1 42 68 53 00", "office")]


def test_google_contacts_older_csv():
    info, [soren, ana] = read_fixture("google-old.csv")
    assert info.layout == "google"
    assert (soren.full_name, soren.given_name, soren.additional_names, soren.family_name) == (
        "Søren Kierkegaard", "Søren", "Aabye", "Kierkegaard",
    )  # fmt: skip
    assert (soren.organization, soren.job_title, soren.notes) == (
        "Københavns Universitet", "Lecturer", "Philosopher.",
    )  # fmt: skip
    assert soren.emails == [("soren@example.dk", "home"), ("s.kierkegaard@uni.example.dk", "work")]
    assert soren.phones == [("+45 20 12 34 56", "mobile"), ("+45 33 12 34 56", "fax")]
    assert soren.addresses == [address("Nytorv 2", "København K", "", "1450", "Denmark", "home")]
    assert soren.urls == [("https://social.example/@soren", "profile")]
    assert soren.tags == ["Friends"]
    assert soren.dates == [("birthday", "", "1813-05-05")]
    # Only a full name: split into its parts.
    assert (ana.full_name, ana.given_name, ana.additional_names, ana.family_name) == (
        "Ana María Silva", "Ana", "María", "Silva",
    )  # fmt: skip
    assert ana.emails == [("ana@example.pt", "other"), ("ana.silva@example.pt", "other")]
    assert ana.phones == [("+351 21 123 4567", "office"), ("+351 21 765 4321", "office")]
    assert ana.dates == [("birthday", "", "--02-29")]


def test_outlook_csv_in_utf16():
    info, [siobhan, an] = read_fixture("outlook.csv")
    assert (info.encoding, info.delimiter, info.layout) == ("utf-16", ",", "outlook")
    assert siobhan == ImportRecord(
        line=2,
        cells=siobhan.cells,
        honorific_prefix="Ms.",
        given_name="Siobhán",
        additional_names="Máire",
        family_name="O'Brien",
        organization="Contoso Ltd.",
        job_title="Account Manager",
        notes="Prefers email.\r\nCall after 10 am.",
        emails=[("siobhan@contoso.example", "other"), ("siobhan.obrien@example.ie", "other")],
        phones=[
            ("(425) 555-0199", "fax"),
            ("(425) 555-0100", "office"),
            ("+33 1 42 00 00 00", "home"),
            ("(425) 555-0122", "mobile"),
        ],
        addresses=[
            address(
                "One Microsoft Way\nBuilding 92",
                "Redmond",
                "WA",
                "98052",
                "United States of America",
                "work",
            ),
            address("12 Rue de la Paix", "Paris", "", "75002", "France", "home"),
        ],  # fmt: skip
        urls=[("http://www.contoso.example/", "other")],
        # Outlook writes "0/0/00" for no date; these are month/day/year.
        dates=[("anniversary", "", "6/11/2005"), ("birthday", "", "4/3/1980")],
        tags=["VIP", "Customers"],
    )
    assert (an.given_name, an.family_name, an.dates) == ("Nguyễn", "Văn An", [])
    assert an.phones == [("+84 90 123 45 67", "mobile")]


def test_a_french_excel_sheet_is_guessed():
    info, [amelie, jf] = read_fixture("excel-fr.csv")
    assert (info.encoding, info.delimiter, info.layout) == ("cp1252", ";", "custom")
    assert info.mapping == [
        "family_name", "given_name", "organization", "email.other", "phone.mobile",
        "phone.office", "address.other.street", "address.other.postal_code",
        "address.other.city", "address.other.country", "", "notes",
    ]  # fmt: skip
    assert (amelie.given_name, amelie.family_name, amelie.notes) == (
        "Amélie", "Lefèvre", "Végétarienne – pas de café",
    )  # fmt: skip
    assert amelie.phones == [("06 12 34 56 78", "mobile"), ("01 42 68 53 00", "office")]
    assert amelie.addresses == [address("3 place du Marché", "Rennes", "", "35000", "France")]
    assert (jf.given_name, jf.emails) == ("Jean-François", [("jf.dupont@example.fr", "other")])


def test_thunderbird_csv_is_guessed():
    info, [ingrid] = read_fixture("thunderbird.csv")
    assert info.layout == "custom"
    mapping = dict(zip(info.header, info.mapping, strict=True))
    assert mapping["Display Name"] == "full_name"
    assert mapping["Primary Email"] == mapping["Secondary Email"] == "email.other"
    assert (mapping["Birth Year"], mapping["Custom 1"]) == ("", "")
    assert (ingrid.given_name, ingrid.family_name, ingrid.nickname) == (
        "Ingrid",
        "Þórsdóttir",
        "Inga",
    )
    assert ingrid.phones == [
        ("+354 511 2345", "office"),
        ("+354 411 2345", "home"),
        ("+354 611 2345", "mobile"),
    ]
    assert ingrid.addresses == [
        address("Laugavegur 1\nÍbúð 3", "Reykjavík", "", "101", "Iceland", "home"),
        address("Sæmundargata 2", "Reykjavík", "", "102", "Iceland", "work"),
    ]
    assert (ingrid.organization, ingrid.job_title) == ("Háskóli Íslands", "Lektor")
    assert ingrid.urls == [
        ("https://ingrid.example.is", "other"),
        ("https://hi.example.is", "other"),
    ]


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("Name", "full_name"),
        ("Full name", "full_name"),
        ("First name", "given_name"),
        ("Surname", "family_name"),
        ("E-mail", "email.other"),
        ("Email (work)", "email.work"),
        ("Home email", "email.home"),
        ("Phone", "phone.other"),
        ("Work phone", "phone.office"),
        ("Company phone", "phone.office"),
        ("Mobile", "phone.mobile"),
        ("Cell", "phone.mobile"),
        ("Fax", "phone.fax"),
        ("Company", "organization"),
        ("Company name", "organization"),
        ("Job title", "job_title"),
        ("City", "address.other.city"),
        ("Work city", "address.work.city"),
        ("ZIP", "address.other.postal_code"),
        ("State", "address.other.region"),
        ("Street address", "address.other.street"),
        ("Website", "url.other"),
        ("Date of birth", "birthday"),
        ("Tags", "tags"),
        ("Notes", "notes"),
        ("Favourite colour", ""),
    ],
)
def test_a_column_is_guessed_from_its_title(title, key):
    assert guess(title) == key


def test_known_layouts_are_recognised_by_their_header():
    ours = ["Display name", "Prefix", "Given name", "Additional names", "Family name", "Suffix"]
    ours += ["Nickname", "Organisation", "Job title", "Email 1", "Email 1 label", "Tags"]
    assert recognise(ours) == (
        "crm",
        ["full_name", "honorific_prefix", "given_name", "additional_names", "family_name",
         "honorific_suffix", "nickname", "organization", "job_title", "email.other",
         "email.label", "tags"],
    )  # fmt: skip
    assert recognise(["Given Name", "Family Name", "Group Membership"])[0] == "google"
    assert (
        recognise(["First Name", "Last Name", "E-mail Address", "Business Phone"])[0] == "outlook"
    )
    assert recognise(["First Name", "Last Name", "Email"]) == (
        "custom",
        ["given_name", "family_name", "email.other"],
    )


def test_a_label_column_goes_with_the_value_beside_it():
    # Ours: the label after its value; Google's: before.
    text = (
        "Name,Email 1,Email 1 label,Email 2,Email 2 label,Phone label,Phone\r\n"
        "Ada,ada@example.org,Work,ada@home.example,Personal,Fax,+44 20 7946 0000\r\n"
        "Bo,bo@example.org,,,,,\r\n"
    )
    mapping = ["full_name", "email.other", "email.label", "email.other", "email.label"]
    mapping += ["phone.label", "phone.other"]
    _, [ada, bo] = read(text.encode(), mapping=mapping)
    assert ada.emails == [("ada@example.org", "work"), ("ada@home.example", "home")]
    assert ada.phones == [("+44 20 7946 0000", "fax")]
    assert bo.emails == [("bo@example.org", "other")]
