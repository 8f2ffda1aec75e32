"""Restoring a contact from the trash while others edit it, restore it or delete it for good."""

import queue

import pytest
from django.urls import reverse

from crm.models import Contact, Phone
from crm.services.trash import contact_trash
from crm.tests.factories import make_contact
from crm.tests.views.test_contact_form import form_data
from locking.testing import test_concurrently

from .clients import logged_in_clients

pytestmark = pytest.mark.django_db(transaction=True)


def outcome(client, response):
    """Return the status of ``response``, and the page it redirects to (with its messages)."""
    if response.status_code != 302:
        return response.status_code, ""
    # Its text, not its context: the test client's contexts mix threads.
    return 302, client.get(response.url).content.decode()


def test_a_restore_racing_edits_ends_with_the_contact_back_and_saved_edits_kept(user):
    ada = make_contact("Ada Lovelace", phones=["555 0100"])
    contact_trash(contact=ada)
    clients = logged_in_clients(user, 6)
    turns, results = iter(range(6)), queue.SimpleQueue()

    @test_concurrently(6)
    def restore_or_edit():
        turn, client = next(turns), clients.get()
        if turn == 0:
            response = client.post(reverse("crm:trash_restore", args=[ada.pk]))
            results.put(("restore", *outcome(client, response)))
        else:
            url = reverse("crm:contact_edit", args=[ada.pk])
            data = form_data(f"Ada King {turn}", phones=[("555 0100", "mobile")])
            response = client.post(url, data)
            # Saved once restored, or not found while still in the trash.
            assert response.status_code in (302, 404), response.status_code
            results.put(("edit", response.status_code, turn))

    restore_or_edit()
    done = [results.get() for _ in range(6)]
    back = f'<a href="/contacts/{ada.pk}/">Ada Lovelace</a> is back.'
    assert [page for action, _, page in done if action == "restore" and back in page]
    saved = [turn for action, status, turn in done if action == "edit" and status == 302]
    ada = Contact.objects.get()
    assert ada.trashed is None
    # The last edit saved wins; with none saved, the contact is as it went to the trash.
    assert ada.name in ({f"Ada King {turn}" for turn in saved} or {"Ada Lovelace"})
    assert list(ada.phones.values_list("number", flat=True)) == ["555 0100"]


def test_restores_and_a_delete_for_good_at_once_leave_one_outcome(user):
    ada = make_contact("Ada Lovelace", phones=["555 0100"], addresses=["London"])
    contact_trash(contact=ada)
    clients = logged_in_clients(user, 4)
    turns, results = iter(range(4)), queue.SimpleQueue()

    @test_concurrently(4)
    def restore_or_delete():
        turn, client = next(turns), clients.get()
        name = "trash_delete" if turn == 0 else "trash_restore"
        response = client.post(reverse(f"crm:{name}", args=[ada.pk]))
        # Done, told it was done meanwhile, or no longer found in the trash.
        assert response.status_code in (302, 404), response.status_code
        results.put((name, *outcome(client, response)))

    restore_or_delete()
    done = [results.get() for _ in range(4)]
    restored = [page for _, _, page in done if "Ada Lovelace</a> is back." in page]
    deleted = [page for _, _, page in done if "Ada Lovelace was deleted for good." in page]
    assert len(restored) + len(deleted) == 1, done
    if restored:
        assert Contact.objects.get().phones.count() == 1
    else:
        assert not Contact.all_objects.exists() and not Phone.objects.exists()


def test_a_restore_racing_merges_ends_restored_or_merged_away_once(user):
    keep = make_contact("Ada Lovelace", phones=["555 0100"])
    duplicate = make_contact("Ada Lovelace", phones=["555 0199"])
    contact_trash(contact=duplicate)
    clients = logged_in_clients(user, 4)
    turns = iter(range(4))

    @test_concurrently(4)
    def restore_or_merge():
        turn, client = next(turns), clients.get()
        if turn == 0:
            url = reverse("crm:trash_restore", args=[duplicate.pk])
        else:
            url = reverse("crm:contact_merge", args=[keep.pk, duplicate.pk])
        response = client.post(url)
        # Done, or told it is not there (in the trash, or merged already).
        assert response.status_code in (302, 404), response.status_code

    restore_or_merge()
    assert Contact.objects.get(pk=keep.pk)
    duplicate = Contact.all_objects.get(pk=duplicate.pk)
    if duplicate.trashed is None:
        # Restored after every merge was refused: both as they were.
        assert set(duplicate.phones.values_list("number", flat=True)) == {"555 0199"}
        assert set(keep.phones.values_list("number", flat=True)) == {"555 0100"}
    else:
        # Restored, then merged away once: keep has both numbers.
        assert duplicate.merged_into_id == keep.pk and not duplicate.phones.exists()
        assert set(keep.phones.values_list("number", flat=True)) == {"555 0100", "555 0199"}
