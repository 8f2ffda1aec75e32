"""System checks of the contact book's settings (IDs crm.E001 on)."""

import phonenumbers
from django.core.checks import Error, register

from .api.limits import parse_rate
from .conf import settings
from .roles import ROLES

# The values of CRM_VISIBILITY (crm.visibility).
VISIBILITIES = ("all", "team")


@register()
def check_settings(app_configs, **kwargs):
    """
    CRM_PHONE_REGION is a region whose numbering plan phonenumbers knows;
    CRM_IMPORT_MAX_BYTES is a size in bytes; CRM_TRASH_DAYS a number of days;
    CRM_DEFAULT_ROLE one of the roles, or empty; CRM_VISIBILITY "all" or "team";
    CRM_API_RATE_LIMIT a rate such as "600/minute".
    """
    errors = []
    region = settings.PHONE_REGION
    if region not in phonenumbers.SUPPORTED_REGIONS:
        errors.append(
            Error(
                f"CRM_PHONE_REGION must be a two-letter region code, not {region!r}.",
                hint='An ISO 3166 code in capitals that phonenumbers knows, e.g. "US" or "FR".',
                id="crm.E001",
            )
        )
    size = settings.IMPORT_MAX_BYTES
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        errors.append(
            Error(
                f"CRM_IMPORT_MAX_BYTES must be a number of bytes, not {size!r}.",
                hint="The largest file an import accepts, e.g. 52428800 for 50 MiB.",
                id="crm.E002",
            )
        )
    days = settings.TRASH_DAYS
    if not isinstance(days, int) or isinstance(days, bool) or days < 1:
        errors.append(
            Error(
                f"CRM_TRASH_DAYS must be a whole number of days, 1 or more, not {days!r}.",
                hint="How long a deleted contact stays in the trash, e.g. 30.",
                id="crm.E003",
            )
        )
    role = settings.DEFAULT_ROLE
    if role != "" and role not in ROLES:
        errors.append(
            Error(
                f"CRM_DEFAULT_ROLE must name a role or be empty, not {role!r}.",
                hint=f'One of {", ".join(map(repr, ROLES))}, or "" for no role.',
                id="crm.E004",
            )
        )
    visibility = settings.VISIBILITY
    if visibility not in VISIBILITIES:
        errors.append(
            Error(
                f"CRM_VISIBILITY must be one of {', '.join(VISIBILITIES)}, not {visibility!r}.",
                hint='"all": everyone sees every contact; "team": users see their teams\' '
                "contacts and those shared with them, managers see all.",
                id="crm.E005",
            )
        )
    try:
        parse_rate(settings.API_RATE_LIMIT)
    except ValueError:
        errors.append(
            Error(
                f"CRM_API_RATE_LIMIT must be a number of requests per period, "
                f"not {settings.API_RATE_LIMIT!r}.",
                hint='"<count>/<second|minute|hour|day>", the count 1 or more, e.g. "600/minute".',
                id="crm.E006",
            )
        )
    return errors
