"""
The import pages' forms: the upload (announced for the chunked upload, or
posted whole without JavaScript), and the options of a preview (how rows
match, what a match does, and a CSV's column mapping).
"""

from django import forms

from ..imports.layouts import FIELDS
from ..imports.readers import MAX_IMPORT_BYTES
from ..models import Import, ImportRow

MiB = 1024 * 1024
# Without JavaScript the whole file is one request body, which the deployed
# servers cap at 2 MiB (imports.js sends CHUNK_BYTES a request instead).
PLAIN_UPLOAD_MAX_BYTES = 3 * MiB // 2
ACCEPTED = ".csv,.vcf,.vcard,.txt"

# Fields a contact has one of, so one column fills: two columns would be glued
# together ("Ana" "Ana María" as one given name), which is rarely what was
# meant and is usually the same field chosen twice by mistake. Every other
# field may come from several columns: each email, phone, address part, web
# address or date column is one more of them (its label column too, as the
# known layouts map them), tags add up, and notes are joined in paragraphs.
ONE_COLUMN = {
    "full_name",
    "honorific_prefix",
    "given_name",
    "additional_names",
    "family_name",
    "honorific_suffix",
    "nickname",
    "organization",
    "job_title",
    "birthday",
    "anniversary",
}

IGNORE = ""
# The mapping's <select> groups the fields by kind (keys start with it).
GROUPS = {
    "email": "Emails",
    "phone": "Phone numbers",
    "address": "Addresses",
    "url": "Web addresses",
    "birthday": "Dates",
    "anniversary": "Dates",
    "date": "Dates",
}
OTHER_GROUP = "Name, work, notes and tags"


def field_choices() -> list:
    """Return the mapping's choices: "ignore", then the fields grouped by kind, in FIELDS order."""
    groups: dict[str, list] = {}
    for key, label in FIELDS.items():
        groups.setdefault(GROUPS.get(key.split(".")[0], OTHER_GROUP), []).append((key, label))
    return [(IGNORE, "Ignore this column"), *groups.items()]


def repeatable(field: str) -> bool:
    """Return whether several columns may be mapped to ``field``."""
    return field not in ONE_COLUMN


def _size_text(size: int) -> str:
    return f"{size / MiB:.1f} MiB" if size >= MiB else f"{max(1, size // 1024)} KiB"


def limit_text() -> str:
    """Return the largest file an import takes, as users read it ("50 MiB")."""
    return f"{MAX_IMPORT_BYTES / MiB:g} MiB"


class StartForm(forms.Form):
    """The file imports.js is about to send in chunks: its name and size."""

    name = forms.CharField(max_length=1000)
    size = forms.IntegerField(min_value=0)

    def clean_name(self):
        # Browsers send the base name; a path typed by hand keeps its last part.
        name = self.cleaned_data["name"].replace("\\", "/").rsplit("/", 1)[-1].strip()
        if not name:
            raise forms.ValidationError("The file has no name.")
        return name[-255:]

    def clean_size(self):
        size = self.cleaned_data["size"]
        if size == 0:
            raise forms.ValidationError("The file is empty.")
        if size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                f"The file is {_size_text(size)}: an import takes files up to {limit_text()}."
            )
        return size

    def error_message(self) -> str:
        return " ".join(error for errors in self.errors.values() for error in errors)


class UploadForm(forms.Form):
    """The whole file in one request: the form as it works without JavaScript."""

    file = forms.FileField(
        label="File",
        help_text=(
            "A CSV file (Google Contacts, Outlook, this site's export or any spreadsheet) "
            "or a vCard file (.vcf) from a phone or another address book."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPTED}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > PLAIN_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {_size_text(upload.size)}. Without JavaScript this page "
                f"takes files up to {_size_text(PLAIN_UPLOAD_MAX_BYTES)}: turn JavaScript on "
                f"to upload files up to {limit_text()}."
            )
        return upload


class OptionsForm(forms.Form):
    """
    How the rows of ``import_run`` match existing contacts, what a match
    does, and, for a CSV, the field each column fills (``column_<n>``).
    """

    match = forms.ChoiceField(
        label="Find an existing contact by",
        choices=Import.Match.choices,
        widget=forms.RadioSelect,
    )
    on_match = forms.ChoiceField(
        label="When a row matches a contact",
        choices=Import.OnMatch.choices,
        widget=forms.RadioSelect,
    )

    def __init__(self, data=None, *, import_run: Import):
        initial = {"match": import_run.match, "on_match": import_run.on_match}
        super().__init__(data, initial=initial)
        self.import_run = import_run
        self.columns = []
        if import_run.format != "csv":
            return
        choices = field_choices()
        samples = import_run.samples or []
        for i, heading in enumerate(import_run.header or []):
            name = f"column_{i}"
            mapped = (import_run.mapping or [])[i : i + 1]
            self.fields[name] = forms.ChoiceField(
                label=heading or f"Column {i + 1}", choices=choices, required=False
            )
            self.initial[name] = mapped[0] if mapped and mapped[0] in FIELDS else IGNORE
            column_samples = samples[i] if i < len(samples) else []
            self.columns.append((self[name], heading, column_samples))

    def clean(self):
        cleaned = super().clean()
        if not self.columns:
            return cleaned
        chosen = {}
        for i, _ in enumerate(self.columns):
            name = f"column_{i}"
            field = cleaned.get(name, IGNORE)
            if field and not repeatable(field):
                chosen.setdefault(field, []).append(name)
        for field, names in chosen.items():
            for name in names[1:]:
                first = self.fields[names[0]].label
                self.add_error(
                    name, f"“{FIELDS[field]}” is already filled by the column “{first}”."
                )
        if not any(cleaned.get(f"column_{i}") for i, _ in enumerate(self.columns)):
            raise forms.ValidationError("Choose a field for at least one column.")
        return cleaned

    def mapping(self) -> list[str] | None:
        """Return the field of each column (``""``: ignored), or None for a vCard."""
        if not self.columns:
            return None
        return [self.cleaned_data.get(f"column_{i}", IGNORE) for i, _ in enumerate(self.columns)]


class RowFilterForm(forms.Form):
    """Which rows the preview lists: every row, those of one outcome, or the duplicates."""

    DUPLICATE = "duplicate"

    outcome = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[
            ("", "All rows"),
            *ImportRow.Outcome.choices,
            (DUPLICATE, "Duplicates in the file"),
        ],
    )

    def rows(self, import_run: Import):
        """Return the rows of ``import_run`` chosen, in file order (all when invalid)."""
        rows = import_run.rows.order_by("line")
        outcome = self.cleaned_data["outcome"] if self.is_valid() else ""
        if outcome == self.DUPLICATE:
            return rows.filter(duplicate_of__isnull=False)
        return rows.filter(outcome=outcome) if outcome else rows
