"""
Contacts as CSV (``spreadsheet``) and as vCard 4.0 or 3.0 (``vcard``),
produced a line or a card at a time, every field of every contact.
"""

from .spreadsheet import cell_text, csv_lines, spreadsheet_text
from .vcard import VCARD_VERSIONS, vcards

__all__ = ["VCARD_VERSIONS", "cell_text", "csv_lines", "spreadsheet_text", "vcards"]
