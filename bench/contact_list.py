#!/usr/bin/env python
"""
Time the contact list at one or several sizes, against two reference versions.

Each size (``--contacts 100000 1000000``) has a database of its own, seeded
with ``crm_demo`` unless it holds that many contacts already. A worker
process per size (Django is set up once a process) requests the list
through Django's test client: first, middle and last page, a sort other than
by name, a tag filter, a has-filter, a common family name, two words in
reverse order ("Silva Ana": family, then given name) and a phone number. The
first page and the searches are also built the naive way (the contacts, then
each contact's primary email, phones and addresses, one query each) and with
``prefetch_related``. The visibility cases request the first and last
page, a sort and a search as a user sees them when CRM_VISIBILITY is "team"
(an editor in one team of ten, with a tenth of another team's contacts
shared with it), against the same requests in "all" mode.
Prints the median of several runs at each size, the
ratio largest/smallest, the SQL query count per request, the references, the
targets (ok or MISSED), and the key lines of ``EXPLAIN (ANALYZE, BUFFERS)``
of the queries each of our pages ran.

    .venv/bin/python bench/contact_list.py --contacts 100000 1000000

The databases are ``--database-url`` with ``{contacts}`` replaced by the size
(default ``$BENCH_DATABASE_URL``, else
postgres://postgres@127.0.0.1:5432/crm_bench_{contacts}), created when
missing and re-seeded when they hold another number of contacts; their names
must contain "bench", so the benchmark never touches a development or test
database.
"""

import argparse
import importlib.util
import json
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench_{contacts}"
# The planner settings production runs with; a session can take them, so the
# benchmark plans its queries (ours and the references alike) as a deployed
# site does, whatever the local cluster's defaults (random_page_cost = 4
# assumes spinning disks and prefers scanning whole tables).
DEPLOYED_SETTINGS = BASE_DIR / "deploy" / "postgresql" / "crm.conf"
PLANNER_SETTINGS = ("random_page_cost", "effective_cache_size", "work_mem")

# The targets: growth from the smallest size to the largest, the
# data queries of a page, and ours against the prefetch reference.
GROWTH_TARGETS = {"page": 1.5, "search": 2.0}
MAX_DATA_QUERIES = 2
OURS_TO_PREFETCH = 1.0
# The list as a team member sees it ("team" mode) against "all" mode (issue 16).
TEAM_TO_ALL = 1.2
# The bench's teams: the contacts spread over them by id; those of the
# second team whose id ends in 1 (a tenth of it) shared with the first, the
# bench user's.
TEAMS = 10
TEAM_URL = "/bench/team/contacts/"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--contacts", type=int, nargs="+", default=[1000], help="Sizes (default 1000)."
    )
    parser.add_argument("--runs", type=int, default=11, help="Timed runs per case (default 11).")
    parser.add_argument("--per-page", type=int, default=50)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL,
        help="'{contacts}' in it is replaced by the size.",
    )
    parser.add_argument("--surname", default="Silva", help="A common family name (Silva).")
    parser.add_argument("--given", default="Ana", help="A given name for the two-word search.")
    # Chosen by the first size's worker, so that every size runs the same requests.
    parser.add_argument("--tag", default="", help=argparse.SUPPRESS)
    parser.add_argument("--phone", default="", help=argparse.SUPPRESS)
    # Run one size and write its results as JSON to this file.
    parser.add_argument("--worker", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if len(args.contacts) > 1 and "{contacts}" not in args.database_url:
        parser.error("with several sizes, --database-url needs '{contacts}' in its name")
    return args


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

    url = url.replace("{contacts}", str(contacts))
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
    from django.db.migrations.recorder import MigrationRecorder

    from crm.models import Contact

    applied = MigrationRecorder(connection).applied_migrations()
    call_command("migrate", verbosity=0)
    if Contact.objects.count() != contacts:
        print(f"Seeding {contacts:,} contacts into {name} ...", flush=True)
        started = time.monotonic()
        seed(contacts)
        analyze()
        print(f"Seeded {contacts:,} contacts in {time.monotonic() - started:.0f} s.", flush=True)
    else:
        print(f"Reusing {contacts:,} contacts in {name}.", flush=True)
        if MigrationRecorder(connection).applied_migrations() != applied:
            analyze()  # statistics for the new migrations' indexes and columns
    fill_search_text()
    return name


def seed(contacts):
    """
    Replace the contact book with ``contacts`` demo contacts (``crm_demo``).

    On PostgreSQL, in one transaction, the indexes that enforce nothing are
    dropped first and built once at the end: building a trigram index costs
    less than keeping it up to date row by row (13% less CPU in all at 20,000
    contacts; bench/README.md). One transaction, so a seeding interrupted
    leaves the database as it was, indexes included.
    """
    from django.core.management import call_command
    from django.db import connection, transaction

    with transaction.atomic():
        flush_contact_book()
        indexes = []
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = "
                    "current_schema() AND tablename LIKE 'crm\\_%' "
                    "AND indexdef NOT LIKE 'CREATE UNIQUE %'"
                )
                indexes = cursor.fetchall()
                for name, _ in indexes:
                    cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        call_command("crm_demo", contacts=contacts)
        with connection.cursor() as cursor:
            if indexes:
                print(f"Building {len(indexes)} indexes ...", flush=True)
                # Django's foreign keys are checked at commit; CREATE INDEX
                # wants those checks done first.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)


def analyze():
    """Refresh the planner's statistics; VACUUM also sets the visibility map (index-only scans)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def fill_search_text():
    """
    Fill the contacts' search text when the column exists but is empty: a
    database kept from before the column came has it empty.
    """
    from django.core.management import call_command, get_commands
    from django.db.models import Q

    from crm.models import Contact

    if "search_text" not in {field.name for field in Contact._meta.get_fields()}:
        return
    if not Contact.objects.filter(Q(search_text="") | Q(search_text__isnull=True)).exists():
        return
    if "crm_search_index" not in get_commands():
        print("Warning: contacts without search text, and no crm_search_index to fill it.")
        return
    print("Filling the search text (crm_search_index) ...", flush=True)
    call_command("crm_search_index")
    analyze()


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


def _render_list(request, paginator, page, *, query, around=None):
    """
    Render ``page`` with the list's own template, as the site's view does,
    with ``around`` (the search and filter form, its chips, the links'
    state) as the site's page has them.
    """
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
            **(around or {}),
        },
    )


def _reference_page(request, contacts, decorate):
    """
    The list page with a plain Paginator, decorating each row with ``decorate``.

    Around the rows it is the site's page: the same search, visibility and
    filters (``ContactListForm``) and the same form, chips and links
    (``list_form_context()``), so that only the reading of the rows differs.
    Before the site had them, the search alone and the bare template.
    """
    from django.core.paginator import Paginator

    per_page = int(request.GET.get("per_page", PER_PAGE))
    if form := list_form(request):
        around = contacts_views().list_form_context(request, form)
        contacts, query = form.contacts(contacts), form.query
    else:
        around, query = None, " ".join(request.GET.get("q", "").split())
        contacts = contacts.search(query)
    paginator = Paginator(contacts, per_page)
    page = paginator.get_page(request.GET.get("page"))
    if around is not None:
        from crm.queries.pages import Count

        around["count"] = Count(paginator.count)  # exact, as the Paginator counts
    for contact in page.object_list:
        decorate(contact)
    return _render_list(request, paginator, page, query=query, around=around)


def contacts_views():
    """The site's module of contact pages."""
    return importlib.import_module("crm.views.contacts")


def list_form(request):
    """The list's bound search and filter form, None where the site has none around its rows."""
    if not hasattr(contacts_views(), "list_form_context"):
        return None
    from crm.forms.listing import ContactListForm

    return ContactListForm(request.GET, user=request.user)


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


def team_list(request):
    """The contact list as the site serves it when CRM_VISIBILITY is "team"."""
    from django.test.utils import override_settings

    from crm.views.contacts import contact_list

    with override_settings(CRM_VISIBILITY="team"):
        return contact_list(request)


def prepare_teams(user):
    """
    Spread the contacts over ``TEAMS`` teams by id, unless done; share a
    tenth of the second team's with the first; make ``user`` a member of the
    first team only.
    """
    from django.db import connection

    from crm.models import Contact, Team

    names = [f"Bench team {i:02d}" for i in range(TEAMS)]
    teams = [Team.objects.get_or_create(name=name)[0] for name in names]
    user.crm_teams.set([teams[0]])
    if not Contact.objects.filter(team=None).exists():
        return
    print(f"Spreading the contacts over {TEAMS} teams ...", flush=True)
    ids = [team.pk for team in teams]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE crm_contact SET team_id = (%s::bigint[])[id %% %s + 1]", [ids, TEAMS]
        )
        cursor.execute(
            "INSERT INTO crm_contact_shared_with (contact_id, team_id) "
            "SELECT id, %s FROM crm_contact WHERE id %% 100 = 1",
            [ids[0]],
        )
    analyze()


_first_pages = {}


def floor_page(request):
    """
    The first page of the list without reading its rows: the exact count,
    the form around the rows and the template, with rows read once
    beforehand. Every version pays this; they differ only in how they read
    the rows.
    """
    from django.core.paginator import Paginator

    from crm.models import Contact
    from crm.queries import pages

    per_page = int(request.GET.get("per_page", PER_PAGE))
    if per_page not in _first_pages:
        rows = pages.contact_page(Contact.objects.all(), per_page=per_page).contacts
        _first_pages[per_page] = Paginator(rows, per_page).get_page(1)
    page = _first_pages[per_page]
    Contact.objects.count()  # the exact count, as the references run it
    form = list_form(request)
    around = contacts_views().list_form_context(request, form) if form else None
    return _render_list(request, page.paginator, page, query="", around=around)


def build_urlconf():
    from django.urls import path

    from crm.urls import urlpatterns

    module = sys.modules[__name__]
    module.urlpatterns = [
        path("bench/naive/", naive_list),
        path("bench/prefetch/", prefetch_list),
        path("bench/bare/", bare_page),
        path("bench/floor/", floor_page),
        path(TEAM_URL.lstrip("/"), team_list),
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


# One size, in a process of its own: the cases, their timings and plans.


NOT_AVAILABLE = "n/a (not available)"


def has_module(name):
    """Whether ``name`` can be imported: the list's cursors and filters came after this script."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def common_tag(total):
    """Return the slug of the tag nearest to 10% of the contacts."""
    from django.db.models import Count

    from crm.models import Contact

    links = Contact.tags.through.objects.order_by().values("tag__slug").annotate(n=Count("*"))
    best = min(links, key=lambda row: abs(row["n"] - total / 10), default=None)
    return best["tag__slug"] if best else ""


def phone_query():
    """Return the area code and exchange of a US phone, punctuated otherwise: fills a page."""
    from crm.models import Phone

    us_phones = Phone.objects.filter(e164__startswith="+1").order_by("pk")
    phone = us_phones[us_phones.count() // 2]
    return f"({phone.digits[-10:-7]}) {phone.digits[-7:-4]}"


def list_cases(args, total):
    """
    Return the cases as [(label, kind, GET parameters)], the parameters None
    where the site lacks the feature, and the tag and phone query chosen.
    """
    from crm.models import Contact

    if has_module("crm.queries.pages"):
        from crm.queries.pages import cursor_for

        # The contact in the middle of the list, found by offset outside the timing.
        middle = Contact.objects.order_by("sort_name", "pk")[total // 2]
        middle_page, last_page = {"after": cursor_for(middle, "name")}, {"page": "last"}
    else:
        # Numbered pages, read with OFFSET, as the list paged before its cursors.
        pages = max(1, -(-total // args.per_page))
        middle_page, last_page = {"page": pages // 2 or 1}, {"page": pages}
    filters = has_module("crm.forms.listing")
    tag = args.tag or common_tag(total)
    phone = args.phone or phone_query()
    words = f"{args.surname} {args.given}"
    cases = [
        ("first page", "page", {}),
        ("middle page", "page", middle_page),
        ("last page", "page", last_page),
        ("sort -created", "page", {"sort": "-created"} if filters else None),
        ("tag filter", "page", {"tag": tag} if filters else None),
        ("has email", "page", {"has": "email"} if filters else None),
        (f"search {args.surname!r}", "search", {"q": args.surname}),
        (f"search {words!r}", "search", {"q": words}),
        (f"search {phone!r}", "search", {"q": phone}),
    ]
    # The same requests in "team" mode (TEAM_URL), against the rows above.
    cases += [
        (f"team: {label}", "team", params)
        for label, _, params in cases
        if label in ("first page", "last page", "sort -created", f"search {args.surname!r}")
        and params is not None
    ]
    return cases, {"tag": tag, "phone": phone}


def is_count(sql):
    return sql.lstrip().upper().startswith("SELECT COUNT(")


def reads_contacts(sql):
    # Not the session or the user (Django's tables), nor the filter form's tags.
    return '"crm_contact"' in sql


def try_once(client, url, params):
    """Request once, outside the timing: return (error or None, the SQL it ran)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        try:
            response = client.get(url, params)
        except Exception as exc:  # noqa: BLE001 - reported as the case's result
            return f"{type(exc).__name__}: {exc}", []
    error = None if response.status_code == 200 else f"HTTP {response.status_code}"
    return error, [query["sql"] for query in captured.captured_queries]


# More repetitions than a page has rows: the scan runs for each match, not each row shown.
MANY_LOOPS = 200
PLAN_LINE = re.compile(r"(Seq Scan|Index Scan|Index Only Scan|Bitmap Index Scan)\b")


def plan_lines(sql):
    """
    Return the scans of ``sql``'s plan (which index each uses) and its
    execution time. Scans repeated a few times (for each row shown: its
    emails, phones, city) are counted, not listed: they cost the same at any
    size; a scan repeated for each of many matches is listed.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        plan = [row[0] for row in cursor.fetchall()]
    lines, repeated = [], 0
    for line in plan:
        line = re.sub(r"\s*\(cost=[^)]*\)", "", line).strip().removeprefix("->").strip()
        if not PLAN_LINE.search(line) or "never executed" in line:
            continue
        loops = int(re.search(r"loops=(\d+)", line).group(1))
        # A parallel scan's loops are its workers: listed, as a sequential scan always is.
        if loops == 1 or loops > MANY_LOOPS or "Seq Scan" in line or "Parallel" in line:
            lines.append(line)
        else:
            repeated += 1
    if repeated:
        lines.append(f"(and {repeated} scans repeated for each row shown)")
    lines += [line for line in plan if line.startswith("Execution Time")]
    return lines


# Long on purpose: the worker's steps, in the order they run, read top to bottom.
def run_worker(args):
    """Seed or reuse one size's database, time every case, write the results as JSON."""
    contacts = args.contacts[0]
    name = prepare_database(args.database_url, contacts)

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from crm.models import Contact
    from crm.roles import role_set

    user, _ = get_user_model().objects.get_or_create(username="bench")
    # An editor (crm.roles' default): in "team" mode, one team's contacts.
    user.groups.clear()
    role_set(user=user, role="editors")
    prepare_teams(user)
    client = Client()
    client.force_login(user)
    total = Contact.objects.count()
    cases, chosen = list_cases(args, total)
    per_page = {"per_page": args.per_page}
    requests = {}
    for label, kind, params in cases:
        if params is None:
            continue
        url = TEAM_URL if kind == "team" else "/contacts/"
        requests[label, "ours"] = (url, {**params, **per_page})
        if label == "first page" or kind == "search":
            for version in ("prefetch", "naive"):
                requests[label, version] = (f"/bench/{version}/", {**params, **per_page})
    requests["floor", "bare"] = ("/bench/bare/", {})
    requests["floor", "first page"] = ("/bench/floor/", per_page)

    load = [os.getloadavg()[0]]
    with override_settings(ROOT_URLCONF=build_urlconf()):
        tried = {key: try_once(client, *request) for key, request in requests.items()}
        working = {key: request for key, request in requests.items() if tried[key][0] is None}
        results = measure(client, working, args.runs)
    load.append(os.getloadavg()[0])

    queries, plans = {}, {}
    for label, _, params in cases:
        if params is None or tried[label, "ours"][0] is not None:
            continue
        ours = [sql for sql in tried[label, "ours"][1] if reads_contacts(sql)]
        queries[label] = {
            "data": sum(not is_count(sql) for sql in ours),
            "count": sum(is_count(sql) for sql in ours),
        }
        if connection.vendor == "postgresql":
            plans[label] = [["count" if is_count(sql) else "data", plan_lines(sql)] for sql in ours]
    report = {
        "contacts": contacts,
        "total": total,
        "database": name,
        "vendor": connection.vendor,
        "load": load,
        "chosen": chosen,
        "cases": cases,
        "results": {"|".join(key): value for key, value in results.items()},
        "errors": {"|".join(key): error for key, (error, _) in tried.items() if error},
        "queries": queries,
        "plans": plans,
    }
    Path(args.worker).write_text(json.dumps(report))


# The parent: a worker per size, then the tables.


def run_sizes(args):
    """Run a worker per size, smallest first; return their reports."""
    reports, chosen = [], {"tag": args.tag, "phone": args.phone}
    for contacts in sorted(set(args.contacts)):
        with tempfile.NamedTemporaryFile(suffix=".json") as output:
            command = [
                sys.executable,
                __file__,
                f"--worker={output.name}",
                f"--contacts={contacts}",
                f"--runs={args.runs}",
                f"--per-page={args.per_page}",
                f"--database-url={args.database_url}",
                f"--surname={args.surname}",
                f"--given={args.given}",
                # The first size's choices, so every size runs the same requests.
                f"--tag={chosen['tag']}",
                f"--phone={chosen['phone']}",
            ]
            subprocess.run(command, check=True)
            report = json.loads(Path(output.name).read_text())
        chosen = report["chosen"]
        reports.append(report)
    return reports


def timing(report, label, version="ours"):
    """Return (ms, queries, database ms) of a case, or None with why in ``cell()``."""
    return report["results"].get(f"{label}|{version}")


def cell(report, label, version="ours", width=16):
    result = timing(report, label, version)
    if result is None:
        error = report["errors"].get(f"{label}|{version}")
        return f"{'error' if error else 'n/a':>{width}}{'':>4}"
    ms, count, db = result
    return f"{f'{ms:.1f} ({db:.1f})':>{width}}{count:>4}"


def verdict(ok):
    return "ok" if ok else "MISSED"


# Long on purpose: the tables, in the order they print, read top to bottom.
def print_report(args, reports):
    small, large = reports[0], reports[-1]
    cases = small["cases"]
    print()
    print(
        f"Contact list on {small['vendor']}, {args.per_page} rows a page, median of "
        f"{args.runs} runs: ms per request (in brackets, in the database).\n"
        "q: SQL queries a request; data: those reading contacts, the count apart (the\n"
        "others are the session, the user, the count and the filter form's tags)."
    )
    for report in reports:
        first, last = report["load"]
        print(
            f"  {report['total']:,} contacts in {report['database']}; load average "
            f"{first:.1f} before the timing, {last:.1f} after"
        )
    print()
    header = f"{'case':<26}" + "".join(
        f"{report['total']:>16,}{'q':>4}{'data':>5}" for report in reports
    )
    growth = len(reports) > 1
    if growth:
        header += f"{'growth':>9}  target"
    print(header)
    print("-" * len(header))
    worst = {"page": (0.0, ""), "search": (0.0, "")}
    most_data, missing = (0, ""), []
    for label, kind, params in cases:
        if params is None:
            print(f"{label:<26}{NOT_AVAILABLE}")
            missing.append(label)
            continue
        line = f"{label:<26}"
        for report in reports:
            data = report["queries"].get(label, {}).get("data")
            line += cell(report, label) + f"{'' if data is None else data:>5}"
            if data is not None and data > most_data[0]:
                most_data = (data, f"{label}, {report['total']:,}")
        both = timing(small, label), timing(large, label)
        if growth and None not in both and kind in GROWTH_TARGETS:
            ratio, target = both[1][0] / both[0][0], GROWTH_TARGETS[kind]
            worst[kind] = max(worst[kind], (ratio, label))
            line += f"{ratio:>8.2f}x  <= {target}x {verdict(ratio <= target)}"
        print(line)

    for report in reports:
        print_references(report, cases)
    print_visibility(reports, cases)

    print("\nRequests (GET /contacts/ with these parameters and per_page):")
    for index, (label, _, params) in enumerate(cases):
        if params is None:
            continue
        shown = [
            " ".join(f"{key}={shorten(value)}" for key, value in report["cases"][index][2].items())
            or "(none)"
            for report in reports
        ]
        if len(set(shown)) > 1:
            sizes = [f"{report['total']:,}" for report in reports]
            shown = [f"{size}: {each}" for size, each in zip(sizes, shown, strict=True)]
        print(f"  {label:<24}{'; '.join(dict.fromkeys(shown))}")
    for report in reports:
        for key, error in report["errors"].items():
            print(f"  {report['total']:,}, {key.replace('|', ', ')}: {error}")

    print("\nTargets")
    if growth:
        for kind, what in [("page", "pages, sorts and filters"), ("search", "searches")]:
            ratio, label = worst[kind]
            target = GROWTH_TARGETS[kind]
            print(
                f"  {what + ': largest/smallest':<44}worst {ratio:6.2f}x ({label})"
                f"   target <= {target}x   {verdict(ratio <= target)}"
            )
    data, where = most_data
    print(
        f"  {'data queries a page':<44}most  {data:6d}  ({where})"
        f"   target <= {MAX_DATA_QUERIES}   {verdict(data <= MAX_DATA_QUERIES)}"
    )
    ratio, where = max(
        (
            (ours[0] / prefetch[0], f"{label}, {report['total']:,}")
            for report in reports
            for label, _, _ in cases
            if (ours := timing(report, label)) and (prefetch := timing(report, label, "prefetch"))
        ),
        default=(0.0, ""),
    )
    print(
        f"  {'ours/prefetch':<44}worst {ratio:6.2f}x ({where})"
        f"   target <= {OURS_TO_PREFETCH}x   {verdict(ratio <= OURS_TO_PREFETCH)}"
    )
    if missing:
        print(f"  not measured, the site lacks them: {', '.join(missing)}")

    for report in reports:
        bare, floor = timing(report, "floor", "bare"), timing(report, "floor", "first page")
        if bare and floor:
            print(
                f"\n{report['total']:,}: a login-required request doing nothing: {bare[0]:.1f} ms; "
                f"the first page without reading its rows (the exact count and the "
                f"template): {floor[0]:.1f} ms."
            )

    print_plans(reports, cases)


def print_references(report, cases):
    print(f"\nReferences at {report['total']:,} contacts")
    header = f"{'case':<26}{'ours':>16}{'q':>4}{'prefetch':>16}{'q':>4}{'naive':>16}{'q':>4}"
    header += f"{'ours/prefetch':>15}{'ours/naive':>12}"
    print(header)
    print("-" * len(header))
    for label, _, _ in cases:
        ours, prefetch, naive = (timing(report, label, v) for v in ("ours", "prefetch", "naive"))
        if not (ours and prefetch and naive):
            continue
        cells = "".join(cell(report, label, v) for v in ("ours", "prefetch", "naive"))
        print(f"{label:<26}{cells}{ours[0] / prefetch[0]:>14.2f}x{ours[0] / naive[0]:>11.2f}x")


def print_visibility(reports, cases):
    """The list in "team" mode against the same request in "all" mode, at each size."""
    print(
        f'\nVisibility: the list as an editor in one team of {TEAMS} sees it ("team"), '
        'against "all"'
    )
    header = f"{'case':<26}" + "".join(
        f"{report['total']:>13,} all{'team':>11}{'data':>5}{'ratio':>8}" for report in reports
    )
    print(header + "  target")
    print("-" * (len(header) + 8))
    worst = 0.0
    for label, kind, _ in cases:
        if kind != "team":
            continue
        line, base = f"{label:<26}", label.removeprefix("team: ")
        for report in reports:
            team, everyone = timing(report, label), timing(report, base)
            if not (team and everyone):
                line += f"{'n/a':>37}"
                continue
            ratio = team[0] / everyone[0]
            worst = max(worst, ratio)
            data = report["queries"].get(label, {}).get("data", "")
            line += f"{everyone[0]:>17.1f}{team[0]:>11.1f}{data:>5}{ratio:>7.2f}x"
        print(f"{line}  <= {TEAM_TO_ALL}x")
    ok = verdict(worst <= TEAM_TO_ALL)
    print(f"  worst team/all {worst:.2f}x   target <= {TEAM_TO_ALL}x   {ok}")


def print_plans(reports, cases):
    if reports[0]["vendor"] != "postgresql":
        print("\nEXPLAIN: on PostgreSQL only.")
        return
    print("\nEXPLAIN (ANALYZE, BUFFERS) of each query our page ran on contacts: its scans")
    for label, _, _ in cases:
        for report in reports:
            for kind, lines in report["plans"].get(label, []):
                print(f"\n{label}, {report['total']:,} contacts, {kind} query:")
                for line in lines:
                    print(f"    {line}")


def shorten(value, width=28):
    value = str(value)
    return value if len(value) <= width else f"{value[: width - 1]}…"


def main():
    args = parse_args()
    if args.worker:
        run_worker(args)
    else:
        print_report(args, run_sizes(args))


if __name__ == "__main__":
    main()
