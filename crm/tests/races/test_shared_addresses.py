"""Several browsers editing contacts that share one address, each changing it, at once."""

import pytest
from django.urls import reverse

from crm.models import Address, Contact
from crm.tests.factories import make_contact
from crm.tests.views.test_contact_form import form_data
from locking.testing import test_concurrently

from .clients import logged_in_clients, redirected

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def test_colleagues_editing_their_shared_office_at_once_all_save_and_stay_findable(user):
    # Each save changes the office, so it rewrites the search text of every
    # colleague too: without one lock order, two saves each held their own
    # contact and waited for the other's (a deadlock, a 500).
    office = Address.objects.create(street="1 Old Road", city="Lisbon")
    colleagues = [make_contact(f"Colleague {i}", addresses=[office]) for i in range(THREADS)]
    clients = logged_in_clients(user, THREADS)
    turns = iter(range(THREADS))

    @test_concurrently(THREADS)
    def edit():
        turn = next(turns)
        contact = colleagues[turn]
        address = {"id": office.pk, "street": f"{turn} Newstreet{turn}", "city": "Lisbon"}
        data = form_data(contact.name, addresses=[address])
        redirected(clients.get().post(reverse("crm:contact_edit", args=[contact.pk]), data))

    edit()
    office.refresh_from_db()
    assert office.street in {f"{turn} Newstreet{turn}" for turn in range(THREADS)}
    word = office.street.split()[1].lower()
    # The last save's street is in every colleague's search text.
    assert set(Contact.objects.search(word)) == set(colleagues)
    assert Address.objects.count() == 1
