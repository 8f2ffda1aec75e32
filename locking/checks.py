from django.core.checks import Error, register

from . import conf


@register()
def check_retry_after(app_configs, **kwargs):
    """Check that LOCKING_RETRY_AFTER is a whole number of seconds, at least 1."""
    value = conf.retry_after()
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return [
            Error(
                f"LOCKING_RETRY_AFTER must be a whole number of seconds, at least 1; "
                f"got {value!r}.",
                hint="It becomes the Retry-After header of the 'busy, try again' page.",
                id="locking.E001",
            )
        ]
    return []
