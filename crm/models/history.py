"""The history of every change to a contact and to what hangs on it."""

import uuid

from django.conf import settings
from django.db import models


class Change(models.Model):
    """
    One object of a contact changed: its own fields, an email, a phone link,
    a relationship, a timeline entry... with who, when, through what, and
    the values before and after (``crm.services.history`` writes them).

    ``kind`` and ``key`` name the object within the contact (``"email"``,
    ``"ada@example.com"``; ``"contact"``, ``""`` for its own fields); an
    added object has no ``before``, a removed one no ``after``. Changes made
    together (one save, one merge, one import batch) share an ``operation``,
    which is what undo reverts.
    """

    class Source(models.TextChoices):
        FORM = "form", "Form"
        ADMIN = "admin", "Admin"
        IMPORT = "import", "Import"
        MERGE = "merge", "Merge"
        BULK = "bulk", "Bulk action"
        COMMAND = "command", "Command"
        TRASH = "trash", "Trash"
        RESTORE = "restore", "Restore"
        UNDO = "undo", "Undo"
        TIMELINE = "timeline", "Timeline"

    class Action(models.TextChoices):
        ADD = "add", "Added"
        CHANGE = "change", "Changed"
        REMOVE = "remove", "Removed"

    # Deleted with the contact: a contact deleted for good leaves nothing behind.
    contact = models.ForeignKey("Contact", on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField()
    operation = models.UUIDField(default=uuid.uuid4)
    source = models.CharField(max_length=10, choices=Source)
    ref = models.CharField(
        max_length=100, blank=True, help_text="What the source was: an import's or job's id."
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_changes",
    )
    kind = models.CharField(max_length=20)
    key = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=10, choices=Action)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # A contact's history, newest first, a page at a time: one range of
            # this index, as short for the ten-thousandth change as for the first.
            models.Index(fields=["contact", "-id"], name="crm_change_contact"),
            # Undo finds an operation's changes.
            models.Index(fields=["operation"], name="crm_change_operation"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.kind} {self.key}".strip()
