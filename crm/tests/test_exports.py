"""CSV and vCard exports parse back, hold every matching contact and cost fixed queries."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm import exports
from crm.exports.rows import CHUNK_SIZE
from crm.models import Address, Contact, ContactDate, Email, Phone, Tag, Url

from .factories import make_contact, make_contacts

pytestmark = pytest.mark.django_db


def download(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Disposition"].startswith("attachment;")
    return b"".join(response.streaming_content)


def parse_vcards(data, version="4.0"):
    """Parse vCards strictly enough for the tests: CRLF lines, folding, BEGIN/END, VERSION."""
    text = data.decode("utf-8")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    raw_lines = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in raw_lines)
    lines = []
    for line in raw_lines:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    cards, card = [], None
    for line in lines:
        name_params, _, value = line.partition(":")
        name, *params = name_params.split(";")
        if line == "BEGIN:VCARD":
            assert card is None
            card = []
        elif line == "END:VCARD":
            cards.append(card)
            card = None
        else:
            assert card is not None and name.isupper() and _ == ":", line
            card.append((name, params, value))
    assert card is None
    for card in cards:
        assert card[0] == ("VERSION", [], version)
        assert [name for name, _, _ in card].count("FN") == 1
    return [{name: [v for n, _, v in card if n == name] for name, _, _ in card} for card in cards]


def unescape(value):
    out, chars = "", iter(value)
    for char in chars:
        if char == "\\":
            char = next(chars)
            out += "\n" if char in "nN" else char
        else:
            out += char
    return out


def read_csv(data):
    """Return the rows of a CSV export as dicts, checking it starts with a byte-order mark."""
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_csv_export_holds_every_matching_contact_not_only_the_page(logged_in_client):
    make_contacts(120, phones_each=2)
    make_contact("Ada Lovelace", email="ada@example.org", phones=["555 0100"], addresses=["London"])
    rows = read_csv(download(logged_in_client, reverse("crm:contact_export_csv"), q="person"))
    assert [row["Display name"] for row in rows] == [f"Person {i:04d}" for i in range(120)]
    # A cell starting with "+" is a formula to a spreadsheet: it starts with an apostrophe.
    assert [rows[0][f"Phone {i}"] for i in (1, 2)] == ["'+1 (555) 0000-00", "'+1 (555) 0000-01"]
    assert [rows[0][f"Phone {i} label"] for i in (1, 2)] == ["Mobile", "Mobile"]

    rows = read_csv(download(logged_in_client, reverse("crm:contact_export_csv")))
    assert len(rows) == 121
    ada = rows[0]
    assert (ada["Display name"], ada["Email 1"], ada["Address 1 city"]) == (
        "Ada Lovelace",
        "ada@example.org",
        "London",
    )


def test_csv_export_keeps_tricky_text_and_defuses_formulas(logged_in_client):
    make_contact('Smith, "Bob"', notes="line one\nline two; =1+1", email="")
    make_contact("=HYPERLINK(1)")
    rows = read_csv(download(logged_in_client, reverse("crm:contact_export_csv")))
    assert [row["Display name"] for row in rows] == ["'=HYPERLINK(1)", 'Smith, "Bob"']
    assert rows[1]["Notes"] == "line one\nline two; =1+1"


@pytest.mark.parametrize(
    ("version", "params", "international"),
    [("4.0", {}, "tel:+442079460000"), ("3.0", {"version": "3.0"}, "+44 20 7946 0000")],
)
def test_vcard_export_parses_back(logged_in_client, version, params, international):
    make_contacts(60, phones_each=1)
    make_contact(
        "Ada Lovelace",
        email="ada@example.org",
        notes="Poet; mathematician, \\ first programmer\n" + "long " * 40,
        phones=["(555) 01-23", "+44 20 7946 0000"],
        addresses=["London"],
    )
    url = reverse("crm:contact_export_vcf")
    cards = parse_vcards(download(logged_in_client, url, **params), version)
    assert len(cards) == 61
    ada = next(card for card in cards if card["FN"] == ["Ada Lovelace"])
    assert ada["N"] == [";;;;"]
    assert ada["EMAIL"] == ["ada@example.org"]
    # A number libphonenumber reads whole dials from anywhere: E.164. Seven
    # digits are a local number in the US, kept as typed.
    assert ada["TEL"] == ["(555) 01-23", international]
    assert unescape(ada["NOTE"][0]).startswith("Poet; mathematician, \\ first programmer\nlong")
    assert ada["ADR"] == [";;1 Main Street;London;;;"]

    only = parse_vcards(download(logged_in_client, url, q="ada", **params), version)
    assert [card["FN"] for card in only] == [["Ada Lovelace"]]


def test_one_contact_as_a_vcard(logged_in_client):
    ada = make_contact("Ada Lovelace", phones=["555 0100"])
    make_contact("Charles Babbage")
    data = download(logged_in_client, reverse("crm:contact_vcard", args=[ada.pk]))
    assert [card["FN"] for card in parse_vcards(data)] == [["Ada Lovelace"]]
    assert logged_in_client.get(reverse("crm:contact_vcard", args=[999999])).status_code == 404


def test_export_with_no_match_says_so(logged_in_client):
    make_contact("Ada Lovelace")
    response = logged_in_client.get(reverse("crm:contact_export_csv"), {"q": "nobody"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("crm:contact_list") + "?q=nobody"
    assert "Nothing to export: no contact matches." in response.content.decode()
    assert Contact.objects.count() == 1


# What OWASP lists as a cell a spreadsheet would run as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def test_no_csv_cell_starts_like_a_formula_in_any_column(logged_in_client):
    phone = Phone.objects.create(number="-2+3+cmd|' /C calc'!A0")  # as a 2009 admin let in
    contact = make_contact(
        "@SUM(1+1)", email="=x@example.org", notes="\tnote", phones=[phone, "+33 6 12 34 56 78"]
    )
    contact.addresses.add(Address.objects.create(street="-1 Main Street", city="+London"))
    make_contact("\rReturn"), make_contact("\nLine feed"), make_contact("'Quoted")
    data = download(logged_in_client, reverse("crm:contact_export_csv")).decode()
    rows = list(csv.reader(io.StringIO(data.removeprefix("\ufeff"))))
    assert all(not cell.startswith(FORMULA_START) for row in rows for cell in row), rows
    header, *rows = rows
    sums = next(dict(zip(header, row, strict=True)) for row in rows if "SUM" in row[0])
    assert sums["Display name"] == "'@SUM(1+1)"
    assert sums["Email 1"] == "'=x@example.org"
    assert sums["Phone 1"] == "'-2+3+cmd|' /C calc'!A0"
    assert sums["Phone 2"] == "'+33 6 12 34 56 78"
    assert sums["Address 1 city"] == "'+London"
    assert sums["Address 1 street"] == "'-1 Main Street"
    assert sums["Notes"] == "'\tnote"


def test_csv_cells_read_back_as_they_were_written(logged_in_client):
    names = ["=1+1", "+33 6 12 34 56 78", "'Tis a name", "''Twice", "Plain", "-", "@"]
    for name in names:
        make_contact(name)
    rows = read_csv(download(logged_in_client, reverse("crm:contact_export_csv")))
    read = [exports.cell_text(row["Display name"]) for row in rows]
    assert sorted(read) == sorted(names)


def test_exports_carry_each_contacts_own_label_of_a_shared_number(logged_in_client):
    make_contact("Ada Lovelace", phones=[("555 0100", "home")])
    make_contact("Charles Babbage", phones=[("(555) 01-00", "office")])
    rows = read_csv(download(logged_in_client, reverse("crm:contact_export_csv")))
    phones = {row["Display name"]: (row["Phone 1"], row["Phone 1 label"]) for row in rows}
    assert phones == {
        "Ada Lovelace": ("555 0100", "Home"),
        "Charles Babbage": ("555 0100", "Office"),
    }
    data = download(logged_in_client, reverse("crm:contact_export_vcf")).decode()
    ada, charles = data.split("END:VCARD")[:2]
    assert "TEL;VALUE=text;TYPE=home:555 0100" in ada
    assert "TEL;VALUE=text;TYPE=work:555 0100" in charles


def test_exports_carry_each_contacts_own_label_of_a_shared_address(logged_in_client):
    office = Address.objects.create(street="1 Main Street", city="London")
    make_contact("Ada Lovelace", addresses=[(office, "home")])
    make_contact("Charles Babbage", addresses=[(office, "work")])
    data = download(logged_in_client, reverse("crm:contact_export_vcf")).decode()
    ada, charles = data.split("END:VCARD")[:2]
    assert "ADR;TYPE=home:;;1 Main Street;London;;;" in ada
    assert "ADR;TYPE=work:;;1 Main Street;London;;;" in charles


def test_exports_carry_the_tags(logged_in_client):
    ada = make_contact("Ada Lovelace")
    make_contact("Charles Babbage")
    ada.tags.add(
        Tag.objects.create(name="VIP", slug="vip"),
        Tag.objects.create(name="Poets, romantic", slug="poets"),
    )
    rows = read_csv(download(logged_in_client, reverse("crm:contact_export_csv")))
    rows = {row["Display name"]: row["Tags"] for row in rows}
    assert rows == {"Ada Lovelace": "Poets, romantic; VIP", "Charles Babbage": ""}

    cards = parse_vcards(download(logged_in_client, reverse("crm:contact_export_vcf")))
    categories = {card["FN"][0]: card.get("CATEGORIES") for card in cards}
    assert categories == {"Ada Lovelace": ["Poets\\, romantic,VIP"], "Charles Babbage": None}


def test_csv_numbers_as_many_columns_as_the_contact_with_the_most_needs(logged_in_client):
    make_contact("Ada Lovelace", emails=["ada@example.org", "augusta@example.org"])
    make_contact("Charles Babbage", phones=["+44 20 7946 0000", "555 0100", "112"])
    make_contact("Mary Somerville")
    data = download(logged_in_client, reverse("crm:contact_export_csv"))
    assert data.startswith("\ufeff".encode())
    header = next(csv.reader(io.StringIO(data.decode().removeprefix("\ufeff"))))
    numbered = [title for title in header if title[-1].isdigit() or title.endswith("label")]
    assert numbered == [
        *("Email 1", "Email 1 label", "Email 2", "Email 2 label"),
        *("Phone 1", "Phone 1 label", "Phone 2", "Phone 2 label", "Phone 3", "Phone 3 label"),
    ]
    rows = read_csv(data)
    assert [(row["Display name"], row["Email 2"], row["Phone 3"]) for row in rows] == [
        ("Ada Lovelace", "augusta@example.org", ""),
        ("Charles Babbage", "", "112"),
        ("Mary Somerville", "", ""),
    ]


def test_the_first_chunk_of_the_csv_starts_with_the_byte_order_mark(logged_in_client):
    make_contact("Zoë Ångström")
    response = logged_in_client.get(reverse("crm:contact_export_csv"))
    first, *rest = response.streaming_content
    assert first.startswith("\ufeffDisplay name,".encode())
    assert "Zoë Ångström".encode() in b"".join(rest)


def export_queries(client):
    """Return how many queries each export costs, the whole download read."""
    counts = {}
    for url in [reverse("crm:contact_export_csv"), reverse("crm:contact_export_vcf")]:
        with CaptureQueriesContext(connection) as queries:
            download(client, url)
        counts[url] = len(queries)
    return counts


def test_an_export_costs_the_same_queries_whatever_the_contacts_hold(logged_in_client):
    make_contact("Ada Lovelace")
    few = export_queries(logged_in_client)
    # The session, the user and their permissions (crm.permissions), whether
    # anything matches, the CSV's column counts, and the contacts with all they hold.
    assert few == {reverse("crm:contact_export_csv"): 6, reverse("crm:contact_export_vcf"): 5}

    contacts = make_contacts(CHUNK_SIZE + 20, phones_each=2)
    Email.objects.bulk_create(
        Email(contact=contact, address=f"{i}.{j}@example.org", label="work", primary=j == 0)
        for i, contact in enumerate(contacts)
        for j in range(3)
    )
    Url.objects.bulk_create(
        Url(contact=contact, url=f"https://example.org/{i}/{j}")
        for i, contact in enumerate(contacts)
        for j in range(2)
    )
    ContactDate.objects.bulk_create(
        ContactDate(contact=contact, kind=kind, month=1 + i % 12, day=1 + i % 28)
        for i, contact in enumerate(contacts)
        for kind in ["birthday", "other", "other"]
    )
    assert export_queries(logged_in_client) == few
