"""Several workers at once never run the same bulk job twice."""

import pytest

from crm.models import BulkJob, Contact
from crm.services import jobs
from crm.tests.factories import make_contacts
from locking.testing import test_concurrently

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 4


def test_four_workers_run_each_queued_job_once(user):
    make_contacts(6)
    for name in ["A", "B", "C", "D", "E"]:
        jobs.bulk_job_queue(
            author=user,
            action="tag",
            tag_name=name,
            filters=[("q", "person")],
            list_url="/contacts/",
            matched=6,
        )
    ran = []

    @test_concurrently(WORKERS)
    def work():
        ran.append(jobs.bulk_jobs_run_pending())

    work()
    assert sum(ran) == 5
    assert set(BulkJob.objects.values_list("status", "count")) == {("done", 6)}
    assert Contact.tags.through.objects.count() == 30
