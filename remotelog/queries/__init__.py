"""Reads behind the pages for staff, one module per topic: groups, records."""
