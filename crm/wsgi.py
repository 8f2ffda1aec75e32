"""WSGI entry point: ``crm.wsgi:application`` for gunicorn and mod_wsgi."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

application = get_wsgi_application()
