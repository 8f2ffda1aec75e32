"""Every write path of the contact book leaves one history record per object it changed."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models.functions import Lower
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.imports.commit import import_undo
from crm.models import BulkJob, Change, Contact, Email, Phone, Tag
from crm.models.imports import ImportRow
from crm.queries.history import snapshot
from crm.services import jobs
from crm.services.duplicates import contact_merge
from crm.services.history import source
from crm.services.relationships import relationship_add
from crm.tests.factories import make_contact, make_contacts
from crm.tests.imports.plans import ada, imported
from crm.tests.test_admin import admin_form_data
from crm.tests.views.test_contact_form import form_data

pytestmark = pytest.mark.django_db


def changes(contact=None, **filters):
    """Return (kind, key, action, source) of the changes recorded, oldest first."""
    rows = Change.objects.filter(**filters).order_by("id")
    if contact is not None:
        rows = rows.filter(contact=contact)
    return [(c.kind, c.key, c.action, c.source) for c in rows]


def test_creating_a_contact_in_the_form_records_each_object_as_added(logged_in_client, user):
    data = form_data(
        "Ada Lovelace",
        phones=[("+44 20 7946 0018", "mobile")],
        addresses=[{"street": "12 St James's Square", "city": "London"}],
        emails=["ada@example.org"],
        tags="VIP",
    )
    logged_in_client.post(reverse("crm:contact_create"), data)
    ada = Contact.objects.get()
    phone, tag = Phone.objects.get(), Tag.objects.get()
    address = ada.addresses.get()
    assert sorted(changes(ada)) == sorted(
        [
            ("contact", "", "add", "form"),
            ("email", "ada@example.org", "add", "form"),
            ("phone", str(phone.pk), "add", "form"),
            ("address", str(address.pk), "add", "form"),
            ("tag", str(tag.pk), "add", "form"),
        ]
    )
    assert set(Change.objects.values_list("author", flat=True)) == {user.pk}
    assert len(set(Change.objects.values_list("operation", flat=True))) == 1
    added = Change.objects.get(kind="email")
    assert (added.before, added.after) == (
        None,
        {"address": "ada@example.org", "label": "home", "primary": True},
    )


def test_editing_records_only_what_changed_with_before_and_after(logged_in_client):
    ada = make_contact("Ada Lovelace", phones=["+44 20 7946 0018"], email="ada@example.org")
    data = form_data(
        "Ada King", phones=[("+44 20 7946 0018", "office")], emails=["ada@example.org"], tags=""
    )
    logged_in_client.post(reverse("crm:contact_edit", args=[ada.pk]), data)
    assert changes(ada) == [
        ("contact", "", "change", "form"),
        ("phone", str(Phone.objects.get().pk), "change", "form"),
    ]
    name, label = Change.objects.order_by("id")
    assert (name.before, name.after) == ({"name": "Ada Lovelace"}, {"name": "Ada King"})
    assert (label.before, label.after) == ({"label": "mobile"}, {"label": "office"})


def test_saving_unchanged_records_nothing(logged_in_client):
    ada = make_contact("Ada Lovelace", phones=["+44 20 7946 0018"], email="ada@example.org")
    data = form_data(
        "Ada Lovelace", phones=[("+44 20 7946 0018", "mobile")], emails=["ada@example.org"]
    )
    logged_in_client.post(reverse("crm:contact_edit", args=[ada.pk]), data)
    assert changes(ada) == []


def test_relating_records_on_both_contacts(logged_in_client, ada, charles, colleague):
    url = reverse("crm:relationship_add", args=[ada.pk])
    logged_in_client.post(url, {"other": charles.pk, "types": [colleague.pk]})
    assert changes(ada) == [("relationship", str(charles.pk), "add", "form")]
    assert changes(charles) == [("relationship", str(ada.pk), "add", "form")]
    remove = reverse("crm:relationship_remove", args=[ada.pk, charles.pk])
    logged_in_client.post(remove)
    assert changes(ada)[-1] == ("relationship", str(charles.pk), "remove", "form")
    assert Change.objects.get(contact=ada, action="remove").before["types"] == [colleague.name]


def test_a_merge_records_on_both_contacts_and_the_related_ones_as_a_merge(user, colleague):
    keep = make_contact("Ada Lovelace", email="ada@example.org")
    duplicate = make_contact("Ada King", email="ada@king.example", phones=["+44 20 7946 0018"])
    third = make_contact("Charles Babbage")
    relationship_add(contact=duplicate, other=third, types=[colleague])
    Change.objects.all().delete()
    with source("form", author=user):
        contact_merge(keep=keep, duplicate=duplicate)
    merged = Change.objects.filter(source="merge")
    assert merged.count() == Change.objects.count()
    assert {c.author_id for c in merged} == {user.pk}
    assert ("email", "ada@king.example", "add", "merge") in changes(keep)
    assert ("relationship", str(third.pk), "add", "merge") in changes(keep)
    assert ("relationship", str(keep.pk), "add", "merge") in changes(third)
    assert merged.filter(contact=keep).first().ref == str(duplicate.pk)


def test_bulk_tagging_and_untagging_record_each_contact_changed(logged_in_client):
    contacts = make_contacts(3)
    Tag.objects.create(name="VIP", slug="vip").contacts.add(contacts[0])
    ids = [c.pk for c in contacts]
    bulk = reverse("crm:contact_bulk")
    logged_in_client.post(bulk, {"action": "tag", "tag_name": "VIP", "ids": ids, "list": ""})
    tagged = Change.objects.filter(source="bulk", action="add", kind="tag")
    assert sorted(tagged.values_list("contact", flat=True)) == ids[1:]
    logged_in_client.post(bulk, {"action": "untag", "tag_name": "vip", "ids": ids, "list": ""})
    untagged = Change.objects.filter(source="bulk", action="remove")
    assert sorted(untagged.values_list("contact", flat=True)) == ids
    assert untagged.first().before == {"name": "VIP"}


def test_a_bulk_job_records_as_a_bulk_action_with_its_id(logged_in_client, user, monkeypatch):
    monkeypatch.setattr(jobs, "INLINE_MAX", 1)
    monkeypatch.setattr("crm.views.bulk.INLINE_MAX", 1)
    make_contacts(3)
    data = {"action": "tag", "all": "1", "q": "person", "tag_name": "VIP", "list": "q=person"}
    logged_in_client.post(reverse("crm:contact_bulk"), data)
    assert not Change.objects.exists()
    call_command("crm_worker", "--once", stdout=io.StringIO())
    job = BulkJob.objects.get()
    assert job.status == "done"
    rows = Change.objects.all()
    assert rows.count() == 3
    assert {(c.source, c.ref, c.author_id) for c in rows} == {("bulk", str(job.pk), user.pk)}


def test_an_import_and_its_undo_record_as_the_import(user):
    existing = make_contact("Ada Lovelace", email="ada@example.org")
    run, _ = imported(user, [ada(2, job_title="Countess")], on_match="update")
    recorded = Change.objects.filter(contact=existing)
    assert {(c.source, c.ref, c.author_id) for c in recorded} == {("import", str(run.pk), user.pk)}
    assert ("contact", "", "change", "import") in changes(existing)
    import_undo(import_run=run)
    assert changes(existing, action="change")[-1] == ("contact", "", "change", "import")
    assert Change.objects.filter(contact=existing).count() > recorded.count() - 1


def recorded_as_snapshot(contact):
    """Return the changes recorded of ``contact`` as a snapshot: {(kind, key): after}."""
    return {(c.kind, c.key): c.after for c in Change.objects.filter(contact=contact)}


def test_an_import_records_what_it_creates_as_the_history_reads_it_back(user):
    phone = make_contact("Charles Babbage", phones=[("+44 (20) 7946-0018", "work")]).phones.get()
    records = [
        ada(2, dates=[("birthday", "", "--12-10"), ("other", "Engine", "1843-07-01")]),
        ada(3, name="Mary Somerville", emails=[("mary@example.org", "home")], tags=["vip"]),
    ]
    with CaptureQueriesContext(connection) as queries:
        run, counts = imported(user, records, on_match="create")
    assert counts["create"] == 2
    # Nothing the import created is read back to be recorded.
    assert not [q for q in queries if "UNION ALL" in q["sql"]]
    created = Contact.objects.filter(pk__in=ImportRow.objects.values("contact_id"))
    for contact in created:
        assert recorded_as_snapshot(contact) == snapshot([contact.pk])[contact.pk]
        assert set(changes(contact)) == {
            (k, key, "add", "import") for k, key in snapshot([contact.pk])[contact.pk]
        }
    # The number the book had keeps its form; both new contacts link to it.
    assert Change.objects.filter(kind="phone", key=str(phone.pk)).count() == 2
    assert Change.objects.get(contact=created[0], kind="phone").after["number"] == phone.number


def test_an_import_reads_back_an_email_beyond_ascii_to_record_it(user):
    run, _ = imported(user, [ada(2, emails=[("elodie@ÉCOLE.example", "home")])])
    contact = Contact.objects.get()
    assert ("email", Email.objects.annotate(key=Lower("address")).get().key) in (
        recorded_as_snapshot(contact)
    )
    assert recorded_as_snapshot(contact) == snapshot([contact.pk])[contact.pk]


def test_the_admin_records_as_the_admin(admin_client):
    ada = make_contact("Ada Lovelace", email="ada@example.org")
    url = reverse("admin:crm_contact_change", args=[ada.pk])
    admin_client.post(url, admin_form_data(admin_client, url, name="Ada King"))
    assert changes(ada) == [("contact", "", "change", "admin")]


def test_changing_a_shared_phone_in_the_admin_records_on_every_contact_that_has_it(admin_client):
    ada = make_contact("Ada Lovelace", phones=["+44 20 7946 0018"])
    charles = make_contact("Charles Babbage", phones=["+44 20 7946 0018"])
    phone = Phone.objects.get()
    url = reverse("admin:crm_phone_change", args=[phone.pk])
    admin_client.post(url, admin_form_data(admin_client, url, number="+44 20 7946 0019"))
    for contact in (ada, charles):
        assert changes(contact) == [("phone", str(phone.pk), "change", "admin")]
    change = Change.objects.first()
    assert change.before == {"number": "+44 20 7946 0018"}


def test_a_command_records_as_a_command():
    call_command("crm_demo", "--contacts", "3", stdout=io.StringIO())
    assert Contact.objects.count() == 3
    assert set(Change.objects.values_list("source", flat=True)) == {"command"}
    assert Change.objects.filter(kind="contact", action="add").count() == 3


def test_renaming_a_tag_in_the_admin_records_on_every_contact_tagged(admin_client):
    ada, charles = make_contact("Ada Lovelace"), make_contact("Charles Babbage")
    tag = Tag.objects.create(name="VIP", slug="vip")
    tag.contacts.add(ada, charles)
    url = reverse("admin:crm_tag_change", args=[tag.pk])
    admin_client.post(url, admin_form_data(admin_client, url, name="Very important"))
    for contact in (ada, charles):
        assert changes(contact) == [("tag", str(tag.pk), "change", "admin")]
    assert Change.objects.first().after == {"name": "Very important"}


def test_changing_a_relationships_types_records_on_both(logged_in_client, colleague, friend):
    ada, charles = make_contact("Ada Lovelace"), make_contact("Charles Babbage")
    relationship_add(contact=ada, other=charles, types=[colleague])
    url = reverse("crm:relationship_edit", args=[ada.pk, charles.pk])
    logged_in_client.post(url, {"types": [friend.pk]})
    for contact, other in [(ada, charles), (charles, ada)]:
        change = Change.objects.filter(contact=contact, source="form").get()
        assert (change.kind, change.key, change.action) == ("relationship", str(other.pk), "change")
        assert (change.before, change.after) == ({"types": ["Colleague"]}, {"types": ["Friend"]})
