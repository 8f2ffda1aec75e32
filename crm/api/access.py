"""What an API operation asks of its user: the same permissions as the site's pages."""

from django.core.exceptions import PermissionDenied

from ..permissions import REASONS


def require(request, permission: str) -> None:
    """
    Refuse the request (403, a problem saying why) unless its user holds
    ``permission``, one of crm.permissions' names.
    """
    if not request.user.has_perm(permission):
        raise PermissionDenied(f"Your role does not allow you to {REASONS[permission]}.")
