#!/usr/bin/env python
"""
Time a contact import against ``crm_demo``'s bulk seeding of the same rows.

In one run, on a benchmark database of its own: ``crm_demo --contacts N``
into an empty contact book (the reference rate: the same rows, every field
filled, inserted in bulk), that book exported as CSV (``crm.exports``: the
file has every field, as our own export writes it), the book emptied, then
the file imported into it (inspect, read, preview, commit, as the worker
runs them, minus the upload's chunks) and imported again with ``--match
email --on-match update`` (every row matches, nothing differs). Also the
first ``--memory-rows`` rows alone, into an empty book, to compare the peak
memory of the import at both sizes. Each import runs in a process of its
own, whose peak resident memory (``ru_maxrss``) is its figure.

The first import also runs once more with the contact history switched off
(``crm.services.history`` recording nothing), into an empty book again.

Prints rows per second of each, the ratio import / seeding, the peak memory
at both sizes, and the issues' targets (import at least 0.5x the seeding's
rate; memory at N within 1.2x of memory at ``--memory-rows``; the commit
with history at most 1.5x the commit without) with ok or MISSED. Seeding
records the history of what it creates too, as every command does.

    .venv/bin/python bench/import.py                 # 100,000 rows, memory also at 10,000
    .venv/bin/python bench/import.py --rows 2000     # a quick run (memory at 200)

The database is ``--database-url`` (default ``$BENCH_IMPORT_DATABASE_URL``,
else postgres://postgres@127.0.0.1:5432/crm_bench_import), created when
missing and emptied by each step; its name must contain "bench", so the
benchmark never touches a development or test database.
"""

import argparse
import contextlib
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _database import empty_book, history_off, setup  # noqa: E402 - bench/ is not a package
from _imports import export, previewed, seed  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_import"
RATE_TARGET = 0.5  # import rows/s at least this times crm_demo's
HISTORY_TARGET = 1.5  # a commit recording history at most this times one that does not
MEMORY_TARGET = 1.2  # peak memory at --rows within this times that at --memory-rows


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="Rows (default 100,000).")
    parser.add_argument(
        "--memory-rows",
        type=int,
        default=10_000,
        help="The smaller import the peak memory is compared with (default 10,000; at most "
        "a tenth of --rows).",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_IMPORT_DATABASE_URL") or DEFAULT_URL,
        help="Its database name must contain 'bench'.",
    )
    # A step run in a process of its own: seed, or import.
    parser.add_argument("--worker", choices=["seed", "import"], help=argparse.SUPPRESS)
    parser.add_argument("--file", default="", help=argparse.SUPPRESS)
    parser.add_argument("--match", default="email", help=argparse.SUPPRESS)
    parser.add_argument("--on-match", default="skip", help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-history", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def seed_worker(rows, path):
    """Seed ``rows`` demo contacts into an empty book, timed; export them to ``path``; empty it."""
    empty_book()
    started = time.monotonic()
    seed(rows)
    seconds = time.monotonic() - started
    export(path)
    empty_book()
    return {"rows": rows, "seconds": seconds}


def import_worker(path, match, on_match, keep):
    """Import the CSV at ``path`` as the worker does (inspect, read, preview, commit), timed."""
    from django.contrib.auth import get_user_model

    from crm.imports.commit import import_commit
    from crm.imports.worker import analyze_contact_book

    if not keep:
        empty_book()
    author, _ = get_user_model().objects.get_or_create(username="bench-import")
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    run, planned = previewed(path, author=author, match=match, on_match=on_match)
    previewed_at = time.monotonic()
    done = import_commit(import_run=run)
    committed = time.monotonic()
    analyze_contact_book()  # as the worker does after a large commit; not timed
    return {
        "layout": run.layout,
        "planned": planned,
        "done": done,
        "preview": previewed_at - started,
        "commit": committed - previewed_at,
        "baseline_kib": baseline,
        "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def run_worker(args, *options):
    """Run this script as a worker with ``options``; return the JSON it prints last."""
    command = [sys.executable, __file__, "--database-url", args.database_url, *options]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{' '.join(options)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def head(source, target, rows):
    """Write the header and the first ``rows`` records of the CSV ``source`` to ``target``."""
    with (
        open(source, encoding="utf-8", newline="") as read,
        open(target, "w", encoding="utf-8", newline="") as write,
    ):
        writer = csv.writer(write)
        for i, row in enumerate(csv.reader(read)):
            if i > rows:
                break
            writer.writerow(row)


def mib(kib):
    return f"{kib / 1024:,.0f} MiB"


def report(rows, small, seeded, first, again, memory):
    seed_rate = seeded["rows"] / seeded["seconds"]
    print(f"\nContact import, {rows:,} rows (every field; layout {first['layout']!r})\n")
    print(f"{'case':<44}{'seconds':>10}{'rows/s':>10}{'vs seed':>9}")
    print(f"{'crm_demo bulk seeding (reference)':<44}{seeded['seconds']:>10.1f}{seed_rate:>10,.0f}")
    rates = {}
    for label, result in [
        ("import into an empty book", first),
        ("again, match email, update", again),
    ]:
        seconds = result["preview"] + result["commit"]
        rates[label] = rows / seconds
        print(
            f"{label:<44}{seconds:>10.1f}{rates[label]:>10,.0f}{rates[label] / seed_rate:>8.2f}x"
            f"   (preview {result['preview']:.1f} s, commit {result['commit']:.1f} s)"
        )
        print(f"{'':<44}planned {result['planned']}\n{'':<44}done    {result['done']}")
    print("\nPeak memory of the import process (ru_maxrss; after setup in brackets)")
    for size, result in [(small, memory), (rows, first)]:
        print(f"  {size:>9,} rows  {mib(result['peak_kib']):>9}  ({mib(result['baseline_kib'])})")
    growth = first["peak_kib"] / memory["peak_kib"]
    print("\nTargets")
    for label, rate in rates.items():
        ratio = rate / seed_rate
        verdict = "ok" if ratio >= RATE_TARGET else "MISSED"
        print(f"  {label}: {ratio:.2f}x the seeding rate (>= {RATE_TARGET}x)  {verdict}")
    verdict = "ok" if growth <= MEMORY_TARGET else "MISSED"
    print(
        f"  peak memory {rows:,} / {small:,} rows: {growth:.2f}x (<= {MEMORY_TARGET}x)  {verdict}"
    )


def main():
    args = parse_args()
    if args.worker:
        setup(args.database_url)
        with history_off() if args.no_history else contextlib.nullcontext():
            if args.worker == "seed":
                result = seed_worker(args.rows, args.file)
            else:
                result = import_worker(args.file, args.match, args.on_match, args.keep)
        print(json.dumps(result))
        return
    small = min(args.memory_rows, max(args.rows // 10, 1))
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        whole, part = Path(folder, "contacts.csv"), Path(folder, "first.csv")
        print(f"Seeding {args.rows:,} contacts with crm_demo, then exporting them ...", flush=True)
        seeded = run_worker(
            args, "--worker", "seed", "--rows", str(args.rows), "--file", str(whole)
        )
        head(whole, part, small)
        print(f"Importing the first {small:,} rows (memory) ...", flush=True)
        memory = run_worker(args, "--worker", "import", "--file", str(part))
        print(f"Importing {args.rows:,} rows into an empty book ...", flush=True)
        first = run_worker(args, "--worker", "import", "--file", str(whole))
        print(f"Importing {args.rows:,} rows into an empty book, history off ...", flush=True)
        bare = run_worker(args, "--worker", "import", "--file", str(whole), "--no-history")
        print("Importing them again, match email, update ...", flush=True)
        again = run_worker(
            args, "--worker", "import", "--file", str(whole), "--keep", "--on-match", "update"
        )
    report(args.rows, small, seeded, first, again, memory)
    report_history(first, bare)


def report_history(first, bare):
    """Print what recording the history costs the import's commit (issue 15: at most 1.5x)."""
    ratio = first["commit"] / bare["commit"]
    verdict = "ok" if ratio <= HISTORY_TARGET else "MISSED"
    print(
        f"  commit with history {first['commit']:.1f} s / without {bare['commit']:.1f} s: "
        f"{ratio:.2f}x (<= {HISTORY_TARGET}x)  {verdict}"
    )


if __name__ == "__main__":
    main()
