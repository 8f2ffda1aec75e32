"""
Creates a client may retry: the ``Idempotency-Key`` header.

The first request with a key claims it by inserting its row, in the
transaction that creates the contact, and stores its answer there before
commit. A retry with the same key, by the same user, gets that answer again
(status and body) and creates nothing. Two requests racing with one key:
the second's insert waits on the unique index until the first commits,
fails, and reads the first's answer; if the first failed (a 4xx answers
nothing stored), the second goes on as the first. The same key with another
body is refused. Keys expire after ``TTL``; ``manage.py crm_purge_trash``
drops the expired ones daily.
"""

import datetime
import hashlib
import json

from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from ninja.responses import NinjaJSONEncoder

from ..models import IdempotencyKey
from . import problems

HEADER = "Idempotency-Key"
MAX_LENGTH = IdempotencyKey._meta.get_field("key").max_length
TTL = datetime.timedelta(hours=24)


def key_of(request) -> str | None:
    """Return the request's Idempotency-Key, None without one; refuse one out of bounds."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_LENGTH or not key.isprintable():
        raise _refused(f"An {HEADER} is 1 to {MAX_LENGTH} printable characters.")
    return key


def fingerprint(request, payload: dict) -> str:
    """Return the digest of what ``request`` asks: its operation and its body."""
    text = json.dumps([request.method, request.path, payload], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class Refused(Exception):
    """The key cannot be used for this request; ``response`` says why."""

    def __init__(self, response):
        super().__init__(response)
        self.response = response


def _refused(detail):
    return Refused(
        problems.problem(
            422, detail, errors=[{"field": "header.idempotency-key", "message": detail}]
        )
    )


def claim(*, user, key: str, digest: str) -> IdempotencyKey | None:
    """
    Claim ``key`` for ``user`` in the current transaction; return None, or
    the answer stored for it when a request with the same key was answered.
    Raise Refused when that request was another.
    """
    expired = timezone.now() - TTL
    IdempotencyKey.objects.filter(user=user, key=key, created__lt=expired).delete()
    try:
        with transaction.atomic():  # a savepoint: the create goes on after a failure
            IdempotencyKey.objects.create(user=user, key=key, fingerprint=digest, status=0, body={})
        return None
    except IntegrityError:
        # Answered before, or by a request racing this one, which has committed now.
        stored = IdempotencyKey.objects.get(user=user, key=key)
    if stored.fingerprint != digest:
        raise _refused(
            f"This {HEADER} was used for another request: use a new key for a new request."
        )
    return stored


def as_sent(values: dict) -> str:
    """Return ``values`` as the API's JSON renderer sends them, for a replay to send the same."""
    return json.dumps(values, cls=NinjaJSONEncoder)


def store(*, user, key: str, status: int, body: str, headers: dict) -> None:
    """Store the answer to the request that claimed ``key``, in its transaction."""
    IdempotencyKey.objects.filter(user=user, key=key).update(
        status=status, body=body, headers=headers
    )


def replay(stored: IdempotencyKey) -> HttpResponse:
    """Return the answer stored for a key again."""
    response = HttpResponse(
        stored.body, status=stored.status, content_type="application/json; charset=utf-8"
    )
    for name, value in stored.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def purge() -> int:
    """Delete the keys past ``TTL``; return how many."""
    deleted, _ = IdempotencyKey.objects.filter(created__lt=timezone.now() - TTL).delete()
    return deleted
