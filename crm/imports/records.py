"""The record readers hand to the import: one contact as the file gave it."""

from dataclasses import dataclass, field


@dataclass
class ImportRecord:
    """One contact as read from a file: text as found, mapped to our fields, not validated."""

    line: int
    cells: list[str] = field(default_factory=list)
    honorific_prefix: str = ""
    given_name: str = ""
    additional_names: str = ""
    family_name: str = ""
    honorific_suffix: str = ""
    full_name: str = ""
    nickname: str = ""
    organization: str = ""
    job_title: str = ""
    notes: str = ""
    emails: list[tuple[str, str]] = field(default_factory=list)
    phones: list[tuple[str, str]] = field(default_factory=list)
    addresses: list[dict[str, str]] = field(default_factory=list)
    urls: list[tuple[str, str]] = field(default_factory=list)
    dates: list[tuple[str, str, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
