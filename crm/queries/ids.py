"""A list of ids as one SQL parameter, whatever its length."""

import json
from collections.abc import Sequence

from django.db import connection
from django.db.models.expressions import RawSQL


def ids_subquery(pks: Sequence[int]) -> RawSQL:
    """
    Return a subquery of the ids ``pks`` (column ``id``) that carries them as one parameter.

    An array on PostgreSQL, a JSON list on SQLite: a statement the same size
    for ten ids or a million, never split around a limit on variables.
    """
    if connection.vendor == "postgresql":
        return RawSQL("SELECT UNNEST(%s::bigint[]) AS id", [list(pks)])
    return RawSQL("SELECT value AS id FROM json_each(%s)", [json.dumps(list(pks))])
