"""
Importing contacts from files: CSV (Google Contacts, Outlook, our own export,
any spreadsheet with a column mapping) and vCard 2.1, 3.0 and 4.0.

``readers`` detects a file's format, encoding and layout and streams it as
``records.ImportRecord`` objects (``layouts`` maps CSV columns to fields,
``values`` reads dates and splits names); planning, committing and undoing an
import use those records.
"""
