"""A fully filled contact: every field in its CSV column, and through vCard 4.0 and 3.0."""

import csv
import io
import re

import pytest
import vobject
from django.urls import reverse

from crm.exports import cell_text
from crm.exports.vcard import label_from_types
from crm.models import ADDRESS_FIELDS, Address, ContactDate, Tag
from crm.phones import phone_key

from .factories import make_contact

pytestmark = pytest.mark.django_db

NOTES = 'Poet, "enchantress of numbers"; wrote\nthe first program \\ in 1843.\nÉté, Zoë, 漢字'
EMAILS = [
    ("ada@example.org", "work", False),
    ("augusta@example.org", "home", True),
    ("countess@example.org", "other", False),
]
PHONES = [
    ("+44 20 7946 0000", "office"),  # shared with Charles, who calls it "mobile"
    ("+33 6 12 34 56 78", "mobile"),
    ("(212) 555-0100", "home"),
    ("+1 200 000 0682", "fax"),
    ("112", "other"),  # a short code: kept as typed
]
ADDRESSES = [
    (("12 St James's Square; Flat 2, back", "London", "", "SW1Y 4JH", "UK"), "home"),
    (("1 rue de Rivoli", "Paris", "Île-de-France", "75001", "France"), "work"),
    (("Ockham Park", "Ockham", "Surrey", "", "UK"), "other"),
]
URLS = [
    ("https://ada.example.org/", "home"),
    ("https://engine.example.com/ada", "work"),
    ("https://social.example.net/@ada", "profile"),
    ("https://ada.example.org/notes?a=1&b=2", "blog"),
    ("https://example.org/other", "other"),
]
DATES = [
    ("birthday", "", 1815, 12, 10),
    ("anniversary", "", None, 7, 8),
    ("other", "Met Babbage, at a party; London", 1833, 6, 5),
]
TAGS = ["Mathématiciennes", "Poets, romantic", "VIP"]


@pytest.fixture
def ada():
    make_contact("Charles Babbage", phones=[(PHONES[0][0], "mobile")])
    contact = make_contact(
        "Ada Lovelace",
        honorific_prefix="Lady",
        given_name="Augusta",
        additional_names="Ada Zoë",
        family_name="King",
        honorific_suffix="Countess of Lovelace",
        nickname="Ada, the Enchantress",
        organization="Analytical Engine; Ltd.",
        job_title="Programmer, first",
        notes=NOTES,
        phones=PHONES,
    )
    for address, label, primary in EMAILS:
        contact.emails.create(address=address, label=label, primary=primary)
    for parts, label in ADDRESSES:
        fields = dict(zip(ADDRESS_FIELDS, parts, strict=True))
        contact.addresses.add(Address.objects.create(**fields), through_defaults={"label": label})
    for url, label in URLS:
        contact.urls.create(url=url, label=label)
    for kind, label, year, month, day in DATES:
        contact.dates.create(kind=kind, label=label, year=year, month=month, day=day)
    for i, name in enumerate(TAGS):
        contact.tags.add(Tag.objects.create(name=name, slug=f"tag-{i}"))
    return contact


def test_every_field_has_its_csv_column(logged_in_client, ada):
    response = logged_in_client.get(reverse("crm:contact_export_csv"), {"q": "ada"})
    text = b"".join(response.streaming_content).decode()
    [row] = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    row = {title: cell_text(cell) for title, cell in row.items()}
    assert row.pop("Created") == ada.created.isoformat()
    assert row.pop("Updated") == ada.updated.isoformat()
    titles = ["Display name", "Prefix", "Given name", "Additional names", "Family name"]
    titles += ["Suffix", "Nickname", "Organisation", "Job title"]
    values = ["Ada Lovelace", "Lady", "Augusta", "Ada Zoë", "King", "Countess of Lovelace"]
    values += ["Ada, the Enchantress", "Analytical Engine; Ltd.", "Programmer, first"]
    expected = dict(zip(titles, values, strict=True))
    labels = {"home": "Home", "work": "Work", "other": "Other", "mobile": "Mobile"}
    labels |= {"office": "Office", "fax": "Fax", "profile": "Profile", "blog": "Blog"}
    # Email 1 is the primary one.
    for i, (address, label, _) in enumerate([EMAILS[1], EMAILS[0], EMAILS[2]], start=1):
        expected |= {f"Email {i}": address, f"Email {i} label": labels[label]}
    for i, (number, label) in enumerate(PHONES, start=1):
        expected |= {f"Phone {i}": number, f"Phone {i} label": labels[label]}
    for i, (parts, label) in enumerate(ADDRESSES, start=1):
        titles = ["street", "city", "region", "postal code", "country"]
        cells = zip(titles, parts, strict=True)
        expected |= {f"Address {i} {title}": part for title, part in cells}
        expected[f"Address {i} label"] = labels[label]
    for i, (url, label) in enumerate(URLS, start=1):
        expected |= {f"URL {i}": url, f"URL {i} label": "Personal" if i == 1 else labels[label]}
    expected |= {"Birthday": "1815-12-10", "Anniversary": "--07-08"}
    expected |= {"Date 1": "1833-06-05", "Date 1 label": "Met Babbage, at a party; London"}
    expected |= {"Tags": "Mathématiciennes; Poets, romantic; VIP", "Notes": NOTES}
    # Every column, in this order, and no other.
    assert list(row.items()) == list(expected.items())


def parse_date(value):
    """Read "18151210", "--1210" (4.0) or "1815-12-10", "--12-10" (3.0): (year, month, day)."""
    match = re.fullmatch(r"(\d{4}|--)-?(\d\d)-?(\d\d)", value)
    assert match, value
    year, month, day = match.groups()
    return (None if year == "--" else int(year)), int(month), int(day)


def types(prop):
    return prop.params.get("TYPE", [])


def read(card, version):
    """Return what ``card`` says, in the contact book's terms."""
    values = card.contents
    name = card.n.value
    v4 = version == "4.0"

    def primary(email):
        return email.params.get("PREF") == ["1"] if v4 else "pref" in map(str.lower, types(email))

    dates = [("birthday", "", *parse_date(card.bday.value))]
    anniversary = values["anniversary" if v4 else "x-anniversary"][0]
    dates.append(("anniversary", "", *parse_date(anniversary.value)))
    labels = {label.group: label.value for label in values["x-ablabel"]}
    dates += [("other", labels[d.group], *parse_date(d.value)) for d in values["x-abdate"]]
    return {
        "name": card.fn.value,
        "parts": [name.prefix, name.given, name.additional, name.family, name.suffix],
        "nickname": card.nickname.value,
        "organization": ";".join(card.org.value),
        "job_title": card.title.value,
        "emails": [
            (e.value, label_from_types("EMAIL", types(e)), primary(e)) for e in values["email"]
        ],
        "phones": [
            (tel.value.removeprefix("tel:"), label_from_types("TEL", types(tel)))
            for tel in values["tel"]
        ],
        "addresses": [
            (
                (adr.value.street, adr.value.city, adr.value.region, adr.value.code),
                adr.value.country,
                label_from_types("ADR", types(adr)),
            )
            for adr in values["adr"]
        ],
        "urls": [(url.value, label_from_types("URL", types(url))) for url in values["url"]],
        "dates": dates,
        "tags": card.categories.value,
        "notes": card.note.value,
    }


@pytest.mark.parametrize("version", ["4.0", "3.0"])
@pytest.mark.parametrize("url", ["one", "export"])
def test_every_field_survives_a_vcard_round_trip(logged_in_client, ada, version, url):
    if url == "one":
        path, params = reverse("crm:contact_vcard", args=[ada.pk]), {"version": version}
    else:
        path, params = reverse("crm:contact_export_vcf"), {"version": version, "q": "ada"}
    if version == "4.0":
        del params["version"]  # the default
    response = logged_in_client.get(path, params)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    [card] = vobject.readComponents(text)
    assert card.version.value == version
    assert card.uid.value.startswith("urn:uuid:") and card.rev.value
    got = read(card, version)

    assert got["name"] == "Ada Lovelace"
    assert got["parts"] == ["Lady", "Augusta", "Ada Zoë", "King", "Countess of Lovelace"]
    assert (got["nickname"], got["organization"], got["job_title"]) == (
        "Ada, the Enchantress",
        "Analytical Engine; Ltd.",
        "Programmer, first",
    )
    # The primary first, as the contact's page lists them.
    assert got["emails"] == [EMAILS[1], EMAILS[0], EMAILS[2]]
    # A number comes back as the same number (dialable from anywhere when
    # normalised), with this contact's label; the short code exactly as typed.
    assert [(phone_key(number), label) for number, label in got["phones"]] == [
        (phone_key(number), label) for number, label in PHONES
    ]
    assert got["phones"][-1] == ("112", "other")
    assert got["addresses"] == [(parts[:4], parts[4], label) for parts, label in ADDRESSES]
    assert got["urls"] == URLS
    assert got["dates"] == DATES
    assert sorted(got["tags"]) == TAGS
    assert got["notes"] == NOTES


def test_the_versions_write_what_each_rfc_says(logged_in_client, ada):
    url = reverse("crm:contact_vcard", args=[ada.pk])
    four = b"".join(logged_in_client.get(url).streaming_content).decode()
    three = b"".join(logged_in_client.get(url, {"version": "3.0"}).streaming_content).decode()
    unfolded = [text.replace("\r\n ", "") for text in (four, three)]
    four, three = unfolded
    assert "EMAIL;PREF=1;TYPE=home:augusta@example.org\r\n" in four
    assert "EMAIL;TYPE=internet,home,pref:augusta@example.org\r\n" in three
    assert "TEL;VALUE=uri;TYPE=cell:tel:+33612345678\r\n" in four
    assert "TEL;TYPE=cell:+33 6 12 34 56 78\r\n" in three
    assert "TEL;VALUE=text;TYPE=voice:112\r\n" in four
    assert "BDAY:18151210\r\nANNIVERSARY:--0708\r\n" in four
    assert "BDAY:1815-12-10\r\nX-ANNIVERSARY:--07-08\r\n" in three
    assert "\r\nN:King;Augusta;Ada Zoë;Lady;Countess of Lovelace\r\n" in three
    assert "URL;TYPE=x-profile:https://social.example.net/@ada\r\n" in four


@pytest.mark.parametrize("url", ["/contacts/export.vcf", "one"])
@pytest.mark.parametrize("version", ["2.1", "4", "", "latest"])
def test_a_version_other_than_3_or_4_is_refused(logged_in_client, ada, url, version):
    path = reverse("crm:contact_vcard", args=[ada.pk]) if url == "one" else url
    response = logged_in_client.get(path, {"version": version})
    assert response.status_code == 400
    assert response.content.decode() == "version must be 3.0 or 4.0"


@pytest.mark.parametrize(
    ("name", "found", "label"),
    [
        ("TEL", ["WORK", "FAX"], "fax"),
        ("TEL", ["cell", "voice"], "mobile"),
        ("TEL", [], "other"),
        ("EMAIL", ["INTERNET", "Work"], "work"),
        ("EMAIL", ["internet"], "other"),
        ("URL", ["X-BLOG"], "blog"),
    ],
)
def test_types_from_other_writers_read_as_our_labels(name, found, label):
    assert label_from_types(name, found) == label


def test_the_year_less_birthday_of_a_leap_day(logged_in_client):
    contact = make_contact("Leap Day")
    ContactDate.objects.create(contact=contact, kind="birthday", month=2, day=29)
    url = reverse("crm:contact_vcard", args=[contact.pk])
    for version, written in [("4.0", "--0229"), ("3.0", "--02-29")]:
        text = b"".join(logged_in_client.get(url, {"version": version}).streaming_content)
        [card] = vobject.readComponents(text.decode())
        assert card.bday.value == written
