"""
Reading log records a page at a time, newest first, without counting the table.

Pages are cut by keyset, on the (created, id) order that every index of the
log table ends with: "older" continues below the oldest record shown, "newer"
(and the live tail) above the newest. A page reads one more row than it shows
to know whether more follow, and nothing else; a bound on ``created`` beside
each keyset condition lets PostgreSQL skip the day partitions out of range.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.functions import Coalesce, Substr

from ..models import LogMessage

# A traceback (or a message) can hold a batch body's worth, a megabyte: the
# viewer reads at most this much of each and links to the admin for the rest.
SHOWN_CHARACTERS = 32 * 1024
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
# Fields the viewer never shows: left in the database.
UNSHOWN = ["msg", "args", "exc_text", "exc_info", "stack_info", "extra", "client_id"]


@dataclass(frozen=True)
class Cursor:
    """A place in the (created, id) order, written ``<microseconds since 1970>,<id>`` in URLs."""

    created: datetime.datetime
    id: int

    @classmethod
    def parse(cls, text):
        """Return the cursor written in ``text``, or None when it is not one."""
        micros, _, pk = (text or "").partition(",")
        if not (micros.isascii() and micros.isdigit() and pk.isascii() and pk.isdigit()):
            return None
        if len(micros) > 17 or len(pk) > 19:
            return None
        return cls(EPOCH + datetime.timedelta(microseconds=int(micros)), int(pk))

    @classmethod
    def of(cls, record):
        return cls(record.created, record.pk)

    def __str__(self):
        return f"{(self.created - EPOCH) // datetime.timedelta(microseconds=1)},{self.id}"


# Before every record there is: where an empty page's live tail starts.
START = Cursor(EPOCH, 0)


@dataclass
class RecordPage:
    """The records of one page, newest first, and where the pages around it start."""

    records: list
    older: Cursor | None = None
    newer: Cursor | None = None
    more_newer: bool = False
    tail: Cursor = field(default=START)


def record_rows(
    *,
    application=None,
    min_level=None,
    logger="",
    group=None,
    since=None,
    until=None,
    text="",
):
    """Return the records matching every filter given, as the viewer shows them."""
    rows = LogMessage.objects.select_related("application").defer(*UNSHOWN)
    rows = rows.annotate(
        traceback_text=Substr(Coalesce("exc_text", "exc_info"), 1, SHOWN_CHARACTERS + 1),
        stack_text=Substr("stack_info", 1, SHOWN_CHARACTERS + 1),
    )
    if application is not None:
        rows = rows.filter(application=application)
    if min_level is not None:
        rows = rows.filter(levelno__gte=min_level)
    if logger:
        rows = rows.filter(name=logger)
    if group is not None:
        rows = rows.filter(group=group)
    if since is not None:
        rows = rows.filter(created__gte=since)
    if until is not None:
        rows = rows.filter(created__lte=until)
    if text:
        # No index serves a substring: the other filters and the keyset bound it.
        rows = rows.filter(message__icontains=text)
    return rows


def older_than(rows, cursor):
    return rows.filter(Q(created__lt=cursor.created) | Q(created=cursor.created, pk__lt=cursor.id))


def newer_than(rows, cursor):
    return rows.filter(Q(created__gt=cursor.created) | Q(created=cursor.created, pk__gt=cursor.id))


def record_page(rows, *, size, before=None, after=None):
    """
    Return a `RecordPage` of at most ``size`` of ``rows``, newest first, in one query.

    Without a cursor, the newest records; with ``before``, those just older
    than it; with ``after``, those just newer (the oldest of them first to
    come, so that nothing is skipped), shown newest first all the same.
    """
    if after is not None:
        found = list(
            newer_than(rows.filter(created__gte=after.created), after).order_by("created", "pk")[
                : size + 1
            ]
        )
        records = found[:size][::-1]
        newest = Cursor.of(records[0]) if records else after
        return RecordPage(
            records=records,
            older=Cursor.of(records[-1]) if records else after,
            newer=newest,
            more_newer=len(found) > size,
            tail=newest,
        )
    if before is not None:
        rows = older_than(rows.filter(created__lte=before.created), before)
    found = list(rows.order_by("-created", "-pk")[: size + 1])
    records = found[:size]
    newest = Cursor.of(records[0]) if records else (before or START)
    return RecordPage(
        records=records,
        older=Cursor.of(records[-1]) if len(found) > size else None,
        newer=newest if before is not None or records else None,
        tail=newest,
    )


def record_senders(rows, *, recent=1000):
    """
    Return who sent the latest ``recent`` of ``rows``: one entry per address and process.

    Each entry holds the address, the process name, how many of those records
    came from it and when the latest did, most records first.
    """
    senders = {}
    latest = rows.order_by("-created", "-pk").values_list("remote_addr", "processName", "created")
    for address, process, created in latest[:recent]:
        sender = senders.setdefault(
            (address, process),
            {"address": address, "process": process, "records": 0, "last_seen": created},
        )
        sender["records"] += 1
    return sorted(senders.values(), key=lambda sender: -sender["records"])
