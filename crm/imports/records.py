"""One contact as a file gives it, before anything checks or writes it."""

from dataclasses import dataclass, field

from .values import NAME_KEYS, split_full_name


class ImportFileError(ValueError):
    """
    A file that cannot be imported: ``str()`` says why, for its user ("Line 12
    is longer than 1 MiB."), ``line`` where when known.
    """

    def __init__(self, message: str, *, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass
class ImportRecord:
    """
    One contact as read from a file: text as found, mapped to our fields, not
    validated (the plan validates and normalises it as the contact form does).
    """

    # CSV: the row's number as a spreadsheet shows it (the header is 1);
    # vCard: the card's number, from 1.
    line: int
    # CSV: the row as read, for the file of rows with errors; vCard: [].
    cells: list[str] = field(default_factory=list)
    honorific_prefix: str = ""
    given_name: str = ""
    additional_names: str = ""
    family_name: str = ""
    honorific_suffix: str = ""
    # As given (vCard FN, a "Name" column); when the file gave no name parts,
    # the parts above are this name, split.
    full_name: str = ""
    nickname: str = ""
    organization: str = ""
    job_title: str = ""
    notes: str = ""
    # (address as found, "home" | "work" | "other"), the preferred first.
    emails: list[tuple[str, str]] = field(default_factory=list)
    # (number as typed, a crm.models.Phone.Label value).
    phones: list[tuple[str, str]] = field(default_factory=list)
    # Keys: crm.models.ADDRESS_FIELDS and "label" (a ContactAddress label).
    addresses: list[dict[str, str]] = field(default_factory=list)
    # (URL, a crm.models.Url.Label value).
    urls: list[tuple[str, str]] = field(default_factory=list)
    # ("birthday" | "anniversary" | "other", label of another date, the date as found).
    dates: list[tuple[str, str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # What was left out, for the preview: "Photo skipped: photos are not imported."
    warnings: list[str] = field(default_factory=list)

    def fill_name_parts(self):
        """Split the full name into the name parts when the file gave none."""
        if not self.full_name or any(getattr(self, key) for key in NAME_KEYS):
            return
        if self.full_name == self.organization:
            return  # an organisation's card or row: its name is not a person's
        for key, value in split_full_name(self.full_name).items():
            setattr(self, key, value)
