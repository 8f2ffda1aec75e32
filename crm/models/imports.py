"""
Contact imports: the uploaded file, what each of its rows will do (the
preview) and, once committed, what each did (so that it can be undone).

The file is kept in the database in chunks, not on a disk: whichever app
server received the upload, any server's worker can read it.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from ..queries.imports import ImportQuerySet


class Import(models.Model):
    """One file brought into the contact book, from upload to commit or undo."""

    class Status(models.TextChoices):
        UPLOADING = "uploading", "Uploading"  # chunks arriving; not yet inspected
        UPLOADED = "uploaded", "Uploaded"  # inspected; waiting for options and a preview
        PREVIEW_QUEUED = "preview_queued", "Waiting to preview"
        PREVIEWING = "previewing", "Previewing"
        PREVIEWED = "previewed", "Previewed"
        COMMIT_QUEUED = "commit_queued", "Waiting to import"
        COMMITTING = "committing", "Importing"
        COMMITTED = "committed", "Imported"
        UNDO_QUEUED = "undo_queued", "Waiting to undo"
        UNDOING = "undoing", "Undoing"
        UNDONE = "undone", "Undone"
        FAILED = "failed", "Failed"  # `error` says why; nothing written to the contact book

    class Match(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone number"
        NAME = "name", "Name"
        NONE = "none", "Never"

    class OnMatch(models.TextChoices):
        UPDATE = "update", "Update it"
        SKIP = "skip", "Skip the row"
        CREATE = "create", "Create a new contact anyway"

    # Statuses a worker has yet to take, and those it is working on.
    QUEUED = (Status.PREVIEW_QUEUED, Status.COMMIT_QUEUED, Status.UNDO_QUEUED)
    RUNNING = (Status.PREVIEWING, Status.COMMITTING, Status.UNDOING)

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contact_imports"
    )
    created = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0, help_text="Bytes, as the upload announced.")
    format = models.CharField(max_length=10, blank=True)
    encoding = models.CharField(max_length=40, blank=True)
    delimiter = models.CharField(max_length=5, blank=True)
    layout = models.CharField(max_length=20, blank=True)
    header = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=list, blank=True)
    samples = models.JSONField(default=list, blank=True)
    match = models.CharField(max_length=10, choices=Match, default=Match.EMAIL)
    on_match = models.CharField(max_length=10, choices=OnMatch, default=OnMatch.SKIP)
    status = models.CharField(
        max_length=20, choices=Status, default=Status.UPLOADING, db_index=True
    )
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    worked_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When a worker last saved the running step's progress: a step silent "
        "for long lost its worker, and another takes it again.",
    )
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    previewed_at = models.DateTimeField(null=True, blank=True)
    committed_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undo_report = models.JSONField(
        default=list,
        blank=True,
        help_text="Contacts changed since the import, left as they are by its undo.",
    )

    objects = ImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"Import #{self.pk} of {self.file_name}"

    def get_absolute_url(self):
        return reverse("crm:import_detail", args=[self.pk])

    @property
    def percent(self):
        """How far the running step is, 0 to 100 (the total is an estimate)."""
        if self.progress_total <= 0:
            return 0
        return max(0, min(100, self.progress_done * 100 // self.progress_total))


class ImportChunk(models.Model):
    """A piece of the uploaded file (at most 1 MiB), in order, in the database."""

    import_run = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        ordering = ["import_run", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["import_run", "number"], name="crm_importchunk_unique_number"
            ),
        ]

    def __str__(self):
        return f"Chunk {self.number} of import #{self.import_run_id}"


class ImportRow(models.Model):
    """One row's planned outcome; after the commit, what it did (for the undo)."""

    class Outcome(models.TextChoices):
        CREATE = "create", "Create"
        UPDATE = "update", "Update"
        SKIP = "skip", "Skip"
        ERROR = "error", "Error"

    import_run = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()
    outcome = models.CharField(max_length=10, choices=Outcome)
    contact = models.ForeignKey(
        "crm.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="import_rows",
        help_text="The matched contact, or the one the commit created.",
    )
    values = models.JSONField(default=dict, blank=True)
    diff = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    cells = models.JSONField(default=list, blank=True)
    duplicate_of = models.PositiveIntegerField(
        null=True, blank=True, help_text="The line of an earlier row of the file it matches."
    )
    before = models.JSONField(
        null=True, blank=True, help_text="The contact's values before the update (for undo)."
    )

    class Meta:
        ordering = ["import_run", "line"]
        constraints = [
            models.UniqueConstraint(
                fields=["import_run", "line"], name="crm_importrow_unique_line"
            ),
        ]
        indexes = [
            models.Index(fields=["import_run", "outcome", "line"], name="crm_importrow_outcome"),
        ]

    def __str__(self):
        return f"Line {self.line} of import #{self.import_run_id}: {self.outcome}"


class ImportKey(models.Model):
    """
    A match key (an email, a phone key, a name key) of a file's row, and the
    first line that had it, while the preview reads the file: a file's
    duplicates are found through this index rather than in memory, which
    stays bounded however long the file. The preview deletes them at its end.
    """

    import_run = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=300)
    line = models.PositiveIntegerField()

    class Meta:
        constraints = [
            # Also the index each batch's lookup of its keys reads.
            models.UniqueConstraint(fields=["import_run", "key"], name="crm_importkey_unique"),
        ]

    def __str__(self):
        return f"{self.key} (line {self.line} of import #{self.import_run_id})"
