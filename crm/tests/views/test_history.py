"""The contact's history page: changes newest first, a page at a time; restore and undo."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.models import Change, Contact
from crm.services.history import changed, source
from crm.tests.factories import make_contact
from crm.tests.views.test_contact_form import form_data

pytestmark = pytest.mark.django_db


def edit(client, contact, name, **rows):
    client.post(reverse("crm:contact_edit", args=[contact.pk]), form_data(name, **rows))


def test_the_history_shows_each_change_with_who_and_values_escaped(logged_in_client, user):
    ada = make_contact("Ada Lovelace")
    edit(logged_in_client, ada, "<b>Ada</b> King")
    page = logged_in_client.get(reverse("crm:contact_history", args=[ada.pk])).content.decode()
    assert "Changed the name" in page
    assert "<del>Ada Lovelace</del> → <ins>&lt;b&gt;Ada&lt;/b&gt; King</ins>" in page
    assert user.get_username() in page and "Form" in page
    detail = logged_in_client.get(ada.get_absolute_url()).content.decode()
    assert "changed the name" in detail


def test_the_history_pages_by_change_id_and_costs_the_same_at_any_length(logged_in_client):
    ada = make_contact("Ada Lovelace")
    url = reverse("crm:contact_history", args=[ada.pk])

    def queries(page_url):
        with CaptureQueriesContext(connection) as captured:
            assert logged_in_client.get(page_url).status_code == 200
        return len(captured)

    def add(numbers):
        for n in numbers:
            with source("form"):
                changed(contacts=[ada.pk], kind="tag", key=str(n), after={"name": f"t{n}"})

    add(range(3))
    few = queries(url)
    add(range(3, 120))
    assert queries(url) == few
    first = logged_in_client.get(url)
    assert first.context["next_before"] is not None
    older = logged_in_client.get(f"{url}?before={first.context['next_before']}")
    shown = [c.key for _, changes, _ in older.context["operations"] for c in changes]
    assert shown == [str(n) for n in range(69, 19, -1)]
    # Older pages also look up where they start, and the newest change, which
    # restore and undo check against.
    assert queries(f"{url}?before={first.context['next_before']}") == few + 2


def test_restore_to_this_point_and_undo_from_the_page(logged_in_client, messages_of):
    ada = make_contact("Ada Lovelace")
    edit(logged_in_client, ada, "Ada King")
    point = Change.objects.get()
    edit(logged_in_client, ada, "Ada Byron")
    seen = Change.objects.first().pk
    url = reverse("crm:contact_history_restore", args=[ada.pk])
    response = logged_in_client.post(url, {"change": point.pk, "seen": seen}, follow=True)
    assert Contact.objects.get(pk=ada.pk).name == "Ada King"
    assert "is restored to how it was" in " ".join(messages_of(response))
    restore = Change.objects.first()
    undo = reverse("crm:contact_history_undo", args=[ada.pk])
    logged_in_client.post(undo, {"operation": restore.operation, "seen": restore.pk})
    assert Contact.objects.get(pk=ada.pk).name == "Ada Byron"


def test_a_stale_page_restores_nothing_and_says_why(logged_in_client, messages_of):
    ada = make_contact("Ada Lovelace")
    edit(logged_in_client, ada, "Ada King")
    point = Change.objects.get()
    edit(logged_in_client, ada, "Ada Byron")
    url = reverse("crm:contact_history_restore", args=[ada.pk])
    response = logged_in_client.post(url, {"change": point.pk, "seen": point.pk}, follow=True)
    assert Contact.objects.get(pk=ada.pk).name == "Ada Byron"
    assert "changed since you opened its history" in " ".join(messages_of(response))


def test_restore_to_a_moment_typed(logged_in_client, messages_of):
    ada = make_contact("Ada Lovelace")
    edit(logged_in_client, ada, "Ada King")
    Change.objects.update(at="2026-01-01T10:00:00Z")
    edit(logged_in_client, ada, "Ada Byron")
    url = reverse("crm:contact_history_restore", args=[ada.pk])
    logged_in_client.post(url, {"moment": "2026-06-01T10:00"})
    assert Contact.objects.get(pk=ada.pk).name == "Ada King"
    response = logged_in_client.post(url, {"moment": "2020-06-01T10:00"}, follow=True)
    assert "There is no change to go back to" in " ".join(messages_of(response))
    response = logged_in_client.post(url, {"moment": "soon"}, follow=True)
    assert "Give the date and time" in " ".join(messages_of(response))


def test_undo_refuses_an_operation_of_another_contact(logged_in_client, messages_of):
    ada, charles = make_contact("Ada Lovelace"), make_contact("Charles Babbage")
    edit(logged_in_client, charles, "Charles B.")
    other = Change.objects.get()
    undo = reverse("crm:contact_history_undo", args=[ada.pk])
    response = logged_in_client.post(undo, {"operation": other.operation}, follow=True)
    assert "not in this contact's history" in " ".join(messages_of(response))
    assert Contact.objects.get(pk=charles.pk).name == "Charles B."
