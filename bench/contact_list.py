#!/usr/bin/env python
"""
Time the contact list against two reference versions of the same page.

Seeds N demo contacts (reusing the database when it already holds N), then
requests the list through Django's test client: first, middle and last page,
a name search and a phone search. The same page is also built here the naive
way (the contacts, then each contact's primary email, phones and addresses,
one query each) and with ``prefetch_related``. Prints the median of several runs, the SQL
query count per request and the ratios, then ``EXPLAIN`` of the search.

    .venv/bin/python bench/contact_list.py --contacts 100000

The database is ``--database-url`` (default ``$BENCH_DATABASE_URL``, else
postgres://postgres@127.0.0.1:5432/crm_bench), created when missing and
re-created when it holds another number of contacts; its name must contain
"bench", so the benchmark never touches a development or test database.
"""

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench"
# The planner settings production runs with; a session can take them, so the
# benchmark plans its queries (ours and the references alike) as a deployed
# site does, whatever the local cluster's defaults (random_page_cost = 4
# assumes spinning disks and prefers scanning whole tables).
DEPLOYED_SETTINGS = BASE_DIR / "deploy" / "postgresql" / "crm.conf"
PLANNER_SETTINGS = ("random_page_cost", "effective_cache_size", "work_mem")
TARGETS = {"ours/prefetch": 1.0, "ours/naive": 0.1, "last/first": 1.5}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1000, help="How many (default 1000).")
    parser.add_argument("--runs", type=int, default=11, help="Timed runs per case (default 11).")
    parser.add_argument("--per-page", type=int, default=50)
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    )
    return parser.parse_args()


def planner_options():
    """Return PGOPTIONS with the planner settings of the deployed PostgreSQL."""
    options = []
    for line in DEPLOYED_SETTINGS.read_text().splitlines():
        name, _, value = line.partition("#")[0].partition("=")
        if name.strip() in PLANNER_SETTINGS:
            options.append(f"-c {name.strip()}={value.strip()}")
    return " ".join(options)


# Long on purpose: the benchmark's steps, in the order they run, read top to bottom.
def prepare_database(url, contacts):
    """Point Django at the benchmark database, (re)creating it unless it holds ``contacts``."""
    import dj_database_url

    config = dj_database_url.parse(url)
    name = str(config["NAME"])
    if "bench" not in Path(name).name:
        sys.exit(f"Refusing {name!r}: the benchmark database's name must contain 'bench'.")
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="crm.settings",
        DJANGO_DEBUG="0",
        DJANGO_DEBUG_TOOLBAR="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_LOG_LEVEL="WARNING",
        # The test client speaks plain HTTP; production's HTTPS redirect would
        # answer every request with a 301.
        DJANGO_SECURE_SSL_REDIRECT="0",
        PGOPTIONS=planner_options(),
    )
    if config["ENGINE"].endswith("postgresql"):
        import psycopg2
        from psycopg2 import sql

        admin = psycopg2.connect(
            dbname="postgres",
            user=config.get("USER") or None,
            password=config.get("PASSWORD") or None,
            host=config.get("HOST") or None,
            port=config.get("PORT") or None,
        )
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        admin.close()

    import django

    sys.path.insert(0, str(BASE_DIR))
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from crm.models import Contact

    call_command("migrate", verbosity=0)
    if Contact.objects.count() != contacts:
        print(f"Seeding {contacts:,} contacts into {name} ...", flush=True)
        flush_contact_book()
        call_command("crm_demo", contacts=contacts)
        # Fresh statistics for the planner; VACUUM sets the visibility map
        # that index-only scans need.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    else:
        print(f"Reusing {contacts:,} contacts in {name}.", flush=True)
    return name


def flush_contact_book():
    """Empty the contact book's tables (quicker than deleting through the ORM)."""
    from django.apps import apps
    from django.db import connection

    models = [m for m in apps.get_app_config("crm").get_models(include_auto_created=True)]
    tables = [connection.ops.quote_name(m._meta.db_table) for m in models]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table names


# Reference versions of the list page, rendered by the same template.


PER_PAGE = 50  # the list's default page size (?per_page= changes it)


def _render_list(request, paginator, page, *, query):
    """Render ``page`` with the list's own template, as the site's view does."""
    from django.shortcuts import render

    return render(
        request,
        "crm/contact_list.html",
        {
            "page_obj": page,
            "contacts": page.object_list,
            "query": query,
            "per_page": paginator.per_page,
            "per_page_choices": [25, 50, 100, 200],
            "elided_pages": paginator.get_elided_page_range(page.number, on_each_side=2),
        },
    )


def _reference_page(request, contacts, decorate):
    """The list page with a plain Paginator, decorating each row with ``decorate``."""
    from django.core.paginator import Paginator

    query = " ".join(request.GET.get("q", "").split())
    paginator = Paginator(contacts.search(query), int(request.GET.get("per_page", PER_PAGE)))
    page = paginator.get_page(request.GET.get("page"))
    for contact in page.object_list:
        decorate(contact)
    return _render_list(request, paginator, page, query=query)


def _decorate(contact, emails, phone_links, addresses):
    contact.primary_email = next((e.address for e in emails if e.primary), "")
    # The label is the contact's, on its link to the phone.
    contact.phone_rows = [
        {"number": link.phone.number, "label_display": link.get_label_display()}
        for link in phone_links
    ]
    contact.address_rows = [{"city": a.city} for a in addresses]
    contact.city = next((a.city for a in addresses if a.city), "")


def naive_list(request):
    """The 1+N page: the contacts, then each one's primary email, phones and addresses."""
    from crm.models import Contact

    def decorate(contact):
        links = contact.phone_links.select_related("phone")
        emails = contact.emails.filter(primary=True)
        _decorate(contact, list(emails), list(links), list(contact.addresses.all()))

    return _reference_page(request, Contact.objects.all(), decorate)


def prefetch_list(request):
    """The page with ``prefetch_related``: one more query per relation."""
    from django.db.models import Prefetch

    from crm.models import Contact, ContactPhone

    def decorate(contact):
        _decorate(contact, contact.emails.all(), contact.phone_links.all(), contact.addresses.all())

    links = Prefetch("phone_links", queryset=ContactPhone.objects.select_related("phone"))
    contacts = Contact.objects.prefetch_related("emails", links, "addresses")
    return _reference_page(request, contacts, decorate)


def bare_page(request):
    """A login-required page that does nothing: what any request costs here."""
    from django.http import HttpResponse

    return HttpResponse("")


_first_pages = {}


def floor_page(request):
    """
    The first page of the list without reading its rows: the exact count and
    the template, with rows read once beforehand. Every version pays this;
    they differ only in how they read the rows.
    """
    from crm.models import Contact
    from crm.queries.contacts import ContactPaginator

    per_page = int(request.GET.get("per_page", PER_PAGE))
    paginator = ContactPaginator(Contact.objects.all(), per_page)
    if per_page not in _first_pages:
        _first_pages[per_page] = paginator.get_page(1)
    page = _first_pages[per_page]
    paginator.count  # noqa: B018 - run the count, as every version does
    return _render_list(request, paginator, page, query="")


def build_urlconf():
    from django.urls import path

    from crm.urls import urlpatterns

    module = sys.modules[__name__]
    module.urlpatterns = [
        path("bench/naive/", naive_list),
        path("bench/prefetch/", prefetch_list),
        path("bench/bare/", bare_page),
        path("bench/floor/", floor_page),
        *urlpatterns,
    ]
    return module


class QueryTimer:
    """A database execute wrapper that counts queries and adds up their time."""

    def __init__(self):
        self.count, self.seconds = 0, 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


def measure(client, requests, runs):
    """
    Return {key: (median ms, queries, median database ms)} for GET of each
    (url, params) in ``requests``, timed round-robin so that noise from other
    processes spreads over every case alike.
    """
    from django.db import connection

    times = {key: [] for key in requests}
    db_times = {key: [] for key in requests}
    queries = {}
    for url, params in requests.values():
        for _ in range(2):
            client.get(url, params)  # Warm caches, templates and connections.
    for _ in range(runs):
        for key, (url, params) in requests.items():
            timer = QueryTimer()
            with connection.execute_wrapper(timer):
                started = time.perf_counter()
                response = client.get(url, params)
                times[key].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.status_code
            queries[key] = timer.count
            db_times[key].append(timer.seconds * 1000)
    return {
        key: (statistics.median(times[key]), queries[key], statistics.median(db_times[key]))
        for key in requests
    }


# Long on purpose: the benchmark's steps, in the order they run, read top to bottom.
def main():
    args = parse_args()
    name = prepare_database(args.database_url, args.contacts)

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from crm.models import Contact, Phone

    user, _ = get_user_model().objects.get_or_create(username="bench")
    client = Client()
    client.force_login(user)

    total = Contact.objects.count()
    pages = max(1, -(-total // args.per_page))
    people = Contact.objects.exclude(family_name="").order_by("pk")
    surname = people[total // 3].family_name
    us_phones = Phone.objects.filter(e164__startswith="+1").order_by("pk")
    phone = us_phones[us_phones.count() // 2]
    # The area code and exchange of a US phone, punctuated otherwise: fills a page.
    phone_query = f"({phone.digits[-10:-7]}) {phone.digits[-7:-4]}"
    cases = [
        ("first page", {"page": 1}),
        ("middle page", {"page": pages // 2 or 1}),
        ("last page", {"page": pages}),
        (f"search {surname!r}", {"q": surname}),
        (f"search {phone_query!r}", {"q": phone_query}),
    ]
    versions = [
        ("ours", "/contacts/"),
        ("prefetch", "/bench/prefetch/"),
        ("naive", "/bench/naive/"),
    ]
    requests = {
        (label, version): (url, {**params, "per_page": args.per_page})
        for label, params in cases
        for version, url in versions
    }
    requests["floor", "bare"] = ("/bench/bare/", {})
    requests["floor", "first page"] = ("/bench/floor/", {"per_page": args.per_page})
    with override_settings(ROOT_URLCONF=build_urlconf()):
        results = measure(client, requests, args.runs)

    print()
    print(
        f"Contact list, {total:,} contacts on {connection.vendor} ({name}), "
        f"{args.per_page} rows a page, median of {args.runs} runs: ms per request "
        "(of which in the database), queries per request"
    )
    header = f"{'case':<22}{'ours':>14}{'q':>4}{'prefetch':>14}{'q':>4}{'naive':>15}{'q':>5}"
    header += f"{'ours/prefetch':>15}{'ours/naive':>12}"
    print(header)
    print("-" * len(header))
    worst = {"ours/prefetch": 0.0, "ours/naive": 0.0}
    for label, _ in cases:
        ours, prefetch, naive = (results[label, v] for v, _ in versions)
        to_prefetch, to_naive = ours[0] / prefetch[0], ours[0] / naive[0]
        worst["ours/prefetch"] = max(worst["ours/prefetch"], to_prefetch)
        worst["ours/naive"] = max(worst["ours/naive"], to_naive)
        cells = "".join(
            f"{f'{ms:.1f} ({db:.1f})':>{width}}{count:>{qwidth}}"
            for (ms, count, db), width, qwidth in [(ours, 14, 4), (prefetch, 14, 4), (naive, 15, 5)]
        )
        print(f"{label:<22}{cells}{to_prefetch:>14.2f}x{to_naive:>11.2f}x")
    worst["last/first"] = results["last page", "ours"][0] / results["first page", "ours"][0]
    print()
    for key, value in worst.items():
        verdict = "ok" if value <= TARGETS[key] else "MISSED"
        print(f"{key:<14} worst {value:5.2f}x   target <= {TARGETS[key]}x   {verdict}")

    bare, floor = results["floor", "bare"][0], results["floor", "first page"][0]
    naive_first = results["first page", "naive"][0]
    print(
        f"\nA login-required request doing nothing: {bare:.1f} ms. The first page without "
        f"reading its rows (the exact count and the template, shared by all three): "
        f"{floor:.1f} ms, {floor / naive_first:.2f}x the naive first page."
    )

    if connection.vendor == "postgresql":
        for query in (surname, phone_query):
            print(f"\nEXPLAIN of the search {query!r} (ids of the first page):")
            plan = Contact.objects.search(query).order_by("sort_name", "pk").values("pk")[:50]
            print(plan.explain(analyze=True))


if __name__ == "__main__":
    main()
