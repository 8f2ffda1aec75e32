"""
A file's contacts, read as a stream: ``inspect()`` tells what the file is
(CSV or vCard, its encoding, its CSV dialect and layout, a mapping and
samples for the mapping screen), ``read_records()`` yields its contacts.

Nothing asks the user for an encoding or a delimiter. A byte-order mark
names the encoding (UTF-8, or UTF-16 as Outlook writes it); without one,
the first bytes that are not ASCII decide between UTF-8 and Windows-1252
(older Excel): a file whose accents are valid UTF-8 up to a broken sequence
is UTF-8 with an error ("not valid UTF-8 at line N"), one whose first
accent is not UTF-8 is Windows-1252, which decodes almost anything, so a
file with NUL bytes (not UTF-16) is refused as binary first. The delimiter
is the one of comma, semicolon and tab that splits the first lines into the
same number of columns, most of them.

Memory stays bounded whatever the file's size: it is read 64 KiB at a time,
a line longer than 1 MiB, a row or card larger than 1 MiB, more than 1,000
columns or 100 lines of one kind in a vCard stop the reading with an
``ImportFileError`` saying where.
"""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import BinaryIO

from ..conf import settings
from ..exports import cell_text
from . import vcards
from .layouts import RowReader, recognise
from .records import ImportFileError, ImportRecord

__all__ = [  # and MAX_IMPORT_BYTES, read when asked (see __getattr__)
    "FileInfo",
    "ImportFileError",
    "inspect",
    "max_import_bytes",
    "read_records",
]

MiB = 1024 * 1024
MAX_LINE = MiB  # characters of one line, or of one CSV row spanning several
MAX_COLUMNS = 1000
CHUNK = 64 * 1024
SAMPLE_ROWS = 1000  # rows (or cards) inspect() reads for samples and the estimate
SAMPLES = 3
SAMPLE_LENGTH = 100
DELIMITERS = (",", ";", "\t")
BYTE_ORDER_MARKS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp1252": "Windows-1252"}
ENCODING_NAMES |= {
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "utf-32": "UTF-32",
}
# Files people pick by mistake, by their first bytes.
NOT_TEXT = [
    (b"PK\x03\x04", "a ZIP archive (an Excel or LibreOffice workbook?): save it as CSV first"),
    (b"\xd0\xcf\x11\xe0", "an Excel workbook (.xls): save it as CSV first"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "an image"),
    (b"\xff\xd8\xff", "an image"),
    (b"GIF8", "an image"),
]
# Control characters no CSV or vCard has (tab, line feed, form feed, carriage return excepted).
CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 27), *range(28, 32)])
_LINE_END = re.compile(r"\r\n|\r|\n")


def max_import_bytes() -> int:
    """Return the largest file an import accepts, in bytes (CRM_IMPORT_MAX_BYTES)."""
    return int(settings.IMPORT_MAX_BYTES)


def __getattr__(name):
    # readers.MAX_IMPORT_BYTES reads the setting when asked, so tests can override it.
    if name == "MAX_IMPORT_BYTES":
        return max_import_bytes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class FileInfo:
    """What a file is, as ``inspect()`` found it; stored with the import."""

    format: str  # "csv" | "vcard"
    encoding: str  # the Python codec used: "utf-8", "utf-8-sig", "utf-16", "cp1252"...
    delimiter: str = ""  # CSV: ",", ";" or "\t"
    header: list[str] = field(default_factory=list)  # CSV: the header's cells
    layout: str = "vcard"  # "google", "outlook", "crm", "custom" (CSV) or "vcard"
    mapping: list[str] = field(default_factory=list)  # CSV: a key of FIELDS or "" per column
    samples: list[list[str]] = field(default_factory=list)  # CSV: up to 3 values per column
    rows_estimate: int = 0  # about how many rows or cards, for progress


def _size(stream):
    size = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    limit = max_import_bytes()
    if size > limit:
        limit_text = f"{limit / MiB:,.0f} MiB"
        raise ImportFileError(
            f"The file is {size / MiB:,.1f} MiB; an import takes files up to {limit_text}."
        )
    return size


def _utf16_without_mark(head):
    """Return "utf-16-le" or "utf-16-be" when ``head`` looks like it, else None."""
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > len(odd) * 0.3 and even.count(0) < len(even) * 0.05:
        return "utf-16-le"
    if even.count(0) > len(even) * 0.3 and odd.count(0) < len(odd) * 0.05:
        return "utf-16-be"
    return None


def _utf8_or_cp1252(data, lines_before):
    """Decide the encoding of ``data``, whose first bytes that are not ASCII it holds."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
        return "utf-8"
    except UnicodeDecodeError as error:
        before = data[: error.start]
        if not before.isascii():
            line = lines_before + before.count(b"\n") + 1
            raise ImportFileError(
                f"The file is not valid UTF-8 at line {line}.", line=line
            ) from None
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError as error:
        line = lines_before + data[: error.start].count(b"\n") + 1
        byte = f"byte 0x{data[error.start]:02X}"
        message = f"The file is neither UTF-8 nor Windows-1252 text (line {line}, {byte})."
        raise ImportFileError(message, line=line) from None


def detect_encoding(stream: BinaryIO) -> str:
    """Return the codec of a text file's bytes; raise ImportFileError when it is not text."""
    stream.seek(0)
    head = stream.read(CHUNK)
    for mark, encoding in BYTE_ORDER_MARKS:
        if head.startswith(mark):
            return encoding
    for magic, what in NOT_TEXT:
        if head.startswith(magic):
            raise ImportFileError(f"This is {what}, not a CSV or vCard file.")
    if b"\x00" in head:
        encoding = _utf16_without_mark(head)
        if encoding:
            return encoding
        raise ImportFileError("The file is not text (it holds NUL bytes): it is no CSV or vCard.")
    if len(head.translate(None, CONTROL_BYTES)) < len(head) * 0.99:
        raise ImportFileError("The file is not text (control characters): it is no CSV or vCard.")
    # The first bytes that are not ASCII decide; a file may be ASCII for megabytes
    # first (on the way, a line too long is refused before the rest is read).
    data, lines_before, line_length = head, 0, 0
    while data:
        if not data.isascii():
            position = next(i for i, byte in enumerate(data) if byte > 127)
            start = data.rfind(b"\n", 0, position) + 1
            lines_before += data.count(b"\n", 0, start)
            return _utf8_or_cp1252(data[start:], lines_before)
        last = max(data.rfind(b"\n"), data.rfind(b"\r"))
        line_length = len(data) - last - 1 if last >= 0 else line_length + len(data)
        lines_before += data.count(b"\n")
        if line_length > MAX_LINE:
            line = lines_before + 1
            raise ImportFileError(f"Line {line} is longer than 1 MiB.", line=line)
        data = stream.read(CHUNK)
    return "utf-8"


class _Lines:
    """
    The lines of a binary stream decoded, each with its line ending, none
    longer than MAX_LINE; counts the lines and what they cost in bytes.
    """

    def __init__(self, stream, encoding):
        self.stream, self.encoding = stream, encoding
        self.number = 0  # lines read
        self.raw = self.decoded = self.used = 0  # bytes read, characters decoded, yielded
        # Where the CSV row being read started (None: lines are not rows, as in a vCard).
        self.record_start = self.record_line = None

    def start_record(self):
        """Note that a new CSV row starts with the next line (its size is limited too)."""
        self.record_start, self.record_line = self.used, self.number + 1

    def __iter__(self):
        self.stream.seek(0)
        decoder = codecs.getincrementaldecoder(self.encoding)()
        pending = ""
        while True:
            raw = self.stream.read(CHUNK)
            self.raw += len(raw)
            try:
                text = pending + decoder.decode(raw, final=not raw)
            except UnicodeDecodeError as error:
                raise self._not_valid(error) from None
            self.decoded += len(text) - len(pending)
            end = 0
            # Line endings are searched for, not lines: a regular expression of a
            # whole line would scan a long line again from each of its characters.
            for match in _LINE_END.finditer(text):
                if match.end() == len(text) and match.group() == "\r" and raw:
                    break  # "\r" may be the half of a "\r\n" the next chunk ends
                yield self._counted(text[end : match.end()])
                end = match.end()
            pending = text[end:]
            if len(pending) > MAX_LINE:
                line = self.number + 1
                raise ImportFileError(f"Line {line} is longer than 1 MiB.", line=line)
            if not raw:
                break
        if pending:
            yield self._counted(pending)

    def _counted(self, line):
        self.number += 1
        self.used += len(line)
        if len(line) > MAX_LINE:
            raise ImportFileError(f"Line {self.number} is longer than 1 MiB.", line=self.number)
        if self.record_start is not None and self.used - self.record_start > MAX_LINE:
            line = self.record_line
            raise ImportFileError(f"The row at line {line} is larger than 1 MiB.", line=line)
        return line

    def _not_valid(self, error):
        before = error.object[: error.start]
        line = self.number + 1 + before.decode(self.encoding, "replace").count("\n")
        name = ENCODING_NAMES.get(self.encoding, self.encoding)
        return ImportFileError(f"The file is not valid {name} at line {line}.", line=line)

    def bytes_used(self):
        """Return about how many bytes the lines read so far took in the file."""
        return self.used * self.raw / max(self.decoded, 1)


def _rows(lines, delimiter):
    """Yield (row number, cells) of each row that is not blank, numbered as a spreadsheet does."""
    reader = csv.reader(iter(lines), delimiter=delimiter)
    number = 0
    while True:
        lines.start_record()
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            line = lines.number
            if "field larger than field limit" in str(error):
                limit = csv.field_size_limit()
                message = f"Line {line} has a cell longer than {limit:,} characters."
            else:
                message = f"Line {line} cannot be read as CSV: {error}."
            raise ImportFileError(message, line=line) from None
        number += 1
        if len(cells) > MAX_COLUMNS:
            message = f"Row {number} has {len(cells):,} columns; a file may have {MAX_COLUMNS:,}."
            raise ImportFileError(message, line=lines.number)
        if any(cell.strip() for cell in cells):
            yield number, cells


def _delimiter(text):
    """Return the delimiter that splits the lines of ``text`` into the most equal rows."""
    if "\n" in text.rstrip("\r\n"):
        text = text[: text.rstrip("\r\n").rfind("\n") + 1]  # complete lines only
    best, best_score = ",", None
    for delimiter in DELIMITERS:
        try:
            rows = [
                row for row in islice(csv.reader(io.StringIO(text), delimiter=delimiter), 50) if row
            ]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        alike = sum(len(row) == width for row in rows) / len(rows)
        score = (width > 1, alike, width)
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


def inspect(stream: BinaryIO, *, name: str = "") -> FileInfo:
    """
    Return what the file in the binary, seekable ``stream`` is; raise
    ImportFileError when it is empty, not text, not valid in its encoding,
    too big, has a line or row over 1 MiB, or more than 1,000 columns.
    """
    size = _size(stream)
    encoding = detect_encoding(stream)
    stream.seek(0)
    head = codecs.getincrementaldecoder(encoding)("replace").decode(stream.read(CHUNK))
    first = next((line.strip() for line in head.splitlines() if line.strip()), "")
    if not first and size <= CHUNK:
        raise ImportFileError("The file is empty.")
    if first.upper().startswith("BEGIN:VCARD"):
        return _inspect_vcard(stream, encoding, size)
    if name.lower().endswith(".vcf"):
        raise ImportFileError("This .vcf file holds no vCard: it does not start with BEGIN:VCARD.")
    return _inspect_csv(stream, encoding, _delimiter(head), size)


def _estimate(count, complete, lines, size):
    if complete:
        return count
    return round(count * size / max(lines.bytes_used(), 1))


def _inspect_vcard(stream, encoding, size):
    lines = _Lines(stream, encoding)
    count, complete = 0, True
    for count, _ in enumerate(vcards.cards(lines), start=1):
        if count == SAMPLE_ROWS:
            complete = False
            break
    if not count:
        raise ImportFileError("The file holds no complete vCard.")
    return FileInfo("vcard", encoding, rows_estimate=_estimate(count, complete, lines, size))


def _inspect_csv(stream, encoding, delimiter, size):
    lines = _Lines(stream, encoding)
    rows = _rows(lines, delimiter)
    try:
        _, header = next(rows)
    except StopIteration:
        raise ImportFileError("The file is empty.") from None
    header = [title.strip() for title in header]
    layout, mapping = recognise(header)
    clean = cell_text if layout == "crm" else str
    samples = [[] for _ in header]
    count, complete = 0, True
    for count, (_, cells) in enumerate(rows, start=1):
        for column, cell in enumerate(cells[: len(header)]):
            value = clean(cell).strip()[:SAMPLE_LENGTH]
            if value and len(samples[column]) < SAMPLES and value not in samples[column]:
                samples[column].append(value)
        if count == SAMPLE_ROWS:
            complete = False
            break
    return FileInfo(
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        header=header,
        layout=layout,
        mapping=mapping,
        samples=samples,
        rows_estimate=_estimate(count, complete, lines, size),
    )


def read_records(
    stream: BinaryIO, info: FileInfo, *, mapping: list[str] | None = None
) -> Iterator[ImportRecord]:
    """
    Yield the contacts of the file in ``stream`` (read from its start, 64 KiB
    at a time), as ``inspect()`` found it; ``mapping`` replaces the CSV's.
    Raise ImportFileError on a problem met on the way, saying at which line.
    """
    _size(stream)
    lines = _Lines(stream, info.encoding)
    if info.format == "vcard":
        yield from vcards.records(lines)
        return
    rows = _rows(lines, info.delimiter or ",")
    if next(rows, None) is None:
        return
    reader = RowReader(info.mapping if mapping is None else mapping, layout=info.layout)
    for number, cells in rows:
        yield reader.record(number, cells)
