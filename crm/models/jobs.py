"""Bulk actions on more contacts than a request should take on, run by ``crm_worker``."""

from django.conf import settings
from django.db import models
from django.urls import reverse


class BulkJob(models.Model):
    """
    A tag, untag, delete or assign of every contact the list matched, when they are
    more than a request handles (``crm.views.bulk.INLINE_MAX``).

    The selection is the list's search and filters (``filters``, (name,
    value) pairs), matched again when the job runs: "all matching" means
    the contacts matching then, and ``count`` says how many were changed.
    """

    class Action(models.TextChoices):
        TAG = "tag", "Add tag"
        UNTAG = "untag", "Remove tag"
        DELETE = "delete", "Delete"
        ASSIGN = "assign", "Assign"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_bulk_jobs"
    )
    created = models.DateTimeField(auto_now_add=True)
    action = models.CharField(max_length=10, choices=Action)
    tag_name = models.CharField(max_length=100, blank=True)
    assignment = models.JSONField(
        default=dict,
        blank=True,
        help_text="What an assign gives: the ids of the owner, team, team to share with or not.",
    )
    filters = models.JSONField(default=list, help_text="The list's search and filters.")
    list_url = models.CharField(max_length=4000, help_text="The list to go back to.")
    matched = models.PositiveIntegerField(help_text="How many matched when it was asked for.")
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    count = models.PositiveIntegerField(null=True, blank=True, help_text="How many were changed.")
    error = models.TextField(blank=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [
            models.Index(
                fields=["created"],
                condition=models.Q(status="queued"),
                name="crm_bulkjob_queued",
            )
        ]

    def __str__(self):
        return f"{self.get_action_display()} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("crm:bulk_job", args=[self.pk])

    @property
    def working(self):
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
