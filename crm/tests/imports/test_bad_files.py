"""
Bad files through the whole path (upload, inspection, the worker's preview):
each ends FAILED with its reason, and nothing is written to the contact book.
"""

import pytest

from crm import conf
from crm.imports.readers import ImportFileError
from crm.models import Contact, Import, ImportRow
from crm.services.imports import import_request_preview, import_start

from .uploads import csv_file, upload, work

pytestmark = pytest.mark.django_db
MiB = 1024 * 1024


def vcard_with_phones(count):
    phones = "".join(f"TEL;TYPE=CELL:+1 202 555 {i % 10000:04d}\r\n" for i in range(count))
    return (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Lovelace\r\nN:Lovelace;Ada;;;\r\n"
        f"{phones}END:VCARD\r\n"
    ).encode()


BAD_FILES = {
    "empty": (b"", "empty"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40, "not a CSV"),
    "binary without a known start": (bytes(range(256)) * 40, "not text"),
    "100,000 columns": (
        csv_file([f"c{i}" for i in range(100_000)], ["x"] * 100_000),
        "100,000 columns",
    ),
    "a 2 MiB line": (
        csv_file(["Name", "Notes"], ["Ada", "a" * (2 * MiB)], ["Charles", "b"]),
        "1 MiB",
    ),
    "10,000 TEL lines": (vcard_with_phones(10_000), "more than 100 TEL lines"),
    "invalid UTF-8": (
        b"\xef\xbb\xbfName,Email\r\nAda\xff\xfe Lovelace,ada@example.org\r\n",
        "not valid UTF-8 at line 2",
    ),
}


@pytest.mark.parametrize(
    ("data", "reason"),
    [pytest.param(*value, id=kind) for kind, value in BAD_FILES.items()],
)
def test_a_bad_file_fails_with_its_reason_and_writes_nothing(user, data, reason):
    run = upload(user, data, name="contacts.vcf" if b"VCARD" in data[:20] else "contacts.csv")
    if run.status == Import.Status.UPLOADED:
        # Found bad only when read to its end: by the worker's preview.
        import_request_preview(import_run=run, match="email", on_match="skip")
        run = work(run)
    assert run.status == Import.Status.FAILED
    assert reason in run.error
    assert not ImportRow.objects.exists()
    assert not Contact.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_stored(user):
    # A 100 MB line is first of all a 100 MB file: over the 50 MiB limit.
    limit = conf.settings.IMPORT_MAX_BYTES
    assert limit == 50 * MiB
    with pytest.raises(ImportFileError, match="95.4 MiB; an import takes files up to 50 MiB"):
        import_start(author=user, file_name="huge.csv", size=100 * 1000 * 1000)
    assert not Import.objects.exists()
