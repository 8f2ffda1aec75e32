"""
The API's rate limit: CRM_API_RATE_LIMIT requests per window for each token,
and for each signed-in user calling the API with their session.

The count lives in the database (``ApiRequestCount``), not in a process's
memory or cache: several app servers answer the same clients (README,
"Several app servers"), and each must see the others' requests.

A fixed window, counted by one upsert per request: one row per client, the
statement atomic under the row's unique key, so that concurrent requests
never lose a count on either database. A sliding window would need a row
(or a timestamp list) per request; the fixed one's cost is that a client
may send up to twice the limit across a window's edge, which is fine for a
limit meant to keep one client from crowding out the rest.
"""

import math
import re
import time
from dataclasses import dataclass

from django.db import connection
from ninja.throttling import BaseThrottle

from ..conf import settings
from ..models import ApiRequestCount

PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour|day)\s*$")


@dataclass(frozen=True)
class Rate:
    """``requests`` per ``seconds``."""

    requests: int
    seconds: int


def parse_rate(text) -> Rate:
    """
    Return the rate ``text`` says, e.g. "600/minute"; raise ValueError when
    it says none (crm.E006 checks the setting at start-up).
    """
    match = _RATE.match(text) if isinstance(text, str) else None
    if not match or int(match[1]) < 1:
        raise ValueError(f"not a rate: {text!r}")
    return Rate(int(match[1]), PERIODS[match[2]])


def _upsert_sql():
    # One statement, on both databases: the first request of a window starts
    # its count at 1, every other adds one; RETURNING gives this request's
    # place. Django's bulk_create(update_conflicts=True) cannot compute the
    # new value from the old, hence SQL.
    table = connection.ops.quote_name(ApiRequestCount._meta.db_table)
    return (
        f"INSERT INTO {table} (client, slot, hits) VALUES (%s, %s, 1) "  # noqa: S608 - _meta's name
        f"ON CONFLICT (client) DO UPDATE SET "
        f"hits = CASE WHEN {table}.slot = excluded.slot THEN {table}.hits + 1 ELSE 1 END, "
        f"slot = excluded.slot "
        f"RETURNING hits"
    )


def count_request(client: str, rate: Rate, now: float | None = None) -> tuple[int, float]:
    """
    Count one request of ``client`` in the current window of ``rate``;
    return how many it has sent in this window, this one included, and the
    seconds left until the window ends.
    """
    now = time.time() if now is None else now
    slot = int(now // rate.seconds)
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(), [client, slot])
        (hits,) = cursor.fetchone()
    return hits, (slot + 1) * rate.seconds - now


def client_of(request) -> str:
    """Return whom ``request`` counts against: its token, else its user."""
    token = getattr(request, "api_token", None)
    return f"token:{token.pk}" if token is not None else f"user:{request.user.pk}"


class RateLimit(BaseThrottle):
    """
    Ninja's throttle over ``count_request``: after authentication, a client
    over the limit is answered 429 with Retry-After (crm.api.problems).
    """

    def allow_request(self, request) -> bool:
        rate = parse_rate(settings.API_RATE_LIMIT)
        hits, left = count_request(client_of(request), rate)
        request.api_retry_after = max(1, math.ceil(left))
        return hits <= rate.requests

    def wait(self):
        # Ninja asks the throttle, not the request: the answer is set on the
        # request by allow_request and read back by the 429 handler.
        return None
