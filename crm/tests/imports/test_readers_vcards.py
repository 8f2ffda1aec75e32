"""
vCards 2.1, 3.0 and 4.0 as iPhone, Android, Outlook, Google and Thunderbird
write them, each read with every field in its place.
"""

from pathlib import Path

from crm.imports.records import ImportRecord

from .files import read

FIXTURES = Path(__file__).parent / "fixtures"


def read_fixture(name):
    info, records = read((FIXTURES / name).read_bytes(), name=name)
    assert (info.format, info.layout, info.delimiter, info.header, info.mapping) == (
        "vcard", "vcard", "", [], [],
    )  # fmt: skip
    return info, records


def address(street="", city="", region="", postal_code="", country="", label="other"):
    return dict(
        street=street,
        city=city,
        region=region,
        postal_code=postal_code,
        country=country,
        label=label,
    )


def test_iphone_vcard_30():
    info, [bjorn, orsted] = read_fixture("iphone.vcf")
    assert (info.encoding, info.rows_estimate) == ("utf-8", 2)
    assert bjorn == ImportRecord(
        line=1,
        full_name="Björn Erik Åström",
        given_name="Björn",
        additional_names="Erik",
        family_name="Åström",
        nickname="Bjösse",
        organization="Volvo Cars, R&D",
        job_title="Engineer",
        # Folded, with escaped commas and a new line.
        notes="Met at the conference in Malmö, 2019. He knows everybody in the electric-car "
        "business in Gothenburg.\nLikes fika.",
        # The preferred first.
        emails=[("bjorn@example.se", "home"), ("bjorn.astrom@volvo.example.com", "work")],
        phones=[
            ("+46 70 123 45 67", "mobile"),
            ("+46 70 765 43 21", "mobile"),
            ("+46 31 59 00 00", "office"),  # item1.X-ABLabel: _$!<Main>!$_
            ("+46 31 12 34 56", "fax"),
        ],
        addresses=[
            address("Storgatan 1\nLägenhet 1102", "Göteborg", "", "411 38", "Sweden", "home")
        ],
        urls=[("https://bjorn.example.se", "home")],
        dates=[
            ("birthday", "", "--03-15"),  # X-APPLE-OMIT-YEAR
            ("anniversary", "", "2015-06-20"),
            ("other", "Started at Volvo", "2019-09-01"),
        ],
        tags=["Friends", "Work"],
        warnings=["Photo skipped: photos are not imported."],
    )
    # A company's card: its name is not split into a person's.
    assert (orsted.full_name, orsted.organization, orsted.given_name) == (
        "Ørsted A/S",
        "Ørsted A/S",
        "",
    )
    assert orsted.phones == [("+45 99 55 11 11", "office")]
    assert orsted.urls == [("https://orsted.example", "home")]


def test_android_vcard_21_quoted_printable():
    info, [jurgen, ana] = read_fixture("android.vcf")
    assert jurgen == ImportRecord(
        line=1,
        full_name="Jürgen Müller",
        given_name="Jürgen",
        family_name="Müller",
        organization="Siemens",
        job_title="Projektleiter",
        notes="Erste Zeile\nZweite Zeile, mit einem sehr langen Text, der umbrochen wird (grüße).",
        emails=[("juergen@example.de", "home"), ("j.mueller@example.com", "work")],
        phones=[
            ("+49 151 23456789", "mobile"),
            ("+49 30 1234567", "home"),
            ("+49 30 7654321", "fax"),
            ("+49 30 1111111", "office"),
        ],
        addresses=[address("Hauptstraße 5", "München", "Bayern", "80331", "Deutschland", "home")],
        dates=[("birthday", "", "1975-11-02")],
        warnings=["Photo skipped: photos are not imported."],
    )
    # N empty: the full name split.
    assert (ana.line, ana.full_name) == (2, "Dr. Ana María Silva Jr.")
    assert (ana.honorific_prefix, ana.given_name, ana.additional_names) == ("Dr.", "Ana", "María")
    assert (ana.family_name, ana.honorific_suffix) == ("Silva", "Jr.")
    assert ana.phones == [("0612345678", "mobile")]
    assert ana.emails == [("ana@example.pt", "other")]


def test_outlook_vcard_21_in_windows_1252():
    info, [siobhan] = read_fixture("outlook.vcf")
    assert info.encoding == "cp1252"
    assert siobhan == ImportRecord(
        line=1,
        full_name="Siobhán O'Brien",
        honorific_prefix="Ms.",
        given_name="Siobhán",
        additional_names="Máire",
        family_name="O'Brien",
        organization="Contoso Ltd., Sales",
        job_title="Account Manager",
        notes="Prefers email.\nCall after 10 am, not before. Café fan.",
        emails=[("siobhan@contoso.example", "other")],
        phones=[
            ("(425) 555-0100", "office"),
            ("(425) 555-0111", "home"),
            ("(425) 555-0122", "mobile"),
            ("(425) 555-0199", "fax"),
        ],
        addresses=[
            address(
                "One Microsoft Way\nBuilding 92",
                "Redmond",
                "WA",
                "98052",
                "United States of America",
                "work",
            )
        ],  # fmt: skip
        urls=[("http://www.contoso.example/", "work")],
        dates=[("birthday", "", "19800403"), ("anniversary", "", "20050611")],
        tags=["VIP", "Customers"],
    )


def test_google_vcard_30():
    _, [lukasz] = read_fixture("google.vcf")
    assert lukasz == ImportRecord(
        line=1,
        full_name="Łukasz Nowak",
        given_name="Łukasz",
        family_name="Nowak",
        nickname="Łuki",
        organization="Allegro",
        job_title="Developer",
        notes="Prefers Signal.",
        emails=[("lukasz@example.pl", "home"), ("l.nowak@example.com", "work")],
        phones=[("+48 600 123 456", "mobile"), ("+48 22 123 45 67", "office")],
        addresses=[address("ul. Marszałkowska 1", "Warszawa", "", "00-001", "Polska", "home")],
        urls=[("http://lukasz.example.pl", "home")],
        dates=[("birthday", "", "--06-24"), ("other", "Wedding", "2018-05-12")],
        tags=["Family"],  # not Google's "myContacts"
    )


def test_thunderbird_vcard_40():
    _, [ingrid] = read_fixture("thunderbird.vcf")
    assert ingrid == ImportRecord(
        line=1,
        full_name="Ingrid Þórsdóttir",
        given_name="Ingrid",
        family_name="Þórsdóttir",
        nickname="Inga",
        organization="Háskóli Íslands, Eðlisfræði",
        job_title="Lektor",
        notes="Plays the cello, and the piano.\nLives near Hallgrímskirkja; walks to work.",
        emails=[("ingrid@example.is", "other"), ("ingrid@vinna.example.is", "work")],
        phones=[
            ("+354 611 2345", "mobile"),
            ("+354 511 2345", "office"),
            ("+354-411-2345 ext. 12", "home"),
        ],
        addresses=[address("Sæmundargata 2", "Reykjavík", "", "102", "Iceland", "work")],
        urls=[("https://hi.example.is", "work")],
        dates=[("birthday", "", "19850214"), ("anniversary", "", "20100705")],
        tags=["Colleagues", "Iceland"],
    )


def test_many_cards_stream_one_at_a_time():
    cards = "".join(
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Person {i}\r\nN:{i};Person;;;\r\n"
        f"EMAIL:p{i}@example.org\r\nEND:VCARD\r\n"
        for i in range(1, 2501)
    )
    info, records = read(cards.encode(), name="all.vcf")
    assert 2000 < info.rows_estimate < 3000
    assert len(records) == 2500
    assert (records[-1].line, records[-1].family_name, records[-1].emails) == (
        2500, "2500", [("p2500@example.org", "other")],
    )  # fmt: skip


def test_a_card_cut_short_or_with_a_line_that_does_not_read():
    text = (
        "BEGIN:VCARD\nVERSION:2.1\nFN:Ada\nNOTE;CHARSET=x-unknown;ENCODING=QUOTED-PRINTABLE:a=E9\n"
        "TEL;CELL:+44 20 7946 0000\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Cut Short\nTEL:112\n"
    )
    _, [ada, cut] = read(text.encode(), name="cards.vcf")
    assert (ada.full_name, ada.notes, ada.phones) == ("Ada", "", [("+44 20 7946 0000", "mobile")])
    assert ada.warnings == ["A NOTE line could not be read and was left out."]
    assert (cut.line, cut.full_name, cut.phones) == (2, "Cut Short", [("112", "other")])
    assert cut.warnings == ["The file ends inside this card (it has no END:VCARD)."]
