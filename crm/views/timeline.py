"""Pages of the timeline: add, edit and delete entries; follow-ups on the home page."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from ..exceptions import ContactBookError
from ..forms.timeline import EntryForm
from ..models import Entry
from ..queries.timeline import MAX_FOLLOW_UPS, contacts_of, timeline_page
from ..services import timeline as services
from ..visibility import visible_contact_or_404

TIMELINE_PER_PAGE = 20


def _number(value):
    return int(value) if value.isdigit() and len(value) < 10 else 1


def timeline_context(request, contact):
    """Return what the contact page's timeline shows: ``?timeline=`` its page, and a form."""
    number = _number(request.GET.get("timeline", ""))
    page = timeline_page(contact.pk, user=request.user, number=number, per_page=TIMELINE_PER_PAGE)
    return {"timeline": page, "entry_form": EntryForm(contact=contact, user=request.user)}


def follow_ups_context(request):
    """Return the signed-in user's open follow-ups due today or before, the oldest first."""
    today = timezone.localdate()
    due = list(Entry.objects.follow_ups_due(author=request.user, day=today)[: MAX_FOLLOW_UPS + 1])
    for entry in due:
        entry.others = contacts_of(entry)
    return {
        "follow_ups": due[:MAX_FOLLOW_UPS],
        "more_follow_ups": len(due) > MAX_FOLLOW_UPS,
        "today": today,
    }


def _timeline_url(contact):
    return f"{contact.get_absolute_url()}#timeline"


def _own_entry(request, pk, entry_id):
    """Return the entry ``entry_id`` on contact ``pk`` and the contact; 404 unless the
    user wrote it."""
    contact = visible_contact_or_404(request.user, pk)
    entry = get_object_or_404(Entry, pk=entry_id, author=request.user, contact_links__contact=pk)
    return entry, contact


def _saved(request, form, contact, save):
    """
    Save ``form`` with ``save``, or show it again: with the search's results
    when "Find" was pressed, with its errors when it is not valid.
    """
    template = "crm/timeline/form.html"
    context = {"form": form, "contact": contact, "entry": form.instance}
    if "find" in request.POST:
        return render(request, template, context)
    if not form.is_valid():
        messages.error(request, "The entry was not saved: please correct the errors below.")
        return render(request, template, context)
    data = form.cleaned_data
    try:
        entry = save(
            contacts=form.participants(),
            author=request.user,
            kind=data["kind"],
            at=data["at"],
            text=data["text"],
            follow_up=data["follow_up"],
        )
    except ContactBookError as exc:
        messages.error(request, str(exc))
        return redirect(_timeline_url(contact) if contact.pk else "home")
    messages.success(request, f"{entry.get_kind_display()} saved.")
    return redirect(_timeline_url(contact))


@require_http_methods(["GET", "POST"])
def entry_add_view(request, pk):
    """Add a note or an interaction to a contact's timeline, with other contacts."""
    contact = visible_contact_or_404(request.user, pk)
    if request.method == "GET":
        form = EntryForm(contact=contact, user=request.user)
        return render(request, "crm/timeline/form.html", {"form": form, "contact": contact})
    form = EntryForm(request.POST, contact=contact, user=request.user)
    return _saved(request, form, contact, services.entry_add)


@require_http_methods(["GET", "POST"])
def entry_edit_view(request, pk, entry_id):
    """Edit an entry of one's own (anyone else's is not found)."""
    entry, contact = _own_entry(request, pk, entry_id)
    if request.method == "GET":
        form = EntryForm(instance=entry, contact=contact, user=request.user)
        return render(
            request, "crm/timeline/form.html", {"form": form, "contact": contact, "entry": entry}
        )

    def save(**values):
        return services.entry_change(entry=entry, **values)

    form = EntryForm(request.POST, instance=entry, contact=contact, user=request.user)
    return _saved(request, form, contact, save)


@require_http_methods(["GET", "POST"])
def entry_delete_view(request, pk, entry_id):
    """Ask for confirmation, then delete an entry of one's own from every timeline."""
    entry, contact = _own_entry(request, pk, entry_id)
    if request.method == "POST":
        try:
            services.entry_delete(entry=entry, author=request.user)
        except ContactBookError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{entry.get_kind_display()} deleted.")
        return redirect(_timeline_url(contact))
    entry.others = contacts_of(
        Entry.objects.with_contacts(user=request.user, but=contact.pk).get(pk=entry.pk)
    )
    return render(request, "crm/timeline/delete.html", {"entry": entry, "contact": contact})


@require_POST
def entry_done_view(request, pk, entry_id):
    """Mark the follow-up of an entry of one's own done; back to ``next`` (this site's)."""
    entry, contact = _own_entry(request, pk, entry_id)
    try:
        services.entry_follow_up_done(entry=entry, author=request.user)
    except ContactBookError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Follow-up with {contact.name} done.")
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = _timeline_url(contact)
    return redirect(back)
