"""Undoing an import: what it created goes, what it changed comes back, later edits stay."""

import pytest
from django.forms.models import model_to_dict

from crm.imports.commit import ImportConflict, import_undo
from crm.models import Address, Contact, Phone, Tag
from crm.models.imports import ImportRow
from crm.services.contacts import contact_save
from crm.services.duplicates import contact_merge
from crm.services.search import contact_search_refresh
from crm.services.trash import contact_trash
from crm.tests.factories import make_contact

from .plans import ada, imported, previewed, record

pytestmark = pytest.mark.django_db


def edit(contact, **fields):
    """Save ``contact`` with ``fields`` changed as the contact form does, keeping its rows."""
    contact = Contact.objects.get(pk=contact.pk)
    for name, value in fields.items():
        setattr(contact, name, value)
    links = contact.address_links.select_related("address")
    contact_save(
        contact=contact,
        phones=[(link.phone.number, link.label) for link in contact.phone_links.all()],
        addresses=[
            {"id": link.address_id, "label": link.label, **model_to_dict(link.address)}
            for link in links
        ],
    )


def test_undo_removes_what_it_created_restores_what_it_changed_and_reports_later_edits(user):
    kept = make_contact("Charles Babbage", email="charles@example.org", job_title="Inventor")
    kept_phones = set(kept.phones.values_list("pk", flat=True))
    records = [
        ada(2),
        record(
            3,
            "Mary Somerville",
            emails=[("mary@example.org", "home")],
            phones=[("+1 212 555 0101", "home")],
        ),
        record(4, "Grace Hopper", emails=[("grace@example.org", "home")], tags=["Navy"]),
        record(
            5,
            "Charles Babbage",
            emails=[("CHARLES@example.org", "home"), ("cb@engines.example", "work")],
            job_title="Mathematician",
            phones=[("+1 212 555 0199", "mobile")],
            addresses=[{"city": "London", "label": "home"}],
            dates=[("birthday", "", "1791-12-26")],
            tags=["Navy"],
        ),
    ]
    run, counts = imported(user, records, on_match="update")
    assert counts == {"create": 3, "update": 1, "skip": 0, "error": 0, "duplicate": 0}
    grace = Contact.objects.get(name="Grace Hopper")
    edit(grace, job_title="Rear admiral")
    run.refresh_from_db()

    report = import_undo(import_run=run)

    assert report == [
        {
            "contact": grace.pk,
            "name": "Grace Hopper",
            "reason": "Changed since the import, so not deleted.",
        }
    ]
    assert set(Contact.objects.values_list("name", flat=True)) == {
        "Charles Babbage",
        "Grace Hopper",
    }
    kept.refresh_from_db()
    assert kept.job_title == "Inventor"
    assert list(kept.emails.values_list("address", "primary")) == [("charles@example.org", True)]
    assert set(kept.phones.values_list("pk", flat=True)) == kept_phones
    assert not kept.addresses.exists() and not kept.dates.exists() and not kept.tags.exists()
    # What nobody uses any more went with them; Grace keeps her tag.
    assert not Phone.objects.filter(contacts=None).exists()
    assert not Address.objects.filter(contacts=None).exists()
    assert list(Tag.objects.get(name="Navy").contacts.all()) == [grace]
    assert contact_search_refresh(ids=Contact.objects.values_list("pk", flat=True)) == 0
    assert not Contact.objects.search("mathematician").exists()


def test_an_update_edited_since_is_reported_and_left(user):
    kept = make_contact("Charles Babbage", email="charles@example.org")
    run, _ = imported(
        user,
        [
            record(
                2, "Charles Babbage", emails=[("charles@example.org", "home")], job_title="Inventor"
            )
        ],
        on_match="update",
    )
    edit(kept, notes="Met at the Royal Society.")
    run.refresh_from_db()
    report = import_undo(import_run=run)
    assert report == [
        {
            "contact": kept.pk,
            "name": "Charles Babbage",
            "reason": "Changed since the import, so its fields were not restored.",
        }
    ]
    kept.refresh_from_db()
    assert (kept.job_title, kept.notes) == ("Inventor", "Met at the Royal Society.")


def test_a_replaced_birthday_comes_back(user):
    kept = make_contact("Charles Babbage", email="charles@example.org")
    kept.dates.create(kind="birthday", month=12, day=25)
    run, _ = imported(
        user,
        [
            record(
                2,
                "Charles Babbage",
                emails=[("charles@example.org", "home")],
                dates=[("birthday", "", "1791-12-26")],
            )
        ],
        on_match="update",
    )
    assert [d.iso for d in kept.dates.all()] == ["1791-12-26"]
    run.refresh_from_db()
    assert import_undo(import_run=run) == []
    assert [d.iso for d in kept.dates.all()] == ["--12-25"]


def test_an_import_not_committed_cannot_be_undone(user):
    run, _ = previewed(user, [ada(2)])
    with pytest.raises(ImportConflict, match="nothing to undo"):
        import_undo(import_run=run)
    assert ImportRow.objects.filter(import_run=run).count() == 1


def test_undo_deletes_for_good_a_contact_it_created_now_in_the_trash(user):
    run, _ = imported(user, [ada(2), record(3, "Mary Somerville")])
    mary = Contact.objects.get(name="Mary Somerville")
    contact_trash(contact=mary)
    run.refresh_from_db()
    assert import_undo(import_run=run) == []
    assert not Contact.all_objects.exists()
    assert not Phone.objects.exists() and not Tag.objects.filter(contacts__isnull=False).exists()


def test_undo_restores_the_fields_of_a_contact_it_updated_now_in_the_trash(user):
    kept = make_contact("Charles Babbage", email="charles@example.org", job_title="Inventor")
    run, _ = imported(
        user,
        [record(2, "Charles Babbage", emails=[("charles@example.org", "home")], job_title="Poet")],
        on_match="update",
    )
    contact_trash(contact=kept)
    run.refresh_from_db()
    assert import_undo(import_run=run) == []
    kept = Contact.all_objects.get(pk=kept.pk)
    assert (kept.job_title, kept.trashed is not None) == ("Inventor", True)


def test_undo_leaves_and_reports_a_contact_it_created_merged_away_since(user):
    run, _ = imported(user, [ada(2), record(3, "Mary Somerville")])
    kept = make_contact("Mary Fairfax")
    mary = Contact.objects.get(name="Mary Somerville")
    contact_merge(keep=kept, duplicate=mary)
    run.refresh_from_db()
    report = import_undo(import_run=run)
    assert report == [
        {
            "contact": mary.pk,
            "name": "Mary Somerville",
            "reason": "Merged into another contact since the import, so not deleted.",
        }
    ]
    # The merge can still be undone: the contact it merged away is there.
    assert Contact.all_objects.get(pk=mary.pk).merged_into == kept
    assert list(Contact.objects.values_list("name", flat=True)) == ["Mary Fairfax"]
