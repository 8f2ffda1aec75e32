import logging

from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme

from . import conf
from .exceptions import LockNotAvailable

logger = logging.getLogger(__name__)


class LockNotAvailableMiddleware:
    """
    Answer a view's ``LockNotAvailable`` with a "busy, try again" page.

    The status is 503 with ``Retry-After`` (``LOCKING_RETRY_AFTER`` seconds):
    the request wrote nothing, and sending it again shortly will most likely
    succeed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, LockNotAvailable):
            return None
        logger.warning("Busy: %s %s: %s", request.method, request.path, exception)
        retry_after = conf.retry_after()
        context = {"retry_after": retry_after, "back_url": _back_url(request)}
        response = TemplateResponse(request, "locking/busy.html", context, status=503)
        response["Retry-After"] = str(retry_after)
        # The page depends on a moment's contention; never cache it.
        response["Cache-Control"] = "no-store"
        return response


def _back_url(request):
    """Return where "try again" leads: this page, or for a form the page that sent it."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path()
    referer = request.headers.get("Referer", "")
    if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return request.get_full_path()
