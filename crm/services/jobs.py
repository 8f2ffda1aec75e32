"""
Bulk actions queued for the worker: asking for one, and running those queued.

A request tags, untags, deletes or assigns up to ``INLINE_MAX`` contacts itself;
"all matching" past it is a ``BulkJob`` that ``manage.py crm_worker`` runs
with the very same workflows (``crm.services.bulk``), each one transaction
with the same locks, so a job and a person editing meanwhile end as they
would in two requests. Jobs run one at a time, oldest first, each taken
under a row lock that other workers skip (PostgreSQL), so two workers never
run the same job.
"""

import logging

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.http import QueryDict
from django.utils import timezone

from ..exceptions import ContactBookError
from ..forms.listing import ContactListForm
from ..models import BulkJob, Team
from .bulk import contacts_tag, contacts_untag
from .history import source
from .teams import KEEP, contacts_assign
from .trash import contacts_trash

logger = logging.getLogger(__name__)

# "All matching" past this many contacts is left to the worker: the list's
# count cap, so "more than 1,000" is exactly when the bulk bar says so.
INLINE_MAX = 1000


def bulk_job_queue(
    *, author, action, tag_name="", assignment=None, filters, list_url, matched
) -> BulkJob:
    """
    Queue ``action`` on every contact the list's ``filters`` ((name, value)
    pairs of its search and filters) match when it runs; return the job.
    An assign's ``assignment`` is what ``contacts_assign()`` takes.
    """
    if action not in BulkJob.Action.values:
        raise ValueError(f"{action!r} is not an action a job runs.")
    return BulkJob.objects.create(
        author=author,
        action=action,
        tag_name=tag_name,
        assignment=_assignment_ids(assignment or {}),
        filters=[[name, value] for name, value in filters],
        list_url=list_url,
        matched=matched,
    )


def _assignment_ids(assignment: dict) -> dict:
    """Return an assignment as a job stores it: the chosen user's or team's id, by name."""
    return {
        name: chosen.pk
        for name, chosen in assignment.items()
        if chosen is not None and chosen is not KEEP
    }


def _assignment(job) -> dict:
    """Return the job's assignment as ``contacts_assign()`` takes it; fail if one is gone."""
    models = {"owner": get_user_model(), "team": Team, "share": Team, "unshare": Team}
    assignment = {}
    for name, pk in job.assignment.items():
        chosen = models[name]._default_manager.filter(pk=pk).first()
        if chosen is None:
            raise ContactBookError(f"The {name} chosen was deleted meanwhile.")
        assignment[name] = chosen
    return assignment


def _selection(job):
    """Return the contacts the job's list matches now, among those its author sees now."""
    data = QueryDict(mutable=True)
    for name, value in job.filters:
        data.appendlist(name, value)
    form = ContactListForm(data, user=job.author)
    if not form.is_valid():  # the rules changed since it was asked for
        raise ContactBookError("The list's search or filters are no longer valid.")
    return form.contacts()


def _run(job: BulkJob) -> int:
    """Do what ``job`` asks, on the contacts its selection matches now; return how many."""
    contacts = _selection(job)
    if job.action == BulkJob.Action.TAG:
        return contacts_tag(contacts=contacts, tag=job.tag_name)
    if job.action == BulkJob.Action.UNTAG:
        return contacts_untag(contacts=contacts, tag=job.tag_name)
    if job.action == BulkJob.Action.ASSIGN:
        return contacts_assign(contacts=contacts, **_assignment(job), author=job.author)
    return contacts_trash(contacts=contacts, by=job.author)


def bulk_job_run(*, job: BulkJob) -> BulkJob:
    """Run ``job`` (taken by the caller, see ``bulk_jobs_run_pending``); record its outcome."""
    try:
        with source("bulk", ref=job.pk, author=job.author):
            count = _run(job)
    except ContactBookError as exc:
        outcome = {"status": BulkJob.Status.FAILED, "error": str(exc)}
    except Exception:
        logger.exception("Bulk job %s failed", job.pk)
        outcome = {
            "status": BulkJob.Status.FAILED,
            "error": "It failed unexpectedly; nothing was changed. The server's log says why.",
        }
    else:
        outcome = {"status": BulkJob.Status.DONE, "count": count}
    BulkJob.objects.filter(pk=job.pk).update(finished=timezone.now(), **outcome)
    job.refresh_from_db()
    return job


def _take_next():
    """Return the oldest queued job, marked running, or None; skipping jobs another worker took."""
    with transaction.atomic():
        queued = BulkJob.objects.filter(status=BulkJob.Status.QUEUED).order_by("created", "pk")
        if connection.features.has_select_for_update_skip_locked:
            queued = queued.select_for_update(skip_locked=True)
        job = queued.first()
        if job is not None:
            job.status = BulkJob.Status.RUNNING
            job.started = timezone.now()
            job.save(update_fields=["status", "started"])
        return job


def bulk_jobs_run_pending(*, limit=None) -> int:
    """Run queued jobs, oldest first (at most ``limit``); return how many ran."""
    ran = 0
    while limit is None or ran < limit:
        job = _take_next()
        if job is None:
            break
        bulk_job_run(job=job)
        ran += 1
    return ran
