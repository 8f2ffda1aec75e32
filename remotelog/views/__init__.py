"""Views of remotelog, one module per topic: ingest (and the overview), groups, records."""
