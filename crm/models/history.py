"""The history of every change to a contact and to what hangs on it."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format

from .shared import address_line


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
        API = "api", "API"

    class Action(models.TextChoices):
        ADD = "add", "Added"
        CHANGE = "change", "Changed"
        REMOVE = "remove", "Removed"

    # Deleted with the contact: a contact deleted for good leaves nothing behind.
    contact = models.ForeignKey(
        "Contact",
        on_delete=models.CASCADE,
        related_name="changes",
        db_index=False,  # crm_change_contact below starts with it
    )
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
            # this index, as short for the ten-thousandth change as for the first
            # (crm.queries.history.history_page).
            models.Index(fields=["contact", "-at", "-id"], name="crm_change_contact"),
            # Undo finds an operation's changes.
            models.Index(fields=["operation"], name="crm_change_operation"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.subject()}"

    # What each kind of object is called, and the value that names one.
    KINDS = {
        "contact": ("", None),
        "email": ("email", "address"),
        "url": ("web address", "url"),
        "date": ("date", "title"),
        "phone": ("phone", "number"),
        "address": ("address", "line"),
        "tag": ("tag", "name"),
        "relationship": ("relationship with", "name"),
        "owner": ("owner", "name"),
        "team": ("team", "name"),
        "sharing": ("sharing with the team", "name"),
        "entry": ("timeline entry", "title"),
    }

    @property
    def values(self) -> dict:
        """Return what the object was made, or what it was before it was removed."""
        return self.after if self.after is not None else self.before

    def subject(self, fields=()) -> str:
        """
        Return what changed, as a user reads it: "the email ada@example.com",
        "the name, job title"; ``fields`` limits a contact's fields named
        (["*"]: the object as a whole).
        """
        noun, naming = self.KINDS.get(self.kind, (self.kind, None))
        if self.kind == "contact":
            names = [f for f in fields if f != "*"] or list(self.values or {})
            return "the " + ", ".join(n.replace("_", " ") for n in names)
        if self.kind in ("owner", "team") and self.action == self.Action.CHANGE:
            return f"the {noun}"  # from whom to whom: its details
        return f"the {noun} {self.name_of(naming)}".rstrip()

    # The parts of a date its ISO form shows.
    DATE_PARTS = {"year", "month", "day", "kind"}

    def details(self) -> list[tuple[str, str, str]]:
        """
        Return (what, before, after) for each value that changed, or that the
        object added or removed has, as a user reads them.
        """
        before, after = self.before or {}, self.after or {}
        naming = self.KINDS.get(self.kind, ("", None))[1]
        rows = []
        for name in {**before, **after}:
            old, new = _shown(before.get(name)), _shown(after.get(name))
            if self.kind == "date" and name in self.DATE_PARTS:
                continue
            if name == "id":  # an owner's or team's: its name says who
                continue
            if self.action != self.Action.CHANGE and (name == naming or not (old or new)):
                continue
            rows.append((name.removesuffix("_id").replace("_", " "), old, new))
        return rows

    def name_of(self, naming) -> str:
        """Return the value that names the object, falling back to its key."""
        values = {**(self.before or {}), **(self.after or {})}
        if naming == "line":
            return address_line(values) or self.key
        if naming == "title":
            return values.get("label") or values.get("kind", "").capitalize() or self.key
        return str(values.get(naming) or self.key)


def _shown(value) -> str:
    """Return a stored value as the history shows it: a time in the site's zone."""
    if value is None:
        return ""
    if isinstance(value, str) and len(value) > 18 and value[10:11] in ("T", " "):
        moment = parse_datetime(value)
        if moment is not None:
            return date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)
