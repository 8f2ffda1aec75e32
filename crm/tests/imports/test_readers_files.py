"""
Files as people have them: any delimiter and encoding, detected; and every
bad file refused with its reason, before anything is imported.
"""

import codecs
import io
import re
import tracemalloc

import pytest
from django.core.checks import run_checks

from crm.imports.readers import CHUNK, ImportFileError, inspect, read_records

from .files import GeneratedFile, read

ROWS = [
    ["Name", "E-mail", "Mobile", "City"],
    ["José Müller", "jose@example.es", "+34 612 34 56 78", "Málaga"],
    ["Zoë Ørsted", "zoe@example.dk", "", "København"],
    ["Ana Sílva", "", "+351 912 345 678", "Évora"],
]


def csv_text(rows, delimiter=",", newline="\r\n"):
    return "".join(delimiter.join(row) + newline for row in rows)


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize(
    ("codec", "written", "found"),
    [
        ("utf-8", b"", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "utf-8-sig"),
        ("utf-16", b"", "utf-16"),  # as Outlook writes it, with its byte-order mark
        ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16"),
        ("cp1252", b"", "cp1252"),  # older Excel
    ],
)
def test_any_delimiter_and_encoding_is_detected(delimiter, codec, written, found):
    info, records = read(written + csv_text(ROWS, delimiter).encode(codec))
    assert (info.format, info.encoding, info.delimiter) == ("csv", found, delimiter)
    assert info.header == ROWS[0]
    assert info.layout == "custom"
    assert info.mapping == ["full_name", "email.other", "phone.mobile", "address.other.city"]
    assert [(r.line, r.given_name, r.family_name) for r in records] == [
        (2, "José", "Müller"),
        (3, "Zoë", "Ørsted"),
        (4, "Ana", "Sílva"),
    ]
    assert records[0].emails == [("jose@example.es", "other")]
    assert records[0].phones == [("+34 612 34 56 78", "mobile")]
    assert records[2].addresses == [
        {
            "street": "",
            "city": "Évora",
            "region": "",
            "postal_code": "",
            "country": "",
            "label": "other",
        }
    ]
    assert records[1].cells == ROWS[2]


def test_windows_1252_is_found_after_a_long_ascii_start():
    rows = [ROWS[0]] + [[f"Person {i}", f"p{i}@example.org", "", "York"] for i in range(3000)]
    rows.append(["Amélie Lefèvre", "amelie@example.fr", "", "Rennes"])
    data = csv_text(rows).encode("cp1252")
    assert len(data) > CHUNK and data.find(b"\xe9") > CHUNK
    info, records = read(data)
    assert info.encoding == "cp1252"
    assert records[-1].full_name == "Amélie Lefèvre"
    assert records[-1].line == 3002


def test_lines_are_numbered_as_a_spreadsheet_shows_them():
    text = 'Name,Notes\r\nAda,"two\r\nlines"\r\n\r\nCharles,one\r\n,\r\nGrace,last'
    info, records = read(text.encode())
    assert [(r.line, r.full_name, r.notes) for r in records] == [
        (2, "Ada", "two\r\nlines"),
        (4, "Charles", "one"),
        (6, "Grace", "last"),
    ]


def test_a_line_ending_split_between_two_reads_is_one_line_ending():
    # The first row's "\r" ends the first 64 KiB read, its "\n" starts the next.
    width = CHUNK - len("Name,Email\r\n") - len(",a@example.org\r")
    data = ("Name,Email\r\n" + "x" * width + ",a@example.org\r\nBo,bo@example.org\r\n").encode()
    assert data[CHUNK - 1 : CHUNK + 1] == b"\r\n"
    _, records = read(data)
    assert [r.line for r in records] == [2, 3]


def test_samples_come_from_rows_where_the_column_is_filled():
    rows = [["Name", "Company", "Birthday"]]
    rows += [[f"Person {i}", "", ""] for i in range(20)]
    rows += [["Ada", "Analytical Engines", ""], ["Bo", "Acme", "1980-04-03"], ["Cy", "Acme", ""]]
    rows += [["Di", "Initech", ""], ["Ed", "Globex", ""]]
    info, _ = read(csv_text(rows).encode())
    assert info.samples == [
        ["Person 0", "Person 1", "Person 2"],
        ["Analytical Engines", "Acme", "Initech"],
        ["1980-04-03"],
    ]
    assert info.rows_estimate == 25


def test_a_mapping_given_replaces_the_guess():
    data = csv_text(ROWS).encode()
    mapping = ["organization", "email.work", "phone.office", ""]
    _, records = read(data, mapping=mapping)
    first = records[0]
    assert (first.organization, first.full_name, first.given_name) == ("José Müller", "", "")
    assert first.emails == [("jose@example.es", "work")]
    assert first.phones == [("+34 612 34 56 78", "office")]
    assert first.addresses == []
    with pytest.raises(ValueError, match="“phone” is not a field"):
        read(data, mapping=["phone", "", "", ""])


# Bad files: each refused with its reason.


def refused(data, *, name="contacts.csv"):
    """Return the message a file holding ``data`` is refused with, at inspection or reading."""
    stream = data if isinstance(data, io.IOBase) else io.BytesIO(data)
    with pytest.raises(ImportFileError) as refusal:
        info = inspect(stream, name=name)
        for _ in read_records(stream, info):
            pass
    return str(refusal.value)


@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"\n"])
def test_an_empty_file(data):
    assert refused(data) == "The file is empty."


def test_a_binary_file():
    assert "not text" in refused(bytes(range(256)) * 100)
    assert "NUL" in refused(b"Name,Email\r\nAda\x00\x00\x01,x\r\n")


def test_a_workbook_is_not_a_csv():
    assert refused(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100, name="contacts.xlsx") == (
        "This is a ZIP archive (an Excel or LibreOffice workbook?): save it as CSV first, "
        "not a CSV or vCard file."
    )


def test_utf8_broken_after_valid_accents_says_where():
    data = "Name\r\nJosé\r\nZoë\r\n".encode() + b"Bj\xc3rn\r\n"
    assert refused(data) == "The file is not valid UTF-8 at line 4."


def test_utf8_broken_far_into_the_file_says_where_when_read():
    rows = [["Name"], ["José"]] + [[f"Person {i}"] for i in range(20000)]
    data = csv_text(rows).encode() + b"Bj\xc3rn\r\n"
    assert len(data) > 2 * CHUNK
    stream = io.BytesIO(data)
    info = inspect(stream)
    assert info.encoding == "utf-8"
    with pytest.raises(ImportFileError, match="not valid UTF-8 at line 20003") as refusal:
        list(read_records(stream, info))
    assert refusal.value.line == 20003


def test_bytes_neither_utf8_nor_windows_1252():
    # 0x81 is not a Windows-1252 character, and not UTF-8 here either.
    assert refused(b"Name\r\nAb\x81c\r\n") == (
        "The file is neither UTF-8 nor Windows-1252 text (line 2, byte 0x81)."
    )


def test_a_csv_of_100000_columns():
    header = ",".join(f"c{i}" for i in range(100_000)).encode()
    assert refused(header + b"\r\n1,2\r\n") == "Row 1 has 100,000 columns; a file may have 1,000."


def test_a_line_of_100_mb_is_refused_without_reading_it_all(settings):
    settings.CRM_IMPORT_MAX_BYTES = 200 * 1024 * 1024
    stream = GeneratedFile(100 * 1024 * 1024, head=b"Name,Notes\r\nAda,")
    tracemalloc.start()
    try:
        assert refused(stream) == "Line 2 is longer than 1 MiB."
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stream.tell() < 3 * 1024 * 1024  # it stopped reading
    assert peak < 10 * 1024 * 1024


def test_a_first_line_of_100_mb(settings):
    settings.CRM_IMPORT_MAX_BYTES = 200 * 1024 * 1024
    stream = GeneratedFile(100 * 1024 * 1024, filler=b"Name,")
    assert refused(stream) == "Line 1 is longer than 1 MiB."


def test_a_cell_of_many_lines_is_limited_too():
    data = b'Name,Notes\r\nAda,"' + b"word word\r\n" * 20_000 + b'"\r\n'
    message = refused(data)
    assert re.fullmatch(r"Line \d+ has a cell longer than 131,072 characters\.", message)
    assert 11_000 < int(message.split()[1]) < 13_000  # where the cell grew past it


def test_a_file_over_the_size_limit():
    # 50 MiB by default: the size is checked before any byte is read.
    stream = GeneratedFile(50 * 1024 * 1024 + 1, head=b"Name\r\n")
    assert refused(stream) == "The file is 50.0 MiB; an import takes files up to 50 MiB."


def test_the_size_limit_is_a_setting(settings):
    settings.CRM_IMPORT_MAX_BYTES = 3 * 1024 * 1024
    data = csv_text([["Name"]] + [["Ada Lovelace"]] * 300_000).encode()
    size = f"{len(data) / 1024 / 1024:.1f}"
    assert refused(data) == f"The file is {size} MiB; an import takes files up to 3 MiB."
    settings.CRM_IMPORT_MAX_BYTES = len(data)
    assert inspect(io.BytesIO(data)).rows_estimate > 250_000


@pytest.mark.parametrize("size", [0, -1, "50 MiB", 1.5])
def test_a_size_limit_that_is_no_size_is_reported_at_start_up(settings, size):
    settings.CRM_IMPORT_MAX_BYTES = size
    errors = [error.id for error in run_checks() if error.id.startswith("crm.")]
    assert errors == ["crm.E002"]


def test_a_vcf_name_on_a_csv():
    assert refused(b"Name\r\nAda\r\n", name="contacts.vcf") == (
        "This .vcf file holds no vCard: it does not start with BEGIN:VCARD."
    )


def test_a_vcard_of_10000_tel_lines():
    lines = ["BEGIN:VCARD", "VERSION:3.0", "FN:Ada"]
    lines += [f"TEL;TYPE=cell:+1 202 555 {i:04d}" for i in range(10_000)] + ["END:VCARD"]
    message = refused("\r\n".join(lines).encode(), name="ada.vcf")
    assert message == "Card 1 has more than 100 TEL lines."


def test_a_vcard_over_1_mib():
    notes = [f"NOTE:{'x' * 70}" for _ in range(99)]
    card = ["BEGIN:VCARD", "VERSION:3.0", "FN:Ada", *notes, "END:VCARD"]
    big = ["BEGIN:VCARD", "VERSION:3.0", "FN:Big", "NOTE:" + "y" * 70]
    big += [" " + "y" * 74] * 20_000 + ["END:VCARD"]
    message = refused("\r\n".join(card + big).encode(), name="ada.vcf")
    assert message == "Card 2 is larger than 1 MiB."


def test_reading_50000_rows_keeps_memory_far_below_the_file(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("First Name,Last Name,E-mail,Phone,Street,City,Notes\r\n")
        for i in range(50_000):
            out.write(
                f"Given{i},Family{i},person{i}@example.org,+1 202 555 {i % 10000:04d},"
                f'{i} Main Street,Springfield,"Met on day {i}, a long note to make rows wide."\r\n'
            )
    size = path.stat().st_size
    assert size > 6_000_000
    with path.open("rb") as stream:
        info = inspect(stream, name="big.csv")
        assert 40_000 < info.rows_estimate < 60_000
        tracemalloc.start()
        try:
            count = last = 0
            for record in read_records(stream, info):
                count, last = count + 1, record
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert count == 50_000
    assert (last.line, last.given_name, last.emails) == (
        50_001,
        "Given49999",
        [("person49999@example.org", "other")],
    )
    assert peak < size / 10


def test_a_long_line_of_accents_is_refused_while_decoding():
    stream = GeneratedFile(
        5 * 1024 * 1024, head="Name,Notes\r\nJosé,".encode(), filler="é".encode()
    )
    assert refused(stream) == "Line 2 is longer than 1 MiB."
    assert stream.tell() < 3 * 1024 * 1024  # a MiB of "é" is 2 MiB of UTF-8
