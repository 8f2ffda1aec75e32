#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    # manage.py is the developer's entry point: without DJANGO_DEBUG it runs
    # with the development defaults (a secret key kept in var/, localhost).
    # Servers start through crm/wsgi.py, and ops run deploy/crm-manage, which
    # set debug off unless told otherwise.
    os.environ.setdefault("DJANGO_DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
