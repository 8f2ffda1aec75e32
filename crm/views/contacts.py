"""Pages of the contact book."""

import functools

from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST

from .. import exports
from ..conf import settings
from ..exceptions import ContactBookError, NoTeam
from ..forms.contacts import ContactEditor
from ..forms.listing import FILTERS, ContactListForm, list_state, list_url
from ..models import Contact
from ..queries import pages
from ..queries.history import history_page, unseen_unnamed
from ..queries.pages import DEFAULT_SORT
from ..services.trash import contact_trash
from ..visibility import visible_contact_or_404, visible_parts
from .timeline import follow_ups_context, timeline_context

PER_PAGE = 50
MAX_PER_PAGE = 200
PER_PAGE_CHOICES = [25, 50, 100, 200]


def _per_page(request):
    try:
        per_page = int(request.GET.get("per_page", PER_PAGE))
    except ValueError:
        return PER_PAGE
    return min(max(per_page, 1), MAX_PER_PAGE)


def contact_page(request, contacts, *, sort=DEFAULT_SORT, filtered=True, walked=None):
    """
    Return the context of one page of ``contacts`` in ``sort`` as the list
    shows them: ``?after=`` or ``?before=`` a cursor, or ``?page=last``;
    and their count, capped. ``walked``, the same contacts filtered for a
    walk along the sort's index (``visible_to(row_by_row=True)``), reads the
    page when they are many.
    """
    per_page = _per_page(request)
    # What the user cannot see is left out of the count (never the book's size
    # estimated), counted part by part (their teams', then shared with them),
    # each on its index; but their teams' contacts are paged through as the
    # whole book is: along the sort's index, where a tenth of the rows fill a
    # page reading ten times as many; a team of fewer contacts than the count
    # cap (the sparse case) is sorted by itself.
    parts = visible_parts(request.user)
    narrowed = filtered or parts is not None
    count = pages.contact_count(contacts, filtered=narrowed, parts=parts)
    # A filter that counted few rows sorts them by themselves.
    few = narrowed and count.exact
    page = pages.contact_page(
        walked if walked is not None and not few else contacts,
        sort=sort,
        per_page=per_page,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        last=request.GET.get("page") == "last",
        few=few,
        filtered=filtered,
    )
    return {
        "page": page,
        "contacts": page.contacts,
        "count": count,
        "per_page": per_page,
        "per_page_choices": PER_PAGE_CHOICES,
    }


def contact_list(request):
    """
    List contacts a page at a time, with every phone: searched with ``?q=``,
    filtered, sorted (``crm.forms.listing``), every choice in the URL.
    """
    return render(request, "crm/contact_list.html", list_context(request))


def home(request):
    """
    The home page: the signed-in user's follow-ups due today or before, above
    the contact list.
    """
    return render(
        request, "crm/contact_list.html", {**list_context(request), **follow_ups_context(request)}
    )


def list_context(request):
    """Return the context of the contact list's page that ``request`` asks for."""
    form = ContactListForm(request.GET, user=request.user)
    # Unfiltered, the page is a walk along the sort's index (crm.queries.pages).
    walked = None if form.filtered else form.contacts(row_by_row=True)
    context = contact_page(
        request, form.contacts(), sort=form.sort_key, filtered=form.filtered, walked=walked
    )
    return {**context, **list_form_context(request, form)}


def list_form_context(request, form):
    """
    Return the context of the list's page around its rows: the search and
    filters of ``form`` (a bound ``ContactListForm``), their chips, and the
    list's state for the links.
    """
    state, chips = list_state(request.GET), form.chips(request.GET)
    return {
        "form": form,
        "query": form.query,
        "chips": chips,
        # The panel opens on what it holds: a filter in force, or an error.
        "filters_open": bool(form.errors) or len(chips) > bool(form.query),
        # Each contact's link carries the list's state for its "back to the list".
        "detail_query": urlencode({"list": state}) if state else "",
        # The exports take what the list shows, whatever its page.
        "export_query": list_state(request.GET, FILTERS),
    }


def _detail_or_404(request, pk):
    try:
        return Contact.objects.visible_to(request.user).detail(pk, user=request.user)
    except Contact.DoesNotExist:
        raise Http404("No such contact.") from None


# Changes the contact page shows; its history page has them all.
RECENT_CHANGES = 5


def contact_detail(request, pk):
    """Show one contact: its names, emails, web addresses, dates, phones, addresses, tags,
    relationships, notes, timeline and latest changes; ``?list=`` is the state of the list
    it was opened from, ``?timeline=`` the timeline's page."""
    contact = _detail_or_404(request, pk)
    context = {
        "contact": contact,
        "list_url": list_url(request.GET.get("list", "")),
        **timeline_context(request, contact),
        "recent_changes": unseen_unnamed(
            history_page(contact.pk, size=RECENT_CHANGES)[0], request.user
        ),
    }
    return render(request, "crm/contact_detail.html", context)


def _edit(request, contact=None):
    if request.method != "POST":
        editor = ContactEditor(contact=contact, user=request.user)
        return render(request, "crm/contact_form.html", {"editor": editor})
    editor = ContactEditor(contact=contact, data=request.POST, user=request.user)
    if "add" in request.POST:
        editor = editor.add_row(request.POST["add"])
    elif editor.is_valid():
        # Nothing is saved while it looks like another contact, until "Save anyway".
        confirmed = "confirm_duplicate" in request.POST
        matches = [] if confirmed else editor.possible_duplicates(user=request.user)
        if matches:
            return render(request, "crm/contact_form.html", {"editor": editor, "matches": matches})
        try:
            shared = editor.save()
        except ContactBookError as exc:
            # Deleted or merged while being edited, or a concurrent change.
            messages.error(request, str(exc))
            return redirect("crm:contact_list")
        messages.success(request, "Contact saved.")
        for phone in shared:
            messages.info(request, f"{phone.number} is a shared line: other contacts have it too.")
        return redirect(editor.contact)
    else:
        messages.error(request, "The contact was not saved: please correct the errors below.")
    return render(request, "crm/contact_form.html", {"editor": editor})


@require_http_methods(["GET", "POST"])
def contact_create(request):
    """Create a contact with its rows of emails, phones, addresses, web addresses and dates."""
    try:
        return _edit(request)
    except NoTeam as exc:  # in no team, they would create contacts they cannot see
        messages.error(request, str(exc))
        return redirect("crm:contact_list")


@require_http_methods(["GET", "POST"])
def contact_edit(request, pk):
    """Edit a contact with its rows of emails, phones, addresses, web addresses and dates."""
    # The page's rows (with who shares each) only fill an empty form: a POST
    # reads what was typed, so it needs the contact alone.
    if request.method == "POST":
        return _edit(request, visible_contact_or_404(request.user, pk))
    return _edit(request, _detail_or_404(request, pk))


@require_POST
def contact_possible_duplicates(request, pk=None):
    """
    Return the contacts that the contact form, as typed so far, looks like:
    an HTML fragment the form's script shows while typing, empty when there
    are none or while the form is not valid yet. ``pk`` is the contact edited.
    """
    contact = visible_contact_or_404(request.user, pk) if pk is not None else None
    editor = ContactEditor(contact=contact, data=request.POST)
    matches = editor.possible_duplicates(user=request.user) if editor.is_valid() else []
    context = {"editor": editor, "matches": matches}
    return render(request, "crm/includes/possible_duplicates_live.html", context)


@require_http_methods(["GET", "POST"])
def contact_delete_view(request, pk):
    """Ask for confirmation, then move a contact to the trash."""
    contact = visible_contact_or_404(request.user, pk)
    if request.method == "POST":
        try:
            contact_trash(contact=contact, by=request.user)
        except ContactBookError as exc:
            messages.error(request, str(exc))
            return redirect("crm:contact_list")
        trash = reverse("crm:trash_list")
        messages.success(
            request, format_html('{} was moved to the <a href="{}">trash</a>.', contact, trash)
        )
        return redirect("crm:contact_list")
    context = {"contact": contact, "days": settings.TRASH_DAYS}
    return render(request, "crm/contact_confirm_delete.html", context)


# A download is a copy of contacts on disk: no cache, private or shared, keeps one.
downloads_not_stored = cache_control(no_store=True, private=True)


def _download(content, *, content_type, filename):
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _export(request, render_rows, *, content_type, extension):
    form = ContactListForm(request.GET, user=request.user)
    query, contacts = form.query, form.contacts()
    if not contacts.exists():
        messages.error(request, "Nothing to export: no contact matches.")
        return redirect(list_url(request.GET))
    return _download(
        render_rows(contacts),
        content_type=content_type,
        filename=f"contacts{'-' + slugify(query) if query else ''}.{extension}",
    )


@downloads_not_stored
def contact_export_csv(request):
    """Download every contact the list shows (search and filters) as CSV, every field, streamed."""
    return _export(
        request, exports.csv_lines, content_type="text/csv; charset=utf-8", extension="csv"
    )


@downloads_not_stored
def contact_export_vcf(request):
    """Download every contact the list shows (search, filters) as vCard 4.0 (3.0 with
    ``?version=3.0``)."""
    version = request.GET.get("version", "4.0")
    if version not in exports.VCARD_VERSIONS:
        return HttpResponseBadRequest("version must be 3.0 or 4.0", content_type="text/plain")
    return _export(
        request,
        functools.partial(exports.vcards, version=version),
        content_type="text/vcard; charset=utf-8",
        extension="vcf",
    )


@downloads_not_stored
def contact_vcard(request, pk):
    """Download one contact as a vCard 4.0 (3.0 with ``?version=3.0``)."""
    version = request.GET.get("version", "4.0")
    if version not in exports.VCARD_VERSIONS:
        return HttpResponseBadRequest("version must be 3.0 or 4.0", content_type="text/plain")
    contacts = Contact.objects.visible_to(request.user).filter(pk=pk)
    contact = contacts.first()
    if contact is None:
        raise Http404("No such contact.")
    return _download(
        exports.vcards(contacts, version),
        content_type="text/vcard; charset=utf-8",
        filename=f"{slugify(contact.name) or 'contact'}.vcf",
    )
