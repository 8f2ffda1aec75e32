"""The commit: every row written in one transaction, by the contact form's rules."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.imports import commit as commit_module
from crm.imports.commit import ImportConflict, import_commit
from crm.models import Change, Contact, Email, Phone, Tag
from crm.services.search import contact_search_refresh
from crm.tests.factories import make_contact

from .plans import ada, imported, previewed, record, rows

pytestmark = pytest.mark.django_db


def test_a_commit_creates_each_contact_with_all_it_holds(user):
    run, counts = imported(user, [ada(2), ada(3)])
    assert counts == {"create": 1, "update": 0, "skip": 1, "error": 0, "duplicate": 1}
    contact = Contact.objects.get(pk=rows(run)[2].contact_id)
    assert rows(run)[3].contact_id == contact.pk  # the row it duplicates made it
    assert (contact.name, contact.family_name, contact.job_title) == (
        "Ada Lovelace",
        "Lovelace",
        "Programmer",
    )
    assert list(contact.emails.values_list("address", "label", "primary")) == [
        ("ada@example.org", "home", True),
        ("ada@engines.example", "work", False),
    ]
    assert [p.e164 for p in contact.phones.all()] == ["+442079460018"]
    assert [str(a) for a in contact.addresses.all()] == ["12 St James's Square, London"]
    assert [u.url for u in contact.urls.all()] == ["https://ada.example/"]
    assert [d.iso for d in contact.dates.all()] == ["1815-12-10"]
    assert sorted(contact.tags.values_list("name", flat=True)) == ["Press", "VIP"]
    assert run.committed_at is not None
    # The search text is what the rows make it: a refresh finds nothing to change.
    assert contact_search_refresh(ids=Contact.objects.values_list("pk", flat=True)) == 0
    assert Contact.objects.search("lovelace square").get() == contact


def test_a_shared_number_links_the_existing_phone(user):
    office = make_contact("Engines Ltd", phones=[("+1 (212) 555-0143", "office")]).phones.get()
    run, _ = imported(user, [record(2, "Ada", phones=[("212 555 0143", "office")])])
    contact = Contact.objects.get(pk=rows(run)[2].contact_id)
    assert list(contact.phones.all()) == [office]
    assert office.number == "+1 (212) 555-0143"  # a shared phone keeps its number
    assert Phone.objects.count() == 1
    assert contact_search_refresh(ids=[contact.pk]) == 0


def test_existing_tags_are_found_ignoring_case(user):
    vip = Tag.objects.create(name="VIP", slug="vip")
    imported(user, [record(2, "Ada", tags=["vip"]), record(3, "Bob", tags=["Vip", "New"])])
    assert set(vip.contacts.values_list("name", flat=True)) == {"Ada", "Bob"}
    assert Tag.objects.count() == 2


def test_importing_the_same_file_again_with_skip_creates_nothing(user):
    records = [ada(2), record(3, "Charles Babbage", emails=[("charles@example.org", "home")])]
    imported(user, records)
    before = list(Contact.objects.values_list("pk", "updated"))
    run, counts = imported(user, records)
    assert counts == {"create": 0, "update": 0, "skip": 2, "error": 0, "duplicate": 0}
    assert list(Contact.objects.values_list("pk", "updated")) == before


def test_importing_it_again_with_update_changes_only_what_differs(user):
    imported(user, [ada(2)])
    contact = Contact.objects.get()
    untouched = list(contact.emails.values_list("pk", flat=True))
    run, counts = imported(
        user,
        [
            ada(
                2,
                job_title="Countess",
                emails=[("ada@example.org", "home"), ("a@x.example", "work")],
            )
        ],
        on_match="update",
    )
    assert counts == {"create": 0, "update": 1, "skip": 0, "error": 0, "duplicate": 0}
    contact.refresh_from_db()
    assert contact.job_title == "Countess"
    assert contact.emails.count() == 3
    assert set(untouched) < set(contact.emails.values_list("pk", flat=True))
    assert rows(run)[2].before["contact"] == {"job_title": "Programmer"}
    assert rows(run)[2].diff == [
        {"field": "Job title", "before": "Programmer", "after": "Countess"},
        {"field": "Email", "before": "", "after": "a@x.example (work)"},
    ]
    assert contact_search_refresh(ids=[contact.pk]) == 0
    # Nothing differs any more: the same file again changes nothing.
    _, counts = imported(
        user,
        [ada(2, job_title="Countess", emails=[("a@x.example", "work")])],
        on_match="update",
    )
    assert counts["skip"] == 1


def test_a_row_matching_an_earlier_row_updates_the_contact_that_row_creates(user):
    records = [
        record(2, "Ada Lovelace", emails=[("ada@example.org", "home")]),
        record(3, "Ada Lovelace", emails=[("ADA@example.org", "home")], job_title="Countess"),
    ]
    run, counts = imported(user, records, on_match="update")
    assert counts == {"create": 1, "update": 1, "skip": 0, "error": 0, "duplicate": 1}
    contact = Contact.objects.get()
    assert contact.job_title == "Countess"
    assert rows(run)[3].contact_id == contact.pk


def test_a_contact_created_since_the_preview_is_matched_at_the_commit(user):
    run, counts = previewed(user, [ada(2)], on_match="update")
    assert counts["create"] == 1
    meanwhile = make_contact("Ada Lovelace", email="ADA@example.org")
    counts = import_commit(import_run=run)
    assert counts["create"] == 0 and counts["update"] == 1
    assert list(Contact.objects.all()) == [meanwhile]
    assert rows(run)[2].contact_id == meanwhile.pk


def test_error_rows_are_left_out_and_counted(user):
    run, counts = imported(user, [ada(2), record(3, "Bad", emails=[("bad@", "home")])])
    assert (counts["create"], counts["error"]) == (1, 1)
    assert Contact.objects.count() == 1


def test_a_commit_is_all_or_nothing(user, monkeypatch):
    run, _ = previewed(
        user, [ada(line, emails=[(f"a{line}@x.example", "home")]) for line in (2, 3)]
    )
    create_contacts = commit_module.create_contacts

    def half_way(values, tags, **defaults):
        create_contacts(values, tags, **defaults)
        assert Contact.objects.count() == 2
        raise ImportConflict("Stopped half way.")

    monkeypatch.setattr(commit_module, "create_contacts", half_way)
    with pytest.raises(ImportConflict):
        import_commit(import_run=run)
    assert not Contact.objects.exists()
    assert not Email.objects.exists()
    run.refresh_from_db()
    assert run.committed_at is None


def commit_queries(user, records, on_match="update"):
    run, _ = previewed(user, records, on_match=on_match)
    with CaptureQueriesContext(connection) as captured:
        import_commit(import_run=run)
    return len(captured)


def book(name, count, **fields):
    return [
        ada(
            line,
            emails=[(f"{name}{line}@example.org", "home")],
            phones=[(f"+1 212 555 {line:04d}", "mobile")],
            **fields,
        )
        for line in range(2, count + 2)
    ]


def test_a_commit_costs_the_same_queries_for_few_rows_as_for_many(user):
    for tag in ("VIP", "Press"):
        Tag.objects.create(name=tag, slug=tag.lower())
    creates = commit_queries(user, book("a", 10)), commit_queries(user, book("b", 40))
    assert creates[0] == creates[1]
    updates = (
        commit_queries(user, book("a", 10, job_title="Countess")),
        commit_queries(user, book("b", 40, job_title="Countess")),
    )
    assert updates[0] == updates[1]
    assert Contact.objects.filter(job_title="Countess").count() == 50


def test_rows_skipped_read_no_history(user):
    # A matched row skipped writes nothing: the commit takes no snapshot of
    # its contact (two queries a group of rows, which a duplicate row splits).
    records = book("a", 10)
    imported(user, records)
    run, _ = previewed(user, records + [ada(12, emails=[("a2@example.org", "home")])])
    changes = Change.objects.count()
    with CaptureQueriesContext(connection) as captured:
        counts = import_commit(import_run=run)
    assert counts["skip"] == 11 and counts["duplicate"] == 1
    assert Change.objects.count() == changes
    snapshots = [q["sql"] for q in captured if 'AS "part"' in q["sql"]]
    assert snapshots == []


def test_committing_twice_is_refused(user):
    run, _ = imported(user, [ada(2)])
    with pytest.raises(ImportConflict, match="committed already"):
        import_commit(import_run=run)
