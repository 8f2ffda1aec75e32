#!/usr/bin/env python
"""
Time the admin's contact list against Django's stock admin of the same model.

Uses the database of ``bench/contact_list.py`` (seeded the same way), then
requests, logged in as a superuser, the admin's contact list: first page,
page 500 (or the middle one), a name search and a phone search, and a
contact's change page. The stock version is the same ``ContactAdmin`` with
Django's own search (over ``search_fields`` that join emails, phones and
addresses, then DISTINCT) and paginator (LIMIT and OFFSET on the annotated
rows). Prints the median of several runs, the query count and the ratio.

    .venv/bin/python bench/admin_list.py --contacts 100000
"""

import argparse
import os
import sys

from contact_list import DEFAULT_URL, measure, prepare_database

TARGET = 0.5  # ours/stock at worst, on the cases where stock has a cost to avoid


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1000, help="How many (default 1000).")
    parser.add_argument("--runs", type=int, default=5, help="Timed runs per case (default 5).")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL") or DEFAULT_URL
    )
    return parser.parse_args()


def stock_urlconf():
    """Return a URLconf with the site's URLs and, under /stock/, the stock contact admin."""
    from django.contrib import admin
    from django.urls import path

    from crm.admin import AddressInline, ContactAdmin, PhoneInline
    from crm.models import Contact
    from crm.urls import urlpatterns

    def stock_inline(inline):
        # The same rows and fields, each autocomplete looking its value up.
        attributes = {"model": inline.model, "fields": inline.fields, "extra": 0}
        return type(
            f"Stock{inline.__name__}",
            (admin.TabularInline,),
            {**attributes, "autocomplete_fields": inline.autocomplete_fields},
        )

    class StockContactAdmin(ContactAdmin):
        search_fields = ["name", "emails__address", "phones__digits", "addresses__city"]
        inlines = [
            stock_inline(inline) if inline in (PhoneInline, AddressInline) else inline
            for inline in ContactAdmin.inlines
        ]

        def get_search_results(self, request, queryset, search_term):
            return admin.ModelAdmin.get_search_results(self, request, queryset, search_term)

        def get_paginator(
            self, request, queryset, per_page, orphans=0, allow_empty_first_page=True
        ):
            return admin.ModelAdmin.get_paginator(
                self, request, queryset, per_page, orphans, allow_empty_first_page
            )

    # Every other model as the site registers it: the same menus and related links.
    site = admin.AdminSite(name="stock")
    for model, model_admin in admin.site._registry.items():
        site.register(model, StockContactAdmin if model is Contact else type(model_admin))
    module = sys.modules[__name__]
    module.urlpatterns = [path("stock/", site.urls), *urlpatterns]
    return module


def main():
    args = parse_args()
    name = prepare_database(args.database_url, args.contacts)

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import override_settings

    from crm.models import Contact, Phone

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    total = Contact.objects.count()
    page = min(500, total // 100 // 2) or 1
    surname = Contact.objects.exclude(family_name="").order_by("pk")[total // 3].family_name
    phone = Phone.objects.filter(e164__startswith="+1").order_by("pk").first()
    number = f"{phone.digits[-10:-7]}.{phone.digits[-7:-4]}.{phone.digits[-4:]}"
    # The contact with the most phones, for its change page.
    rich = (
        Contact.phones.through.objects.values("contact")
        .annotate(n=Count("*"))
        .order_by("-n", "contact")
        .values_list("contact", flat=True)
        .first()
    )
    cases = [
        ("first page", "crm/contact/", {}),
        (f"page {page}", "crm/contact/", {"p": page}),
        (f"search {surname!r}", "crm/contact/", {"q": surname}),
        (f"search {number!r}", "crm/contact/", {"q": number}),
        ("a contact's page", f"crm/contact/{rich}/change/", {}),
    ]
    requests = {
        (label, version): (f"/{prefix}/{url}", params)
        for label, url, params in cases
        for version, prefix in [("ours", "admin"), ("stock", "stock")]
    }
    with override_settings(ROOT_URLCONF=stock_urlconf()):
        results = measure(client, requests, args.runs)

    print()
    print(
        f"Admin contact list, {total:,} contacts on {connection.vendor} ({name}), "
        f"median of {args.runs} runs: ms per request (of which in the database), queries"
    )
    header = f"{'case':<26}{'ours':>16}{'q':>4}{'stock':>18}{'q':>4}{'ours/stock':>12}"
    print(header)
    print("-" * len(header))
    for label, _, _ in cases:
        (ours, ours_q, ours_db), (stock, stock_q, stock_db) = (
            results[label, "ours"],
            results[label, "stock"],
        )
        print(
            f"{label:<26}{f'{ours:.1f} ({ours_db:.1f})':>16}{ours_q:>4}"
            f"{f'{stock:.1f} ({stock_db:.1f})':>18}{stock_q:>4}{ours / stock:>11.2f}x"
        )
    worst = max(
        results[label, "ours"][0] / results[label, "stock"][0] for label, _, _ in cases[1:4]
    )
    verdict = "ok" if worst <= TARGET else "MISSED"
    print(
        f"\nours/stock on the later page and the searches: worst {worst:.2f}x, "
        f"target <= {TARGET}x, {verdict}"
    )


if __name__ == "__main__":
    main()
