"""
Settings of the contact book, read lazily with their defaults.

Use ``from crm.conf import settings`` and read ``settings.PHONE_REGION``: the
value comes from ``CRM_PHONE_REGION`` in the Django settings at the moment it
is read (so tests can override it), else from the default below.
"""

from django.conf import settings as django_settings

DEFAULTS = {
    # Region (ISO 3166 two-letter code) of a phone number typed without its
    # country code: "(202) 555-0143" is a US number by default.
    "PHONE_REGION": "US",
    # The largest file an import accepts, in bytes (crm.imports): 50 MiB holds
    # some 250,000 contacts of a Google Contacts CSV.
    "IMPORT_MAX_BYTES": 50 * 1024 * 1024,
    # Days a deleted contact stays in the trash before ``manage.py
    # crm_purge_trash`` deletes it for good: Google Contacts keeps them 30.
    "TRASH_DAYS": 30,
    # The role a new user gets (crm.roles): "viewers", "editors" or "managers",
    # or "" for none. Editors, so that a small office keeps working as before.
    "DEFAULT_ROLE": "editors",
    # Who sees which contacts (crm.visibility): "all", every signed-in user sees
    # every contact; "team", users see their teams' contacts and those shared
    # with their teams, and managers see all.
    "VISIBILITY": "all",
    # How many requests one API token (or signed-in user) may send per window
    # (crm.api.limits): "<count>/<second|minute|hour|day>". Ten a second
    # on average, enough for a script, not for one to crowd out the others.
    "API_RATE_LIMIT": "600/minute",
    # The site's address as its users reach it ("https://crm.example.org"):
    # webhook events link to contacts with it. Empty: links are paths only.
    "SITE_URL": "",
    # Whether webhooks may be sent to loopback, private and link-local
    # addresses (127.0.0.1, 10.x, 169.254.169.254...): off, so that a
    # webhook cannot probe the servers behind the site and show their answer.
    "WEBHOOK_PRIVATE_ADDRESSES": False,
}


class ContactBookSettings:
    """Read ``CRM_<NAME>`` from the Django settings, or its default when unset (None)."""

    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(f"crm has no setting {name!r}")
        value = getattr(django_settings, f"CRM_{name}", None)
        return DEFAULTS[name] if value is None else value


settings = ContactBookSettings()
