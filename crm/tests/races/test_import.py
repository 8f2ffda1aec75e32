"""Two imports of overlapping files committed at once, and an import racing an edit."""

import pytest

from crm.imports.commit import import_commit
from crm.imports.plan import import_preview
from crm.imports.records import ImportRecord
from crm.models import Contact, Email, Phone
from crm.models.imports import Import
from crm.services.contacts import contact_save
from crm.tests.factories import make_contact
from locking.testing import test_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def people(start, stop):
    """Return people ``start`` to ``stop``, each with an email, a number and the office line."""
    return [
        ImportRecord(
            line=i + 2,
            full_name=f"Person {i:03}",
            emails=[(f"person{i}@example.org", "home")],
            phones=[(f"+1 212 555 {i:04d}", "mobile"), ("+1 212 555 9999", "office")],
        )
        for i in range(start, stop)
    ]


@pytest.mark.parametrize("on_match", ["skip", "update"])
def test_overlapping_imports_at_once_create_each_contact_and_phone_once(user, on_match):
    # Both previews are made before either commit: each plans to create the overlap.
    files = [people(0, 30), people(20, 50)]
    runs = []
    for records in files:
        run = Import.objects.create(author=user, file_name="f.csv", on_match=on_match)
        assert import_preview(import_run=run, records=records)["create"] == 30
        runs.append(run)
    pending = iter(runs)

    @test_concurrently(2)
    def commit():
        import_commit(import_run=next(pending))

    commit()
    assert Contact.objects.count() == 50
    assert Email.objects.count() == 50
    assert Phone.objects.count() == 51  # every number once, the office line shared
    assert Phone.objects.get(number="+1 212 555 9999").contacts.count() == 50


def test_an_import_and_an_edit_adding_the_same_new_number_at_once_share_one_phone(user):
    ada = make_contact("Ada Lovelace", email="ada@example.org")
    charles = make_contact("Charles Babbage")
    run = Import.objects.create(author=user, file_name="f.csv", on_match="update")
    row = ImportRecord(
        line=2,
        full_name="Ada Lovelace",
        emails=[("ada@example.org", "home")],
        phones=[("(212) 555-0100", "mobile")],
    )
    assert import_preview(import_run=run, records=[row])["update"] == 1
    jobs = iter(["import", "edit"])

    @test_concurrently(2)
    def act():
        if next(jobs) == "import":
            import_commit(import_run=run)
        else:
            contact = Contact.objects.get(pk=charles.pk)
            contact_save(contact=contact, phones=[("+1 212 555 0100", "office")], addresses=[])

    act()
    phone = Phone.objects.get()
    assert set(phone.contacts.all()) == {ada, charles}
