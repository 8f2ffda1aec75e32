"""System checks of the remote log settings (IDs remotelog.E001 to remotelog.E007)."""

from django.conf import settings as django_settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string

from .conf import settings

POSITIVE_INTEGERS = {
    "MAX_BODY": "remotelog.E001",
    "BATCH_MAX_RECORDS": "remotelog.E002",
    "BATCH_MAX_BODY": "remotelog.E003",
    "PURGE_CHUNK_SIZE": "remotelog.E004",
}
# Room for the truncation marker ("… [truncated: 198,000,000 characters]") and text.
SHORTEST_MAX_MESSAGE = 100


@register()
def check_settings(app_configs, **kwargs):
    """Each limit is a positive integer, and no body limit exceeds Django's own."""
    errors = []
    for name, check_id in POSITIVE_INTEGERS.items():
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            errors.append(
                Error(
                    f"REMOTELOG_{name} must be a positive integer, not {value!r}.",
                    id=check_id,
                )
            )
    value = settings.MAX_MESSAGE
    if isinstance(value, bool) or not isinstance(value, int) or value < SHORTEST_MAX_MESSAGE:
        errors.append(
            Error(
                f"REMOTELOG_MAX_MESSAGE must be an integer of at least {SHORTEST_MAX_MESSAGE}, "
                f"not {value!r}.",
                id="remotelog.E006",
            )
        )
    errors += _check_outboxes()
    if errors:
        return errors
    # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE, so a larger
    # remotelog limit would turn accepted sizes into errors.
    django_limit = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if django_limit is not None:
        for name in ("MAX_BODY", "BATCH_MAX_BODY"):
            if getattr(settings, name) > django_limit:
                errors.append(
                    Error(
                        f"REMOTELOG_{name} ({getattr(settings, name)}) exceeds "
                        f"DATA_UPLOAD_MAX_MEMORY_SIZE ({django_limit}).",
                        hint="Lower the remotelog limit or raise Django's.",
                        id="remotelog.E005",
                    )
                )
    return errors


def _check_outboxes():
    """Each entry of REMOTELOG_OUTBOXES names an Outbox subclass."""
    from .alerts.outbox import Outbox

    errors = []
    for path in settings.OUTBOXES:
        try:
            found = import_string(path)
        except ImportError as error:
            found = error
        if not (isinstance(found, type) and issubclass(found, Outbox)):
            errors.append(
                Error(
                    f"REMOTELOG_OUTBOXES: {path!r} is not an Outbox subclass ({found!r}).",
                    hint="Name a subclass of remotelog.alerts.outbox.Outbox by its dotted path.",
                    id="remotelog.E007",
                )
            )
    return errors
