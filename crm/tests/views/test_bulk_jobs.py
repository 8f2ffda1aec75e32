"""Bulk actions on more contacts than a request takes on: queued, run by the worker, followed."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from crm.models import BulkJob, Contact, Tag
from crm.services import jobs
from crm.tests.factories import make_contacts

pytestmark = pytest.mark.django_db
BULK = reverse("crm:contact_bulk")
LIST = reverse("crm:contact_list")


@pytest.fixture
def book(monkeypatch):
    monkeypatch.setattr(jobs, "INLINE_MAX", 3)
    monkeypatch.setattr("crm.views.bulk.INLINE_MAX", 3)
    return make_contacts(5) + make_contacts(2, prefix="Other")


def test_tagging_all_matching_past_the_limit_is_queued_and_the_worker_does_it(
    logged_in_client, book
):
    response = logged_in_client.post(
        BULK, {"action": "tag", "all": "1", "q": "person", "tag_name": "VIP", "list": "q=person"}
    )
    job = BulkJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == job.get_absolute_url()
    assert (job.action, job.status, job.matched) == ("tag", "queued", 5)
    assert job.list_url == f"{LIST}?q=person"
    # Nothing changes until the worker runs it.
    assert not Tag.objects.exists()
    page = logged_in_client.get(job.get_absolute_url()).content.decode()
    assert "Waiting for the worker" in page
    assert '<meta http-equiv="refresh"' in page

    assert jobs.bulk_jobs_run_pending() == 1
    job.refresh_from_db()
    assert (job.status, job.count) == ("done", 5)
    tagged = Contact.objects.filter(tags__name="VIP")
    assert sorted(tagged.values_list("name", flat=True)) == [f"Person {i:04d}" for i in range(5)]
    # The search text knows the tag, as after a tag on the page.
    assert Contact.objects.search("vip").count() == 5
    page = logged_in_client.get(job.get_absolute_url()).content.decode()
    assert "Tagged 5 contacts with “VIP”." in page
    assert "http-equiv" not in page
    assert jobs.bulk_jobs_run_pending() == 0


def test_a_few_or_ticked_contacts_are_acted_on_at_once(logged_in_client, book):
    logged_in_client.post(BULK, {"action": "tag", "all": "1", "q": "other", "tag_name": "VIP"})
    ids = [c.pk for c in book[:4]]
    logged_in_client.post(BULK, {"action": "tag", "ids": ids, "tag_name": "VIP"})
    assert not BulkJob.objects.exists()
    assert Contact.objects.filter(tags__name="VIP").count() == 6


def test_deleting_all_matching_asks_first_then_queues_and_counts_what_it_trashed(
    logged_in_client, book, user
):
    data = {"action": "delete", "all": "1", "q": "person"}
    page = logged_in_client.post(BULK, data).content.decode()
    assert "Delete 5 contacts?" in page
    assert not BulkJob.objects.exists()
    logged_in_client.post(BULK, {**data, "confirmed": "1"})
    job = BulkJob.objects.get()
    # One of them goes meanwhile: the job deletes the four left, and says so.
    Contact.objects.filter(pk=book[0].pk).delete()
    jobs.bulk_jobs_run_pending()
    job.refresh_from_db()
    assert (job.status, job.count, job.matched) == ("done", 4, 5)
    assert sorted(Contact.objects.values_list("name", flat=True)) == ["Other 0000", "Other 0001"]
    # In the trash, put there by the job's author.
    trashed = Contact.all_objects.exclude(trashed=None)
    assert trashed.count() == 4 and set(trashed.values_list("trashed_by", flat=True)) == {user.pk}
    page = logged_in_client.get(job.get_absolute_url()).content.decode()
    assert 'Moved 4 contacts to the <a href="/contacts/trash/">trash</a>.' in page
    assert "5 matched when it was asked for" in page


def test_a_job_that_cannot_run_fails_with_its_reason_and_changes_nothing(logged_in_client, book):
    logged_in_client.post(BULK, {"action": "tag", "all": "1", "q": "person", "tag_name": "VIP"})
    job = BulkJob.objects.get()
    BulkJob.objects.filter(pk=job.pk).update(filters=[["created_from", "not a date"]])
    jobs.bulk_jobs_run_pending()
    job.refresh_from_db()
    assert job.status == "failed"
    assert not Tag.objects.exists()
    page = logged_in_client.get(job.get_absolute_url()).content.decode()
    assert "Nothing was changed: The list&#x27;s search or filters are no longer valid." in page


def test_only_its_author_or_staff_see_a_job(logged_in_client, book, django_user_model):
    logged_in_client.post(BULK, {"action": "tag", "all": "1", "q": "person", "tag_name": "VIP"})
    url = BulkJob.objects.get().get_absolute_url()
    client = Client()
    assert client.get(url).status_code == 302  # to the login page
    other = django_user_model.objects.create_user("other", password="x")
    client.force_login(other)
    assert client.get(url).status_code == 404
    other.is_staff = True
    other.save()
    assert client.get(url).status_code == 200
    assert client.get(reverse("crm:bulk_job", args=[10**9])).status_code == 404


def test_the_worker_command_runs_queued_jobs(logged_in_client, book):
    logged_in_client.post(BULK, {"action": "untag", "all": "1", "q": "person", "tag_name": "x"})
    out = io.StringIO()
    call_command("crm_worker", "--once", stdout=out)
    assert out.getvalue() == "0 import step(s) and 1 bulk job(s) run.\n"
    assert BulkJob.objects.get().status == "done"
