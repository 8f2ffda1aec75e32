"""
Values as files write them. A local stand-in for helper A's module (issue
14's contract): A's version replaces it at merge.
"""

import datetime
import re

DATE_FORMS = [
    re.compile(r"(?P<y>\d{4})-?(?P<m>\d{2})-?(?P<d>\d{2})"),
    re.compile(r"--(?P<m>\d{2})-?(?P<d>\d{2})"),
    re.compile(r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})"),
    re.compile(r"(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})"),
]


def parse_date(text: str) -> tuple[int | None, int, int]:
    """Return (year or None, month, day) of ``text``; raise ValueError when it is not a date."""
    for form in DATE_FORMS:
        if found := form.fullmatch(text.strip()):
            parts = found.groupdict()
            year = int(parts["y"]) if parts.get("y") else None
            month, day = int(parts["m"]), int(parts["d"])
            try:
                datetime.date(year or 2000, month, day)
            except ValueError:
                break
            return year, month, day
    raise ValueError(f"“{text}” is not a date.")
