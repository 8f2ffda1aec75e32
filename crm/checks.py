"""System checks of the contact book's settings (IDs crm.E001 on)."""

import phonenumbers
from django.core.checks import Error, register

from .conf import settings


@register()
def check_settings(app_configs, **kwargs):
    """CRM_PHONE_REGION is a region whose numbering plan phonenumbers knows."""
    region = settings.PHONE_REGION
    if region not in phonenumbers.SUPPORTED_REGIONS:
        return [
            Error(
                f"CRM_PHONE_REGION must be a two-letter region code, not {region!r}.",
                hint='An ISO 3166 code in capitals that phonenumbers knows, e.g. "US" or "FR".',
                id="crm.E001",
            )
        ]
    return []
