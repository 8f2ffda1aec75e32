#!/usr/bin/env python
"""
Time what the contact history costs: writes with it against the same writes
without it, and a contact's history page at 10 and at 10,000 changes.

In one run, on a benchmark database of its own: ``crm_demo --contacts N``
(default 2,000), then ``--changes`` changes (default 1,000,000) over all
of them, so that the change table and its index are the size a busy
book's are (PostgreSQL only: it uses ``generate_series``). Then,
alternating rounds with history on and off (off: ``crm.services.history``
snapshots and records nothing), each write path a user runs most:

- an edit through the contact form's workflow (``contact_save``): the name
  and a phone's label changed, an email added or removed;
- relating two contacts and unrelating them again;
- tagging 1,000 contacts in bulk and untagging them.

And the history page of contacts with 10, 100 and 10,000 changes, and
their contact pages, through Django's test client: a history page shows 50
changes, so the one of 10 changes has fewer to show; 100 against 10,000 is
the same page over a longer history. Prints the median milliseconds of
each, the ratios, and the targets (a write at most 1.5x; a page at 10,000
changes within 1.2x of the same page at 100, and the contact page of 10)
with ok or MISSED; the history page of 10 changes is printed beside them,
not held to the target, as it shows 10 rows where the others show 50.

Last, an import's commit, a write too: ``--import-rows`` contacts
(default 20,000) seeded with ``crm_demo`` and exported as CSV, then
imported into the emptied book ``--import-rounds`` times with history and
without, in turns, each commit after a CHECKPOINT (the preview is not
timed). bench/import.py also commits its first import with history and
without, in processes of their own.

    .venv/bin/python bench/history.py
    .venv/bin/python bench/history.py --contacts 500 --changes 20000 --rounds 3 \
        --import-rows 2000 --import-rounds 1                                    # quick
    .venv/bin/python bench/history.py --import-rows 100000 --import-rounds 2   # a big import

The database is ``--database-url`` (default ``$BENCH_HISTORY_DATABASE_URL``,
else postgres://postgres@127.0.0.1:5432/crm_bench_history), created when
missing and emptied first; its name must contain "bench".
"""

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _database import empty_book, history_off, setup  # noqa: E402 - bench/ is not a package
from _imports import export, previewed  # noqa: E402
from _imports import seed as seed_book

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_history"
WRITE_TARGET = 1.5  # a write with history at most this times the same write without
PAGE_TARGET = 1.2  # a page at 10,000 changes within this times the same page of a short history


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=2000, help="Contacts (default 2,000).")
    parser.add_argument(
        "--changes", type=int, default=1_000_000, help="Changes padding the table (1,000,000)."
    )
    parser.add_argument("--rounds", type=int, default=7, help="Rounds on and off (default 7).")
    parser.add_argument(
        "--import-rows",
        type=int,
        default=20_000,
        help="Rows of the import whose commit is timed (default 20,000; 0: none).",
    )
    parser.add_argument(
        "--import-rounds", type=int, default=3, help="Imports on and off (default 3)."
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_HISTORY_DATABASE_URL") or DEFAULT_URL,
        help="Its database name must contain 'bench'.",
    )
    return parser.parse_args()


def seed(contacts, changes):
    """
    Seed the book, then its history: ``changes`` changes over every contact,
    of which 10, 100 and 10,000 are those of three contacts, spread through
    the rest as a busy book's are. Return {number of changes: contact}.
    """
    from django.core.management import call_command
    from django.db import connection

    from crm.imports.worker import analyze_contact_book
    from crm.models import Change, Contact

    empty_book()
    call_command("crm_demo", contacts=contacts, stdout=open(os.devnull, "w"))  # noqa: SIM115
    chosen = dict(zip([10, 100, 10_000], Contact.objects.order_by("pk")[:3], strict=True))
    Change.objects.filter(contact__in=chosen.values()).delete()
    first = Contact.objects.order_by("pk").values_list("pk", flat=True)[3]
    # Row g belongs to a chosen contact when g falls on its stride, else to
    # one of the others in turn.
    strides = " ".join(
        f"WHEN g %% {changes // count} = {n} THEN {contact.pk}"
        for n, (count, contact) in enumerate(chosen.items())
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO crm_change (contact_id, at, operation, source, ref, kind, key,"  # noqa: S608
            f" action, after) SELECT CASE {strides} ELSE {first} + g %% (%s - 3) END,"
            " now(), gen_random_uuid(), 'form', '', 'tag', g::text, 'add',"
            ' \'{"name": "x"}\'::jsonb FROM generate_series(1, %s) g',
            [contacts, changes],
        )
        cursor.execute("ANALYZE crm_change")
    analyze_contact_book()
    return chosen


def timed(func, repeat):
    """Return the median milliseconds of ``func()`` over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def writes():
    """Return the write paths to time: {name: (function, calls per round)}."""
    from crm.models import Contact, RelationshipType
    from crm.services.bulk import contacts_tag, contacts_untag
    from crm.services.contacts import contact_save
    from crm.services.relationships import relationship_add, relationship_remove

    people = list(Contact.objects.order_by("pk")[3:53])
    kind = RelationshipType.objects.first()
    flip = {"n": 0}

    def edit():
        flip["n"] += 1
        contact = people[flip["n"] % len(people)]
        contact.name = f"{contact.name.split(' #')[0]} #{flip['n']}"
        label = "office" if flip["n"] % 2 else "mobile"
        emails = [{"address": f"bench{flip['n'] % 2}@example.org", "label": "home"}]
        contact_save(
            contact=contact,
            phones=[(f"+1 212 555 {1000 + contact.pk % 8000:04d}", label)],
            addresses=[],
            emails=emails,
        )

    def relate():
        flip["n"] += 1
        a, b = people[flip["n"] % 25], people[25 + flip["n"] % 25]
        relationship_add(contact=a, other=b, types=[kind])
        relationship_remove(contact=a, other=b)

    selection = Contact.objects.filter(pk__in=Contact.objects.order_by("pk")[100:1100].values("pk"))

    def bulk():
        contacts_tag(contacts=selection, tag="Bench")
        contacts_untag(contacts=selection, tag="Bench")

    return {
        "edit (contact_save)": (edit, 40),
        "relate + unrelate": (relate, 40),
        "tag + untag 1,000": (bulk, 3),
    }


def pages(contacts):
    """Return the pages to time: {name: (function, calls)}."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    user, _ = get_user_model().objects.get_or_create(username="bench-history")
    client = Client()
    client.force_login(user)

    def get(url):
        def fetch():
            response = client.get(url, secure=True)  # production settings redirect to HTTPS
            assert response.status_code == 200, (url, response.status_code)

        return fetch

    found = {}
    for count, contact in contacts.items():
        label = f"{count:,} changes"
        found[f"history page, {label}"] = get(reverse("crm:contact_history", args=[contact.pk]))
        found[f"contact page, {label}"] = get(contact.get_absolute_url())
    return found


def off_or_on(on):
    """Return a context in which history records (``on``) or does not."""
    return contextlib.nullcontext() if on else history_off()


def checkpoint():
    """
    Write PostgreSQL's dirty pages out now (CHECKPOINT): each commit timed
    starts from a clean checkpoint, rather than paying for the one that the
    write-ahead log of the seeding, the preview or the other turn's commit
    brought due (a commit of 100,000 rows writes 1.5 to 2.5 GB of it; the
    cluster checkpoints every 1 GB).
    """
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")


def imports(rows, rounds):
    """
    Commit an import of ``rows`` contacts into an empty book ``rounds``
    times with history and without, in turns; return {on: [seconds]}.
    The file is previewed once: each commit starts from its rows as the
    preview left them (``uncommitted()``).
    """
    from django.contrib.auth import get_user_model

    from crm.imports.commit import import_commit

    seconds = {True: [], False: []}
    with tempfile.TemporaryDirectory(prefix="bench-history-") as folder:
        path = Path(folder, "contacts.csv")
        empty_book()
        with history_off():  # the file is what is timed, not its making
            seed_book(rows)
        export(path)
        empty_book()
        author, _ = get_user_model().objects.get_or_create(username="bench-history")
        run, _ = previewed(path, author=author)
        preview = save_preview()
        for round_ in range(rounds):
            # Each turn first in one round of two: neither always follows the other.
            for on in (True, False) if round_ % 2 == 0 else (False, True):
                run = uncommitted(run, preview)
                checkpoint()
                with off_or_on(on):
                    started = time.perf_counter()
                    import_commit(import_run=run)
                    seconds[on].append(time.perf_counter() - started)
    return seconds


def save_preview():
    """Copy the import's rows as the preview wrote them to a table; return its name."""
    from django.db import connection

    from crm.models.imports import ImportRow

    table = ImportRow._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_preview")
        cursor.execute(f"CREATE TABLE bench_preview AS SELECT * FROM {table}")  # noqa: S608
    return "bench_preview"


def uncommitted(run, preview):
    """
    Return ``run`` as its preview left it, in a book holding nothing else:
    the contact book emptied, its rows copied back from ``preview``.
    """
    from django.apps import apps
    from django.db import connection

    from crm.models.imports import Import, ImportRow

    kept = {Import._meta.db_table, ImportRow._meta.db_table}
    book = [
        connection.ops.quote_name(model._meta.db_table)
        for model in apps.get_app_config("crm").get_models(include_auto_created=True)
        if model._meta.db_table not in kept
    ]
    with connection.cursor() as cursor:
        # CASCADE empties the import's rows too, which point at contacts.
        cursor.execute(f"TRUNCATE {', '.join(book)} RESTART IDENTITY CASCADE")
        cursor.execute(f"INSERT INTO {ImportRow._meta.db_table} SELECT * FROM {preview}")  # noqa: S608
        cursor.execute("VACUUM ANALYZE")
    Import.objects.filter(pk=run.pk).update(committed_at=None)
    return Import.objects.get(pk=run.pk)


def main():
    args = parse_args()
    setup(args.database_url)
    print(
        f"Seeding {args.contacts:,} contacts and {args.changes:,} changes of others ...",
        flush=True,
    )
    contacts = seed(args.contacts, args.changes)
    paths = writes()
    results = {name: {True: [], False: []} for name in paths}
    for _ in range(args.rounds):
        for on in (True, False):
            with off_or_on(on):
                for name, (func, calls) in paths.items():
                    results[name][on].append(timed(func, calls))
    page_times = {name: timed(fetch, 5 * args.rounds) for name, fetch in pages(contacts).items()}
    commits = {}
    if args.import_rows:
        print(
            f"Committing an import of {args.import_rows:,} contacts {args.import_rounds} times "
            "with history and without ...",
            flush=True,
        )
        commits = imports(args.import_rows, args.import_rounds)
    report(args, results, page_times, commits)


def report(args, results, page_times, commits):
    from django.db import connection

    print(f"\nContact history ({connection.vendor}), median ms of {args.rounds} rounds\n")
    print(f"{'write':<24}{'history on':>12}{'off':>10}{'ratio':>8}")
    verdicts = []
    for name, by in results.items():
        on, off = statistics.median(by[True]), statistics.median(by[False])
        print(f"{name:<24}{on:>12.2f}{off:>10.2f}{on / off:>7.2f}x")
        verdicts.append((f"{name}: {on / off:.2f}x (<= {WRITE_TARGET}x)", on / off <= WRITE_TARGET))
    if commits:
        on, off = statistics.median(commits[True]), statistics.median(commits[False])
        name = f"import {args.import_rows:,} rows"
        print(f"{name:<24}{on * 1000:>12.0f}{off * 1000:>10.0f}{on / off:>7.2f}x")
        each = ", ".join(
            f"{a:.1f}/{b:.1f}" for a, b in zip(commits[True], commits[False], strict=True)
        )
        print(f"{'':<24}(s with/without, each round: {each})")
        text = f"{name}' commit: {on / off:.2f}x (<= {WRITE_TARGET}x)"
        verdicts.append((text, on / off <= WRITE_TARGET))
    print(f"\n{'page':<32}{'ms':>8}")
    for name, ms in page_times.items():
        print(f"{name:<32}{ms:>8.2f}")
    for page, few in [("history page", "100"), ("contact page", "10"), ("contact page", "100")]:
        ratio = page_times[f"{page}, 10,000 changes"] / page_times[f"{page}, {few} changes"]
        text = f"{page} at 10,000 / {few} changes: {ratio:.2f}x (<= {PAGE_TARGET}x)"
        verdicts.append((text, ratio <= PAGE_TARGET))
    print("\nTargets")
    for text, ok in verdicts:
        print(f"  {text}  {'ok' if ok else 'MISSED'}")
    ratio = page_times["history page, 10,000 changes"] / page_times["history page, 10 changes"]
    print(
        f"  (history page at 10,000 / 10 changes: {ratio:.2f}x, showing 50 changes against "
        "10: the rows it renders, not the history's length)"
    )


if __name__ == "__main__":
    main()
