"""Restores racing edits, merges and each other, through the real views."""

import itertools

import pytest
from django.urls import reverse

from crm.models import Change, Contact
from crm.queries.history import snapshot
from crm.services.contacts import contact_save
from crm.services.history import source
from crm.tests.views.test_contact_form import form_data
from locking.testing import test_concurrently

from .clients import logged_in_clients, redirected

pytestmark = pytest.mark.django_db(transaction=True)


def saved(name, contact=None, **fields):
    """Save a contact named ``name`` through the form's workflow; return it and its last change."""
    contact = contact or Contact()
    contact.name = name
    for field, value in fields.items():
        setattr(contact, field, value)
    with source("form"):
        contact_save(contact=contact, phones=[], addresses=[], emails=[], tags=[])
    return contact, Change.objects.filter(contact=contact).order_by("-id").first()


def assert_history_tells_the_state(contact):
    """
    Each object's latest change says what the contact holds now: nothing
    recorded twice, nothing lost.
    """
    now = snapshot([contact.pk]).get(contact.pk, {})
    latest = {}
    for change in Change.objects.filter(contact=contact).order_by("id"):
        key = (change.kind, change.key)
        if change.action == "remove":
            latest.pop(key, None)
        else:
            latest.setdefault(key, {}).update(change.after)
    for key, values in latest.items():
        assert key in now, key
        assert {name: now[key].get(name) for name in values} == values, key


@pytest.fixture
def ada():
    contact, first = saved("Ada Lovelace", job_title="Analyst")
    saved("Ada King", contact, job_title="Countess")
    return contact, first


def test_a_restore_racing_an_edit_ends_in_one_order_or_the_other(user, ada):
    contact, first = ada
    seen = Change.objects.filter(contact=contact).order_by("-id").first().pk
    clients = logged_in_clients(user, 2)
    jobs = iter(["restore", "edit"])
    said = []

    @test_concurrently(2)
    def race():
        client = clients.get()
        if next(jobs) == "restore":
            url = reverse("crm:contact_history_restore", args=[contact.pk])
            response = client.post(url, {"change": first.pk, "seen": seen}, follow=True)
        else:
            url = reverse("crm:contact_edit", args=[contact.pk])
            response = client.post(url, form_data("Ada Byron", job_title="Poet"), follow=True)
        assert response.status_code == 200
        # The page, not response.context: the test client's capture of
        # contexts is shared by threads.
        said.append(response.content.decode())

    race()
    contact.refresh_from_db()
    restored = any("is restored to how it was" in page for page in said)
    if restored:  # the restore went first; the edit then changed what it restored
        assert (contact.name, contact.job_title) == ("Ada Byron", "Poet")
    else:
        assert any("changed since you opened its history" in page for page in said)
        assert (contact.name, contact.job_title) == ("Ada Byron", "Poet")
    assert Change.objects.filter(contact=contact, source="restore").exists() == restored
    assert_history_tells_the_state(contact)


def test_two_restores_at_once_restore_once(user, ada):
    contact, first = ada
    second = Change.objects.filter(contact=contact).order_by("-id")[1]
    seen = Change.objects.filter(contact=contact).order_by("-id").first().pk
    points = itertools.cycle([first.pk, second.pk])
    clients = logged_in_clients(user, 4)

    @test_concurrently(4)
    def restore():
        url = reverse("crm:contact_history_restore", args=[contact.pk])
        redirected(clients.get().post(url, {"change": next(points), "seen": seen}))

    restore()
    restores = Change.objects.filter(contact=contact, source="restore")
    assert restores.values("operation").distinct().count() == 1
    assert_history_tells_the_state(contact)


def test_a_restore_racing_a_merge_of_the_contact_ends_consistent(user, ada):
    contact, first = ada
    keep, _ = saved("Ada Lovelace-King")
    seen = Change.objects.filter(contact=contact).order_by("-id").first().pk
    clients = logged_in_clients(user, 2)
    jobs = iter(["restore", "merge"])

    @test_concurrently(2)
    def race():
        client = clients.get()
        if next(jobs) == "restore":
            url = reverse("crm:contact_history_restore", args=[contact.pk])
            redirected(client.post(url, {"change": first.pk, "seen": seen}))
        else:
            url = reverse("crm:contact_merge", args=[keep.pk, contact.pk])
            redirected(client.post(url, {"name": "keep", "job_title": "keep"}))

    race()
    assert not Contact.objects.filter(pk=contact.pk).exists()  # merged, whichever went first
    keep.refresh_from_db()
    assert keep.job_title in ("Analyst", "Countess")  # from the restored contact, or not
    assert_history_tells_the_state(keep)
