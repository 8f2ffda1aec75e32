"""Emptying the trash of what is past its days: ``manage.py crm_purge_trash``, CRM_TRASH_DAYS."""

import datetime
import io

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.utils import timezone

from crm.models import Contact, Phone
from crm.services.trash import contact_trash
from crm.tests.factories import make_contact

pytestmark = pytest.mark.django_db


def purge(*args, **options):
    out = io.StringIO()
    call_command("crm_purge_trash", *args, stdout=out, **options)
    return out.getvalue()


def trashed_days_ago(name, days, **fields):
    contact = make_contact(name, **fields)
    contact_trash(contact=contact)
    when = timezone.now() - datetime.timedelta(days=days, minutes=1)
    Contact.all_objects.filter(pk=contact.pk).update(trashed=when)
    return contact


@pytest.fixture
def trash():
    """Contacts in the trash for 40, 20 and 5 days, and one live."""
    return [
        trashed_days_ago("Forty", 40, phones=["555 0100"]),
        trashed_days_ago("Twenty", 20),
        trashed_days_ago("Five", 5),
        make_contact("Live"),
    ]


def names():
    return sorted(Contact.all_objects.values_list("name", flat=True))


def test_it_purges_after_crm_trash_days_30_by_default(trash):
    output = purge(verbosity=0)
    assert output == "Purged 1 contact in the trash for more than 30 days.\n"
    assert names() == ["Five", "Live", "Twenty"]
    assert not Phone.objects.exists()


def test_the_days_come_from_the_setting_or_the_option(trash, settings):
    settings.CRM_TRASH_DAYS = 10
    assert "Purged 2 contacts" in purge(verbosity=0)
    assert names() == ["Five", "Live"]
    assert "Purged 1 contact in the trash for more than 0 days." in purge("--days", "0")
    assert names() == ["Live"]


def test_a_dry_run_counts_and_deletes_nothing(trash):
    assert purge("--dry-run", "--days", "7") == "2 contacts in the trash for more than 7 days.\n"
    assert len(names()) == 4


def test_it_shows_its_progress(trash):
    output = purge("--days", "1")
    assert "[" + "#" * 30 + "] 3/3 contacts" in output
    assert output.endswith("Purged 3 contacts in the trash for more than 1 day.\n")


def test_a_negative_number_of_days_is_refused(trash):
    with pytest.raises(CommandError, match="--days must be 0 or more"):
        purge("--days", "-1")
    assert len(names()) == 4


@pytest.mark.parametrize("days", [0, -3, "30", 2.5, True])
def test_a_setting_that_is_not_a_number_of_days_is_reported(settings, days):
    settings.CRM_TRASH_DAYS = days
    assert [error.id for error in run_checks() if error.id.startswith("crm.")] == ["crm.E003"]


def test_it_drops_the_api_idempotency_keys_past_their_day(user):
    from crm.models import IdempotencyKey

    old, new = (
        IdempotencyKey.objects.create(user=user, key=key, fingerprint="", status=201, body="{}")
        for key in ("old", "new")
    )
    IdempotencyKey.objects.filter(pk=old.pk).update(
        created=timezone.now() - datetime.timedelta(hours=25)
    )
    assert purge().endswith("Dropped 1 API idempotency key older than 24 hours.\n")
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert "idempotency" not in purge("--dry-run")
