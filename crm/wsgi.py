"""WSGI entry point: ``crm.wsgi:application`` for gunicorn and mod_wsgi."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

site = get_wsgi_application()

# The remote log's record endpoints take one request per record from programs:
# they skip the site's middleware for pages (remotelog/wsgi.py).
from remotelog.wsgi import with_ingest_handler  # noqa: E402 - needs the apps loaded

application = with_ingest_handler(site)
