"""The preview: each row checked as the contact form checks it, matched, and its outcome."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.imports.plan import import_preview
from crm.models import Contact
from crm.models.imports import Import, ImportKey, ImportRow
from crm.tests.factories import make_contact

from .plans import ada, previewed, record, rows

pytestmark = pytest.mark.django_db


def test_rows_the_form_would_refuse_are_errors_that_say_why(user):
    run, counts = previewed(
        user,
        [
            record(2, "Ada Lovelace", emails=[("ada@", "home")]),
            record(3, "Ada Lovelace", dates=[("birthday", "", "30/02/1815")]),
            record(4, "Ada Lovelace", dates=[("birthday", "", "1815-02-30")]),
            record(5, given_name="A" * 101),
            record(6, notes="A contact without a name"),
            record(7, "Ada", urls=[("javascript:alert(1)", "home")]),
            record(8, "Ada", phones=[("call reception", "office")]),
        ],
    )
    found = rows(run)
    assert counts == {"create": 0, "update": 0, "skip": 0, "error": 7, "duplicate": 0}
    assert found[2].errors == ["Email “ada@” is not a valid email address."]
    assert "is not a date" in found[3].errors[0]
    assert "is not a date" in found[4].errors[0]
    assert found[5].errors == ["Given name is longer than 100 characters."]
    assert found[6].errors == [Contact._meta.constraints[0].violation_error_message]
    assert found[7].errors == ["URL “javascript:alert(1)” is not a web address (http or https)."]
    assert found[8].errors[0].startswith("Phone “call reception”: Use digits")
    assert {row.outcome for row in found.values()} == {ImportRow.Outcome.ERROR}
    assert not Contact.objects.exists()


def test_a_number_that_does_not_normalise_is_kept_as_typed_with_a_warning(user):
    run, counts = previewed(user, [record(2, "Reception", phones=[("2041", "office")])])
    row = rows(run)[2]
    assert row.outcome == ImportRow.Outcome.CREATE
    assert row.values["phones"] == [["2041", "office", "2041", ""]]
    assert row.warnings == [
        "Phone “2041” is kept as typed: it is not a whole number with its country code "
        "(add one to link it with the same number typed another way)."
    ]


def test_values_are_normalised_as_the_form_saves_them(user):
    run, _ = previewed(
        user,
        [
            ada(
                emails=[(" ada@example.org ", "home"), ("ADA@example.org", "work")],
                phones=[("+44  20 7946 0018", "mobile"), ("+44 (0)20 7946 0018", "home")],
                urls=[("ada.example", "weird")],
                dates=[
                    ("birthday", "ignored", "--12-10"),
                    ("other", "First program", "1843-09-05"),
                ],
                tags=["VIP", "vip", "  Press  release "],
            )
        ],
    )
    values = rows(run)[2].values
    assert values["contact"]["given_name"] == "Ada"
    assert values["emails"] == [["ada@example.org", "home"]]
    assert values["phones"] == [["+44 20 7946 0018", "mobile", "442079460018", "+442079460018"]]
    assert values["urls"] == [["https://ada.example", "home"]]
    assert values["dates"] == [
        ["birthday", "", None, 12, 10],
        ["other", "First program", 1843, 9, 5],
    ]
    assert values["tags"] == ["VIP", "Press release"]


@pytest.mark.parametrize(
    ("match", "typed"),
    [
        ("email", {"emails": [("ADA@Example.ORG", "home")]}),
        ("phone", {"phones": [("020 7946 0018", "mobile")]}),  # in CRM_PHONE_REGION
        ("name", {"name": "  ADÁ   lovelace "}),
    ],
)
def test_a_row_matches_by_each_key(user, settings, match, typed):
    settings.CRM_PHONE_REGION = "GB"
    existing = make_contact(
        "Ada Lovelace", email="ada@example.org", phones=[("+44 20 7946 0018", "mobile")]
    )
    make_contact("Someone Else", email="else@example.org", phones=["+44 20 7946 0999"])
    fields = {"name": "Augusta King", **typed}
    run, counts = previewed(user, [record(2, **fields)], match=match, on_match="skip")
    row = rows(run)[2]
    assert (row.outcome, row.contact_id) == (ImportRow.Outcome.SKIP, existing.pk)
    assert counts["skip"] == 1


def test_office_lines_do_not_match_by_phone(user):
    make_contact("Colleague", phones=[("+1 212 555 0143", "office")])
    run, counts = previewed(
        user, [record(2, "Newcomer", phones=[("(212) 555-0143", "office")])], match="phone"
    )
    assert counts["create"] == 1


def test_an_update_lists_only_what_differs_and_adds_what_the_contact_lacks(user):
    existing = make_contact(
        "Ada Lovelace",
        email="ada@example.org",
        given_name="Ada",
        family_name="Lovelace",
        organization="Analytical Engines",
        phones=[("+44 20 7946 0018", "mobile")],
    )
    existing.dates.create(kind="birthday", month=12, day=10)
    run, counts = previewed(
        user,
        [ada(job_title="Countess", organization="", dates=[("birthday", "", "1815-12-10")])],
        on_match="update",
    )
    row = rows(run)[2]
    assert row.outcome == ImportRow.Outcome.UPDATE
    assert row.contact_id == existing.pk
    assert row.diff == [
        {"field": "Job title", "before": "", "after": "Countess"},
        {"field": "Notes", "before": "", "after": "First program."},
        {"field": "Email", "before": "", "after": "ada@engines.example (work)"},
        {"field": "Address", "before": "", "after": "12 St James's Square, London (home)"},
        {"field": "URL", "before": "", "after": "https://ada.example/ (home)"},
        {"field": "Tag", "before": "", "after": "VIP"},
        {"field": "Tag", "before": "", "after": "Press"},
        {"field": "Birthday", "before": "--12-10", "after": "1815-12-10"},
    ]
    assert counts == {"create": 0, "update": 1, "skip": 0, "error": 0, "duplicate": 0}


def test_a_match_with_nothing_to_change_is_skipped(user):
    existing = make_contact("Ada Lovelace", email="ada@example.org")
    run, counts = previewed(
        user, [record(2, "Ada Lovelace", emails=[("ADA@example.org", "home")])], on_match="update"
    )
    assert (rows(run)[2].outcome, rows(run)[2].contact_id) == ("skip", existing.pk)


def test_rows_matching_an_earlier_row_of_the_file_are_duplicates(user):
    records = [
        record(2, "Ada Lovelace", emails=[("ada@example.org", "home")]),
        record(3, "Charles Babbage", emails=[("charles@example.org", "home")]),
        record(4, "Ada L.", emails=[("x@example.org", "home"), ("ADA@example.org", "home")]),
        record(5, "Ada again", emails=[("x@example.org", "work")]),
    ]
    run, counts = previewed(user, records, on_match="update")
    found = rows(run)
    assert [found[line].duplicate_of for line in (2, 3, 4, 5)] == [None, None, 2, 2]
    assert counts == {"create": 2, "update": 2, "skip": 0, "error": 0, "duplicate": 2}
    assert found[4].diff == [
        {"field": "Display name", "before": "Ada Lovelace", "after": "Ada L."},
        {"field": "Email", "before": "", "after": "x@example.org (home)"},
    ]
    assert not ImportKey.objects.exists()  # only while the preview reads the file


def test_with_create_anyway_matches_and_duplicates_are_created(user):
    make_contact("Ada Lovelace", email="ada@example.org")
    records = [ada(2), ada(3)]
    run, counts = previewed(user, records, on_match="create")
    assert counts == {"create": 2, "update": 0, "skip": 0, "error": 0, "duplicate": 1}


def test_the_preview_replaces_the_rows_of_an_earlier_preview(user):
    run, _ = previewed(user, [ada(2), ada(3)])
    import_preview(import_run=run, records=[ada(7)])
    assert list(rows(run)) == [7]


def test_the_preview_costs_the_same_queries_for_few_rows_as_for_many(user):
    make_contact("Ada Lovelace", email="ada0@example.org", phones=["+1 212 555 0100"])

    def queries(count):
        run = Import.objects.create(author=user, file_name="f.csv", on_match="update")
        records = [
            ada(line, emails=[(f"ada{line % 3}@example.org", "home")])
            for line in range(2, count + 2)
        ]
        with CaptureQueriesContext(connection) as captured:
            import_preview(import_run=run, records=records)
        return len(captured)

    assert queries(12) == queries(60)
