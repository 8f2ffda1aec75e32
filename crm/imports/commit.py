"""
Committing an import, all or nothing, and undoing it.

``import_commit()`` is one transaction. It locks, in the order the contact
form's save takes them (a contact's row, then the phone table), the
contacts the preview matched (in id order, as bulk actions do), then the
phone table (``phones_locked``, the lock of every write that links a
number): two imports, or an import and a save, run one after the other.
Under the locks it plans every row again (``crm.imports.plan``): a contact
created or changed since the preview is matched and diffed as it is now,
so the commit does what the preview would show at that moment. Then it
writes a batch at a time (``crm.imports.write``), and records on each
``ImportRow`` the contact it created or updated and, for an update, the
values before (``ImportRow.before``).

``import_undo()`` is one transaction too: it deletes the contacts the
import created and restores the fields it changed, those in the trash
since included, except on a contact changed since the commit
(``Contact.updated`` after ``Import.committed_at``) or merged into another
since, which it leaves as it is and reports.
"""

import functools
import json
from collections.abc import Callable

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from locking import LockNotAvailable

from ..exceptions import ContactBookError, NoTeam
from ..models import Change, Contact
from ..models.imports import Import, ImportRow
from ..services.bulk import contacts_delete
from ..services.history import source, watching
from ..services.locks import phones_locked
from ..services.teams import contact_defaults
from ..services.webhooks import CREATED, UPDATED, contacts_changed
from .plan import BATCH, contact_values, decide, first_match, match_contacts, row_keys
from .write import create_contacts, restore_contacts, update_contacts

Outcome = ImportRow.Outcome


class ImportConflict(ValueError):
    """The import cannot be committed or undone as asked; nothing was written."""


def _guarded(action: str):
    """
    Run the decorated step in a transaction, its changes recorded as the
    import's; turn what a race raises into ImportConflict.
    """

    def decorator(func):
        @functools.wraps(func)
        def guarded(*, import_run: Import, **kwargs):
            try:
                with (
                    transaction.atomic(),
                    source("import", ref=import_run.pk, author=import_run.author),
                ):
                    return func(import_run=import_run, **kwargs)
            except (IntegrityError, LockNotAvailable, ContactBookError) as exc:
                raise ImportConflict(
                    f"The contact book was busy or changed at the same moment; nothing was "
                    f"{action}. Please try again."
                ) from exc
            except OperationalError as exc:
                if "deadlock" not in str(exc):
                    raise
                raise ImportConflict(
                    f"Someone edited these contacts at the same moment; nothing was {action}. "
                    "Please try again."
                ) from exc

        return guarded

    return decorator


def _pages(rows, *, backwards=False):
    """Yield ``rows`` (ImportRows) a batch at a time, by line, without what is only shown."""
    rows = rows.defer("cells", "warnings", "errors", "diff")
    if backwards:
        # Undo the last update of a contact first, so that its first "before" is what stays.
        batch = list(rows.order_by("-line")[:BATCH])
        while batch:
            yield batch
            batch = list(rows.filter(line__lt=batch[-1].line).order_by("-line")[:BATCH])
        return
    last = -1
    while batch := list(rows.filter(line__gt=last).order_by("line")[:BATCH]):
        yield batch
        last = batch[-1].line


def analyze_contact_book(*, history: bool = True) -> None:
    """
    Refresh PostgreSQL's statistics of the contact book's tables (ANALYZE),
    its history's too unless ``history`` is false.

    Autovacuum would, up to a minute later and only past 10% of a table
    changed; meanwhile the planner takes a book that an import just filled
    for the empty one it last sampled, and picks plans made for a few rows:
    exporting 100,000 contacts just imported did not end in 14 minutes (a
    scan of every phone for each contact), and took seconds after ANALYZE,
    which samples a few hundred pages a table.
    """
    if connection.vendor != "postgresql":
        return
    from django.apps import apps

    tables = [
        connection.ops.quote_name(model._meta.db_table)
        for model in apps.get_app_config("crm").get_models(include_auto_created=True)
        if not model._meta.db_table.startswith("crm_import") and (history or model is not Change)
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(tables)}")


def _lock(contacts) -> list[tuple]:
    """
    Lock ``contacts`` in id order; return (id, name, updated, merged into)
    of each, read a batch at a time.
    """
    locked = contacts.select_for_update().order_by("pk")
    return locked.values_list("pk", "name", "updated", "merged_into").iterator(chunk_size=2000)


@_guarded("imported")
def import_commit(
    *, import_run: Import, progress: Callable[[int], None] = lambda done: None
) -> dict[str, int]:
    """
    Create and update the contacts of ``import_run``'s rows, in one
    transaction; return the counts done ("create", "update", "skip",
    "error", "duplicate"). Set ``import_run.committed_at``. Raise
    ImportConflict when it cannot be done; then nothing is written.
    """
    if import_run.committed_at is not None:
        raise ImportConflict("This import was committed already.")
    try:  # the contacts it creates are its author's, in their first team
        defaults = contact_defaults(user=import_run.author)
    except NoTeam as exc:
        raise ImportConflict(str(exc)) from None
    rows = ImportRow.objects.filter(import_run=import_run)
    # Row locks first, then the phone table, as a contact's save takes them.
    matched = rows.filter(contact__isnull=False).values("contact_id")
    for _ in _lock(Contact.objects.filter(pk__in=matched)):
        pass
    counts = dict.fromkeys(("create", "update", "skip", "duplicate"), 0)
    counts["error"] = rows.filter(outcome=Outcome.ERROR).count()
    with phones_locked:
        tags, done, sampled = {}, 0, ANALYZE_FROM
        for batch in _pages(rows.exclude(outcome=Outcome.ERROR)):
            _commit_batch(import_run, batch, counts, tags, defaults)
            done += len(batch)
            progress(done)
            if counts["create"] >= sampled:
                # The planner's statistics, inside the transaction (ANALYZE
                # samples the rows it wrote): with the tables read as empty,
                # the history's snapshot of each batch scanned every row the
                # import had written before it; 20,000 new contacts took twice
                # as long to commit. Not the history's table, which the commit
                # only writes: sampling 700,000 changes took 0.6 s.
                analyze_contact_book(history=False)
                sampled *= 2
    import_run.committed_at = timezone.now()  # after every write: see import_undo()
    import_run.save(update_fields=["committed_at"])
    return counts


class _Group:
    """Rows written together: none of them needs what another one of them writes."""

    def __init__(self, import_run, counts, tags, defaults):
        self.import_run, self.counts, self.tags = import_run, counts, tags
        self.owner, self.team = defaults
        self.rows, self.lines, self.updated = [], set(), set()

    def add(self, row, target):
        self.rows.append((row, target))
        self.lines.add(row.line)
        if target is not None:
            self.updated.add(target)

    def write(self):
        on_match = self.import_run.on_match
        wanted = {target for _, target in self.rows if target is not None}
        current = contact_values(wanted) if on_match == Import.OnMatch.UPDATE and wanted else {}
        creates, updates = [], []
        for row, target in self.rows:
            if on_match == Import.OnMatch.UPDATE and target not in current:
                target = None  # deleted before it could be locked: nothing to update
            outcome, row.diff, change = decide(
                on_match=on_match, target=target, current=current.get(target), values=row.values
            )
            row.outcome, row.before = outcome, None
            row.contact_id = None if outcome == Outcome.CREATE else target
            if outcome == Outcome.CREATE:
                creates.append(row)
            elif outcome == Outcome.UPDATE:
                updates.append((row, (target, change, current[target])))
            self.counts[outcome] += 1
            self.counts["duplicate"] += row.duplicate_of is not None
        # Only the contacts it updates: a matched row skipped changes nothing,
        # and watching it cost two snapshot queries (a duplicate inside the
        # file splits the group: 3,330 of 100,000 rows of the benchmark's).
        with watching(target for _, (target, _, _) in updates) as watch:
            self._write(creates, updates, watch)
        _record([row for row, _ in self.rows])
        self.rows, self.lines, self.updated = [], set(), set()

    def _write(self, creates, updates, watch):
        if creates:
            written = create_contacts(
                [row.values for row in creates], self.tags, owner=self.owner, team=self.team
            )
            watch.written(written)
            for row, (contact, _) in zip(creates, written, strict=True):
                row.contact_id = contact.pk
            contacts_changed(CREATED, [row.contact_id for row in creates])
        if updates:
            befores = update_contacts([update for _, update in updates], self.tags)
            for (row, _), before in zip(updates, befores, strict=True):
                row.before = before
            contacts_changed(UPDATED, [row.contact_id for row, _ in updates])


def _record(rows: list[ImportRow]) -> None:
    """
    Write what each of ``rows`` did (outcome, contact, diff, before) in one
    ``UPDATE ... FROM`` a JSON list of them, which the ORM cannot write:
    ``bulk_update()`` builds a ``CASE`` a row and field, and that was two
    thirds of a commit's time.
    """
    if not rows:
        return
    data = json.dumps(
        [
            {"id": r.pk, "outcome": r.outcome, "contact": r.contact_id, "diff": r.diff}
            | {"before": r.before}
            for r in rows
        ]
    )
    meta, quote = ImportRow._meta, connection.ops.quote_name
    table = quote(meta.db_table)
    columns = {name: quote(meta.get_field(name).column) for name in FIELDS}
    if connection.vendor == "postgresql":
        types = {"id": "bigint", "outcome": "text", "contact": "bigint"}
        fields = ", ".join(f"{quote(name)} {types.get(name, 'jsonb')}" for name in FIELDS)
        source = f"SELECT * FROM jsonb_to_recordset(%s::jsonb) AS v({fields})"  # noqa: S608
    else:
        fields = ", ".join(f"json_extract(value, '$.{name}') AS {quote(name)}" for name in FIELDS)
        source = f"SELECT {fields} FROM json_each(%s)"  # noqa: S608 - our own names
    assignments = ", ".join(f"{columns[n]} = v.{quote(n)}" for n in FIELDS if n != "id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM ({source}) AS v"  # noqa: S608 - names from _meta
            f" WHERE {table}.{columns['id']} = v.{quote('id')}",
            [data],
        )


FIELDS = ("id", "outcome", "contact", "diff", "before")

# Contacts created before the tables' statistics are taken again within the
# commit, then each time the contacts created double.
ANALYZE_FROM = 5000


def _commit_batch(import_run: Import, batch: list[ImportRow], counts, tags, defaults) -> None:
    """Plan ``batch`` again under the locks and write it: a few queries per group of rows."""
    match = import_run.match
    keys = {row.line: row_keys(row.values, match) for row in batch}
    found = match_contacts(
        match, (key for row_keys_ in keys.values() for key in row_keys_), user=import_run.author
    )
    targets = {line: first_match(found, row_keys_) for line, row_keys_ in keys.items()}
    # A contact created since the preview (another import's) matches now: lock it too.
    if new := {pk for pk in targets.values() if pk} - {row.contact_id for row in batch}:
        for _ in _lock(Contact.objects.filter(pk__in=new)):
            pass
    here = {row.line: row for row in batch}
    wanted = {row.duplicate_of for row in batch if row.duplicate_of} - set(here)
    earlier = ImportRow.objects.filter(import_run=import_run, line__in=wanted)
    roots = dict(earlier.values_list("line", "contact_id")) if wanted else {}
    group = _Group(import_run, counts, tags, defaults)
    for row in batch:
        target = targets[row.line]
        if target is None and row.duplicate_of is not None:
            # The contact the earlier row created or matched.
            if row.duplicate_of in group.lines:
                group.write()
            root = here.get(row.duplicate_of)
            target = root.contact_id if root is not None else roots.get(row.duplicate_of)
        if target is not None and target in group.updated:
            group.write()  # diff against what the earlier row of the group made of it
        group.add(row, target)
    group.write()


@_guarded("undone")
def import_undo(*, import_run: Import, progress: Callable[[int], None] = lambda done: None):
    """
    Delete the contacts ``import_run`` created and restore the fields it
    changed, in one transaction, in the trash or not; leave any contact
    changed or merged away since the commit as it is. Return the report of
    those: [{"contact", "name", "reason"}].
    """
    if import_run.committed_at is None:
        raise ImportConflict("This import was not committed: there is nothing to undo.")
    rows = ImportRow.objects.filter(import_run=import_run, contact__isnull=False)
    created = rows.filter(outcome=Outcome.CREATE)
    updated = rows.filter(outcome=Outcome.UPDATE, before__isnull=False).exclude(
        contact_id__in=created.values("contact_id")
    )
    # Those in the trash too: the import's all the same. One merged away
    # since holds nothing of its own any more, and its merge can be undone.
    touched = Contact.all_objects.filter(
        Q(pk__in=created.values("contact_id")) | Q(pk__in=updated.values("contact_id"))
    )
    report, changed = [], set()
    for pk, name, when, merged_into in _lock(touched):  # row locks first, in id order
        if when > import_run.committed_at or merged_into is not None:
            changed.add(pk)
            why = "Merged into another contact" if merged_into else "Changed"
            report.append({"contact": pk, "name": name, "reason": f"{why} since the import"})
    created_ids = set(created.values_list("contact_id", flat=True)) if report else set()
    for entry in report:
        entry["reason"] += (
            ", so not deleted."
            if entry["contact"] in created_ids
            else ", so its fields were not restored."
        )
    done = 0
    with phones_locked:
        for batch in _pages(created):
            keep = [row.contact_id for row in batch if row.contact_id not in changed]
            contacts_delete(contacts=Contact.all_objects.filter(pk__in=keep))
            done += len(batch)
            progress(done)
        for batch in _pages(updated, backwards=True):
            restores = [(row.contact_id, row.before) for row in batch]
            restores = [(pk, before) for pk, before in restores if pk not in changed]
            with watching(pk for pk, _ in restores):
                restore_contacts(restores)
            contacts_changed(UPDATED, [pk for pk, _ in restores])
            done += len(batch)
            progress(done)
    return report
