"""Files and imports in given states for the import pages' tests."""

from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import Import, ImportRow

# A Google Contacts export (contacts.google.com, "Google CSV"), as it writes
# its header; two people, one of them with an email that is not one.
GOOGLE_HEADER = (
    "First Name,Middle Name,Last Name,Phonetic First Name,Phonetic Middle Name,"
    "Phonetic Last Name,Name Prefix,Name Suffix,Nickname,File As,Organization Name,"
    "Organization Title,Organization Department,Birthday,Notes,Photo,Labels,"
    "E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value"
)
GOOGLE_ROWS = [
    "Ada,,Lovelace,,,,,,,,Analytical Engines,Mathematician,,1815-12-10,,,* myContacts,"
    "* Work,ada@example.org,Mobile,+44 20 7946 0018",
    "Charles,,Babbage,,,,,,,,,,,,,,* myContacts,Home,charles@example.org,Work,(202) 555-0143",
    "Grace,,Hopper,,,,,,,,,,,,,,* myContacts,Home,grace@,,",
]
GOOGLE_CSV = ("\n".join([GOOGLE_HEADER, *GOOGLE_ROWS]) + "\n").encode()

# A spreadsheet of someone's own: no known layout, so its columns need a mapping.
CUSTOM_CSV = (
    b"Who,Mail,Town\nAda Lovelace,ada@example.org,London\nAlan Turing,alan@example.org,Wilmslow\n"
)


def upload(content=GOOGLE_CSV, name="contacts.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def make_import(author, *, status=Import.Status.UPLOADED, **fields):
    """Return an import of a three-column CSV by ``author``, in ``status``."""
    fields = {
        "file_name": "people.csv",
        "size": len(CUSTOM_CSV),
        "format": "csv",
        "encoding": "utf-8",
        "delimiter": ",",
        "layout": "custom",
        "header": ["Who", "Mail", "Town"],
        "mapping": ["full_name", "email.home", ""],
        "samples": [["Ada Lovelace"], ["ada@example.org"], ["London"]],
        **fields,
    }
    return Import.objects.create(author=author, status=status, **fields)


def make_rows(import_run, count, *, start=2, outcome=ImportRow.Outcome.CREATE, **fields):
    """Add ``count`` planned rows to ``import_run``, from line ``start``."""
    return ImportRow.objects.bulk_create(
        ImportRow(
            import_run=import_run,
            line=start + i,
            outcome=outcome,
            values={"contact": {"given_name": "Person", "family_name": f"{start + i:05d}"}},
            **fields,
        )
        for i in range(count)
    )
