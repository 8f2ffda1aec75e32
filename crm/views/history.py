"""A contact's history: every change, newest first; restoring a moment, undoing a change."""

import datetime
import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from ..exceptions import ContactBookError
from ..models import Change, Contact
from ..queries.history import history_page, latest_change, unseen_unnamed
from ..services.restore import contact_restore_to, operation_undo
from ..visibility import visible_contact_or_404

PER_PAGE = 50


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def contact_history(request, pk):
    """List a contact's changes, newest first, a page at a time (``?before=`` a change id)."""
    contact = visible_contact_or_404(request.user, pk)
    before = _int(request.GET.get("before"))
    changes, more = history_page(contact.pk, before=before, size=PER_PAGE)
    changes = unseen_unnamed(changes, request.user)
    latest = changes[0].pk if changes and before is None else latest_change(contact.pk)
    context = {
        "contact": contact,
        "operations": _operations(changes),
        "next_before": changes[-1].pk if more else None,
        "first_page": before is None,
        "seen": latest,
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        # Reversed once for the page's buttons, not once a row.
        "undo_url": reverse("crm:contact_history_undo", args=[contact.pk]),
        "restore_url": reverse("crm:contact_history_restore", args=[contact.pk]),
    }
    return render(request, "crm/contact_history.html", context)


# Operations undone elsewhere: an import on its page, a trashing by restoring
# from the trash; a timeline entry is edited or deleted itself.
UNDONE_ELSEWHERE = {Change.Source.IMPORT, Change.Source.TRASH, Change.Source.TIMELINE}


def _operations(changes):
    """
    Group consecutive ``changes`` of one operation: [(newest change,
    [changes], whether it can be undone here)].
    """
    groups = []
    for change in changes:
        if groups and groups[-1][0].operation == change.operation:
            groups[-1][1].append(change)
        else:
            groups.append((change, [change]))
    return [
        (head, rows, head.source not in UNDONE_ELSEWHERE and not _creation(rows))
        for head, rows in groups
    ]


def _creation(changes):
    return any(c.kind == "contact" and c.action == Change.Action.ADD for c in changes)


def _back(contact):
    return redirect("crm:contact_history", pk=contact.pk)


@require_POST
def contact_history_restore(request, pk):
    """Restore a contact to how it was right after a change, or at a moment typed."""
    contact = visible_contact_or_404(request.user, pk)
    changes = Change.objects.filter(contact=contact)
    if (change_id := _int(request.POST.get("change"))) is not None:
        change = changes.filter(pk=change_id).first()
    else:
        moment = parse_datetime(request.POST.get("moment", "") or "")
        if moment is None:
            messages.error(request, "Give the date and time to restore the contact to.")
            return _back(contact)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        # The minute typed, whole: what was changed during it is kept.
        change = changes.filter(at__lt=moment + datetime.timedelta(minutes=1)).first()
    if change is None:
        messages.error(request, "There is no change to go back to at that moment.")
        return _back(contact)
    try:
        contact_restore_to(contact=contact, change=change, seen=_int(request.POST.get("seen")))
    except ContactBookError as exc:
        messages.error(request, str(exc))
        return _back(contact)
    when = timezone.localtime(change.at).strftime("%d %b %Y %H:%M:%S")
    messages.success(request, f"{contact.name} is restored to how it was on {when}.")
    return redirect(contact)


@require_POST
def contact_history_undo(request, pk):
    """Undo one operation shown in a contact's history: an edit, a merge, a restore."""
    contact = visible_contact_or_404(request.user, pk)
    try:
        operation = uuid.UUID(request.POST.get("operation", ""))
    except ValueError:
        messages.error(request, "Choose a change to undo.")
        return _back(contact)
    if not Change.objects.filter(contact=contact, operation=operation).exists():
        messages.error(request, "That change is not in this contact's history.")
        return _back(contact)
    try:
        seen = _int(request.POST.get("seen"))
        report = operation_undo(operation=operation, seen=seen, shown=contact)
    except ContactBookError as exc:
        messages.error(request, str(exc))
        return _back(contact)
    messages.success(request, "The change is undone.")
    for line in report:
        messages.warning(request, line)
    if Contact.objects.filter(pk=contact.pk).exists():
        return redirect(contact)
    return redirect("crm:contact_list")
