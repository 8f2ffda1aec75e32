"""The timeline: notes and interactions (calls, meetings...) with contacts."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..queries.timeline import EntryQuerySet


class Entry(models.Model):
    """
    A note on contacts, or an interaction with them (a call, a meeting, an
    email...), at a date and time, written by a user; a meeting with three
    contacts is one entry on all three. It may ask its author to follow up
    on a day.
    """

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        CALL = "call", "Call"
        MEETING = "meeting", "Meeting"
        EMAIL = "email", "Email"
        MESSAGE = "message", "Message"
        OTHER = "other", "Other"

    kind = models.CharField(max_length=10, choices=Kind, default=Kind.NOTE)
    at = models.DateTimeField("date and time", default=timezone.now)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_entries",
    )
    text = models.TextField(blank=True)
    follow_up = models.DateField("follow up on", null=True, blank=True)
    follow_up_done = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    contacts = models.ManyToManyField(
        "Contact", through="Participation", related_name="entries", verbose_name="participants"
    )

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "entries"
        ordering = ["-at", "-pk"]
        indexes = [
            # The home page's follow-ups: its author's open ones, by date.
            models.Index(
                fields=["author", "follow_up"],
                condition=Q(follow_up__isnull=False, follow_up_done=False),
                name="crm_entry_open_follow_ups",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"

    @property
    def is_interaction(self):
        """Whether the entry counts as an interaction (anything but a note)."""
        return self.kind != self.Kind.NOTE

    def history_values(self):
        """Return what the history records of the entry, JSON-able."""
        return {
            "kind": self.kind,
            # In UTC: the same moment is the same text, whatever time zone it came in.
            "at": self.at.astimezone(datetime.UTC).isoformat(),
            "text": self.text,
            "follow_up": self.follow_up.isoformat() if self.follow_up else None,
        }


class Participation(models.Model):
    """
    A contact taking part in an entry. ``at`` is the entry's, copied, so that
    a contact's timeline is one range of one index, newest first.
    """

    # Both served by the indexes below: (entry, contact) and (contact, at, entry).
    entry = models.ForeignKey(
        Entry, on_delete=models.CASCADE, related_name="contact_links", db_index=False
    )
    contact = models.ForeignKey(
        "Contact", on_delete=models.CASCADE, related_name="entry_links", db_index=False
    )
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["entry", "contact"], name="crm_participation_unique"),
        ]
        indexes = [
            # A contact's timeline, newest first, a page at a time.
            models.Index(
                "contact",
                models.F("at").desc(),
                models.F("entry").desc(),
                name="crm_participation_newest",
            ),
        ]

    def __str__(self):
        return f"{self.contact_id} in {self.entry_id}"
