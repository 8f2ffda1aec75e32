"""
What an import will do, row by row: the preview.

Each record is checked and normalised by the contact form's rules
(``crm.imports.normalise``), matched against the contact book by the
import's ``match`` (any of its emails against any email, ignoring case; any
of its phone numbers by key, except those either side calls an office or
fax line, which colleagues share, as the duplicates finder does; its display
name by ``name_key``), and against the file's earlier rows by the same keys
(``ImportRow.duplicate_of``: the first line that had one of them). Then
``on_match`` decides: a match is updated, skipped, or a new contact is
created anyway; a row matching an earlier row of the file updates (or
skips) the contact that row creates.

**What an update changes** (the rule, also ``import_commit()``'s): a field
of the file that is filled and differs from the contact's replaces it; an
empty cell never erases anything (a file with fewer columns is not a
request to clear them). A display name that follows the name parts keeps
following them. Emails, phones, addresses, URLs, other dates and tags the
contact lacks are added next to its own, which it keeps, with their labels
(an email or number it has keeps its label); a contact has one birthday
and one anniversary, so the file's replaces a different one (a date without
the year on the same day is the same date). The diff lists exactly that,
field by field; a match with nothing to change is skipped.

Rows are read, planned and written a ``BATCH`` at a time: the file is never
in memory, and each batch costs the same few queries whatever its rows
hold (one for the matches, one for the keys of the earlier rows, the
matched contacts' values in seven, the inserts).
"""

from collections.abc import Callable, Iterable
from itertools import islice

from django.db.models import Q
from django.db.models.functions import Lower

from ..models import ADDRESS_FIELDS, Contact, ContactAddress, ContactDate, ContactPhone, Email, Url
from ..models import display_name as make_display_name
from ..models.imports import Import, ImportKey, ImportRow
from ..models.names import sort_key
from ..queries.duplicates import SHARED_LINES
from ..visibility import visible
from .normalise import OWN_FIELDS, Normalised, display_name, field_label, normalise

BATCH = 1000
COUNTS = ("create", "update", "skip", "error", "duplicate")
Outcome = ImportRow.Outcome


def row_keys(values: dict, match: str) -> list[str]:
    """Return the keys a row with ``values`` matches contacts by, under ``match``."""
    if match == Import.Match.EMAIL:
        return [address.lower() for address, _ in values.get("emails", ())]
    if match == Import.Match.PHONE:
        return [p[2] for p in values.get("phones", ()) if p[1] not in SHARED_LINES]
    if match == Import.Match.NAME:
        key = sort_key(display_name(values.get("contact", {})))
        return [key] if key else []
    return []


def match_contacts(match: str, keys: Iterable[str], *, user) -> dict[str, int]:
    """
    Return the contact each of ``keys`` matches among those ``user`` sees
    (crm.visibility: an import never matches, so never updates, a contact
    its author cannot see), the oldest (lowest id) when several do:
    {key: contact id}. One query on the index of the key.
    """
    keys = list(set(keys))
    if not keys:
        return {}
    seen = visible(user, "contact") or Q()
    if match == Import.Match.EMAIL:
        # Contacts in the trash match nothing: they are deleted, as far as users know.
        emails = Email.objects.filter(seen, contact__trashed=None)
        pairs = emails.annotate(key=Lower("address")).filter(key__in=keys)
        pairs = pairs.values_list("key", "contact_id")
    elif match == Import.Match.PHONE:
        links = ContactPhone.objects.filter(seen, contact__trashed=None)
        links = links.exclude(label__in=SHARED_LINES)
        pairs = links.filter(phone__digits__in=keys).values_list("phone__digits", "contact_id")
    else:
        contacts = Contact.objects.visible_to(user).filter(name_key__in=keys)
        pairs = contacts.values_list("name_key", "pk")
    found = {}
    for key, pk in pairs.order_by():
        if key not in found or pk < found[key]:
            found[key] = pk
    return found


def first_match(found: dict[str, int], keys: list[str]) -> int | None:
    return next((found[key] for key in keys if key in found), None)


def contact_values(ids: Iterable[int]) -> dict[int, dict]:
    """
    Return the contacts ``ids`` in the shape of an import's values (see
    ``crm.imports.normalise``), by id; addresses and dates carry their ids.
    Seven queries whatever their number.
    """
    ids = list(ids)
    found = {}
    for row in Contact.objects.filter(pk__in=ids).values("pk", *OWN_FIELDS):
        own = {name: row[name] for name in OWN_FIELDS if row[name]}
        found[row["pk"]] = {"contact": own, **{kind: [] for kind in ROWS}}
    emails = Email.objects.filter(contact_id__in=ids).order_by("-primary", "pk")
    for pk, *row in emails.values_list("contact_id", "address", "label"):
        found[pk]["emails"].append(row)
    phones = ContactPhone.objects.filter(contact_id__in=ids).order_by("pk")
    fields = ("phone__number", "label", "phone__digits", "phone__e164")
    for pk, *row in phones.values_list("contact_id", *fields):
        found[pk]["phones"].append(row)
    addresses = ContactAddress.objects.filter(contact_id__in=ids).order_by("pk")
    parts = [f"address__{name}" for name in ADDRESS_FIELDS]
    for pk, address, label, *values in addresses.values_list(
        "contact_id", "address_id", "label", *parts
    ):
        row = {"id": address, "label": label, **dict(zip(ADDRESS_FIELDS, values, strict=True))}
        found[pk]["addresses"].append(row)
    for pk, *row in Url.objects.filter(contact_id__in=ids).values_list(
        "contact_id", "url", "label"
    ):
        found[pk]["urls"].append(row)
    dates = ContactDate.objects.filter(contact_id__in=ids).order_by("pk")
    for pk, *row in dates.values_list("contact_id", "kind", "label", "year", "month", "day", "pk"):
        found[pk]["dates"].append(row)
    tags = Contact.tags.through.objects.filter(contact_id__in=ids).order_by("tag__name")
    for pk, name in tags.values_list("contact_id", "tag__name"):
        found[pk]["tags"].append(name)
    return found


ROWS = ("emails", "phones", "addresses", "urls", "dates", "tags")


def _address_key(row: dict) -> tuple:
    return tuple(" ".join(row.get(name, "").split()).casefold() for name in ADDRESS_FIELDS)


def _shown(kind: str, row) -> str:
    """Return a row as the preview shows it: "ada@example.org (Work)"."""
    if kind == "addresses":
        text = ", ".join(row[name] for name in ADDRESS_FIELDS if row.get(name))
        return f"{text} ({row['label']})"
    if kind == "dates":
        kind_, label, year, month, day = row[:5]
        return f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"
    if kind == "tags":
        return row
    return f"{row[0]} ({row[1]})"


TITLES = {"emails": "Email", "phones": "Phone", "addresses": "Address", "urls": "URL"}


def changes(current: dict, values: dict) -> tuple[list[dict], dict]:
    """
    Return what updating the contact ``current`` (``contact_values()``'
    shape) with ``values`` changes, by the rule of the module's docstring:
    the diff the preview shows, and the change ``import_commit()`` writes
    (``{"contact": {field: new}, kind: [rows to add], "replace_dates": [ids]}``).
    """
    diff, change = [], {}
    now, new = current["contact"], values.get("contact", {})
    fields = {
        name: new[name]
        for name in OWN_FIELDS[1:]
        if new.get(name) and new[name] != now.get(name, "")
    }
    name_now = now.get("name", "")
    if new.get("name"):
        name = " ".join(new["name"].split())
    elif name_now == make_display_name(now):  # it follows the parts: it keeps following them
        name = make_display_name({**now, **fields})
    else:
        name = name_now
    if name != name_now:
        fields = {"name": name, **fields}
    for name, value in fields.items():
        diff.append({"field": field_label(name), "before": now.get(name, ""), "after": value})
    if fields:
        change["contact"] = fields
    keys = {
        "emails": lambda row: row[0].lower(),
        "phones": lambda row: row[2],
        "addresses": _address_key,
        "urls": lambda row: row[0],
        "tags": str.casefold,
    }
    for kind, key in keys.items():
        have = {key(row) for row in current[kind]}
        added = [row for row in values.get(kind, ()) if key(row) not in have]
        if added:
            change[kind] = added
            title = TITLES.get(kind, "Tag")
            diff.extend({"field": title, "before": "", "after": _shown(kind, r)} for r in added)
    _date_changes(current["dates"], values.get("dates", ()), diff, change)
    return diff, change


def _date_changes(dates, new_dates, diff, change) -> None:
    """Add to ``diff`` and ``change`` the dates of ``new_dates`` that ``dates`` lack."""
    once = {row[0]: row for row in dates if row[0] != ContactDate.Kind.OTHER}
    others = {(row[1].casefold(), *row[2:5]) for row in dates if row[0] == ContactDate.Kind.OTHER}
    added, replaced = [], []
    for row in new_dates:
        kind, label, year, month, day = row
        if kind == ContactDate.Kind.OTHER:
            if (label.casefold(), year, month, day) in others:
                continue
            title, before = label or "Date", ""
        else:
            old = once.get(kind)
            if old and (old[3], old[4]) == (month, day) and year in (None, old[2]):
                continue  # the same day; a year the file leaves out is not taken away
            title, before = ContactDate.Kind(kind).label, old and _shown("dates", old) or ""
            if old:
                replaced.append(old[5])
        added.append(row)
        diff.append({"field": title, "before": before, "after": _shown("dates", row)})
    if added:
        change["dates"] = added
    if replaced:
        change["replace_dates"] = replaced


def as_current(values: dict) -> dict:
    """Return a row's ``values`` as the contact it creates, in ``contact_values()``' shape."""
    own = {**values.get("contact", {})}
    own["name"] = display_name(own)
    dates = [[*row, None] for row in values.get("dates", ())]
    return {"contact": own, **{kind: values.get(kind, []) for kind in ROWS}, "dates": dates}


def decide(*, on_match: str, target, current: dict | None, values: dict):
    """
    Return (outcome, diff, change) for a row matching ``target`` (None: no
    match) whose values are ``current`` (``contact_values()``' shape).
    """
    if target is None or on_match == Import.OnMatch.CREATE:
        return Outcome.CREATE, [], None
    if on_match == Import.OnMatch.SKIP:
        return Outcome.SKIP, [], None
    diff, change = changes(current, values)
    return (Outcome.UPDATE if diff else Outcome.SKIP), diff, change


def earlier_rows(import_run: Import, batch: list[Normalised], keys: dict) -> dict[int, int]:
    """
    Return, for the rows of ``batch`` that match an earlier row of the file,
    that row's line: {line: first line}. Remember the batch's keys (one
    query to read, one to write): a file's keys are in the database, not in
    memory.
    """
    wanted = {key for row_keys in keys.values() for key in row_keys}
    known = dict(
        ImportKey.objects.filter(import_run=import_run, key__in=wanted).values_list("key", "line")
    )
    roots, new = {}, []
    for row in batch:
        row_keys = keys.get(row.line) or []
        earlier = [known[key] for key in row_keys if key in known]
        root = min(earlier) if earlier else None
        if root is not None:
            roots[row.line] = root
        for key in row_keys:
            if key not in known:
                known[key] = row.line if root is None else root
                new.append(ImportKey(import_run=import_run, key=key, line=known[key]))
    ImportKey.objects.bulk_create(new, batch_size=BATCH)
    return roots


def _preview_batch(import_run: Import, batch: list[Normalised]) -> list[ImportRow]:
    match, on_match = import_run.match, import_run.on_match
    keys = {row.line: row_keys(row.values, match) for row in batch if not row.errors}
    found = match_contacts(
        match, (key for row_keys in keys.values() for key in row_keys), user=import_run.author
    )
    roots = earlier_rows(import_run, batch, keys)
    targets = {line: first_match(found, row_keys) for line, row_keys in keys.items()}
    current, root_values = {}, {}
    if on_match == Import.OnMatch.UPDATE:
        current = contact_values({pk for pk in targets.values() if pk})
        in_batch = {row.line: row.values for row in batch}
        wanted = {roots[line] for line, pk in targets.items() if pk is None and line in roots}
        earlier = ImportRow.objects.filter(import_run=import_run, line__in=wanted - set(in_batch))
        root_values = {**dict(earlier.values_list("line", "values")), **in_batch}
    rows = []
    for row in batch:
        outcome, diff, target = Outcome.ERROR, [], None
        if not row.errors:
            target = targets[row.line]
            root = roots.get(row.line)
            if target is not None:
                seen = current.get(target)
            else:  # the contact an earlier row creates, as that row has it
                seen = as_current(root_values[root]) if root in root_values else None
            outcome, diff, _ = decide(
                on_match=on_match,
                target=target if target is not None else root,
                current=seen,
                values=row.values,
            )
            if outcome == Outcome.CREATE:
                target = None
        rows.append(
            ImportRow(
                import_run=import_run,
                line=row.line,
                outcome=outcome,
                contact_id=target,
                values=row.values,
                diff=diff,
                errors=row.errors,
                warnings=row.warnings,
                cells=row.cells if row.errors else [],  # for the file of rows with errors
                duplicate_of=roots.get(row.line),
            )
        )
    return rows


def import_preview(
    *,
    import_run: Import,
    records: Iterable,
    progress: Callable[[int], None] = lambda done: None,
) -> dict[str, int]:
    """
    Replace the rows of ``import_run`` with one per record of ``records``
    (``ImportRecord``), saying what each will do; return the counts by
    outcome, and of rows matching an earlier row ("duplicate"). Call
    ``progress(rows done)`` after each batch.
    """
    ImportRow.objects.filter(import_run=import_run).delete()
    ImportKey.objects.filter(import_run=import_run).delete()
    counts = dict.fromkeys(COUNTS, 0)
    records, done = iter(records), 0
    while batch := [normalise(record) for record in islice(records, BATCH)]:
        rows = _preview_batch(import_run, batch)
        ImportRow.objects.bulk_create(rows, batch_size=BATCH)
        for row in rows:
            counts[row.outcome] += 1
            counts["duplicate"] += row.duplicate_of is not None
        done += len(batch)
        progress(done)
    # The keys only serve to find a file's duplicates while it is read.
    ImportKey.objects.filter(import_run=import_run).delete()
    return counts
