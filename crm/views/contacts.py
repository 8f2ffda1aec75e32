"""Pages of the contact book."""

import functools

from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import slugify
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST

from .. import exports
from ..exceptions import ContactBookError
from ..forms.contacts import ContactEditor
from ..models import Contact
from ..queries.contacts import ContactPaginator
from ..services.contacts import contact_delete

PER_PAGE = 50
MAX_PER_PAGE = 200
PER_PAGE_CHOICES = [25, 50, 100, 200]


def _per_page(request):
    try:
        per_page = int(request.GET.get("per_page", PER_PAGE))
    except ValueError:
        return PER_PAGE
    return min(max(per_page, 1), MAX_PER_PAGE)


def _query(request):
    return " ".join(request.GET.get("q", "").split())


def contact_page(request, contacts):
    """Return the context of one page of ``contacts`` as the list shows them (``?page=``)."""
    per_page = _per_page(request)
    paginator = ContactPaginator(contacts, per_page)
    page = paginator.get_page(request.GET.get("page"))
    return {
        "page_obj": page,
        "contacts": page.object_list,
        "per_page": per_page,
        "per_page_choices": PER_PAGE_CHOICES,
        "elided_pages": paginator.get_elided_page_range(page.number, on_each_side=2),
    }


def contact_list(request):
    """List contacts by name, with every phone, a page at a time; search with ``?q=``."""
    query = _query(request)
    context = contact_page(request, Contact.objects.search(query))
    return render(request, "crm/contact_list.html", {**context, "query": query})


def _detail_or_404(pk):
    try:
        return Contact.objects.detail(pk)
    except Contact.DoesNotExist:
        raise Http404("No such contact.") from None


def contact_detail(request, pk):
    """Show one contact: its names, emails, web addresses, dates, phones, addresses, tags,
    relationships and notes."""
    return render(request, "crm/contact_detail.html", {"contact": _detail_or_404(pk)})


def _edit(request, contact=None):
    if request.method != "POST":
        return render(request, "crm/contact_form.html", {"editor": ContactEditor(contact=contact)})
    editor = ContactEditor(contact=contact, data=request.POST)
    if "add" in request.POST:
        editor = editor.add_row(request.POST["add"])
    elif editor.is_valid():
        # Nothing is saved while it looks like another contact, until "Save anyway".
        matches = [] if "confirm_duplicate" in request.POST else editor.possible_duplicates()
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
    return _edit(request)


@require_http_methods(["GET", "POST"])
def contact_edit(request, pk):
    """Edit a contact with its rows of emails, phones, addresses, web addresses and dates."""
    # The page's rows (with who shares each) only fill an empty form: a POST
    # reads what was typed, so it needs the contact alone.
    if request.method == "POST":
        return _edit(request, get_object_or_404(Contact, pk=pk))
    return _edit(request, _detail_or_404(pk))


@require_POST
def contact_possible_duplicates(request, pk=None):
    """
    Return the contacts that the contact form, as typed so far, looks like:
    an HTML fragment the form's script shows while typing, empty when there
    are none or while the form is not valid yet. ``pk`` is the contact edited.
    """
    contact = get_object_or_404(Contact, pk=pk) if pk is not None else None
    editor = ContactEditor(contact=contact, data=request.POST)
    matches = editor.possible_duplicates() if editor.is_valid() else []
    context = {"editor": editor, "matches": matches}
    return render(request, "crm/includes/possible_duplicates_live.html", context)


@require_http_methods(["GET", "POST"])
def contact_delete_view(request, pk):
    """Ask for confirmation, then delete a contact."""
    contact = get_object_or_404(Contact, pk=pk)
    if request.method == "POST":
        try:
            contact_delete(contact=contact)
        except ContactBookError as exc:
            messages.error(request, str(exc))
            return redirect("crm:contact_list")
        messages.success(request, f"Contact deleted: {contact.name}.")
        return redirect("crm:contact_list")
    return render(request, "crm/contact_confirm_delete.html", {"contact": contact})


# A download is a copy of contacts on disk: no cache, private or shared, keeps one.
downloads_not_stored = cache_control(no_store=True, private=True)


def _download(content, *, content_type, filename):
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _export(request, render_rows, *, content_type, extension):
    query = _query(request)
    contacts = Contact.objects.search(query)
    if not contacts.exists():
        messages.error(request, "Nothing to export: no contact matches.")
        url = reverse("crm:contact_list")
        return redirect(f"{url}?{urlencode({'q': query})}" if query else url)
    return _download(
        render_rows(contacts),
        content_type=content_type,
        filename=f"contacts{'-' + slugify(query) if query else ''}.{extension}",
    )


@downloads_not_stored
def contact_export_csv(request):
    """Download every contact matching ``?q=`` as CSV, every field, streamed."""
    return _export(
        request, exports.csv_lines, content_type="text/csv; charset=utf-8", extension="csv"
    )


@downloads_not_stored
def contact_export_vcf(request):
    """Download every contact matching ``?q=`` as vCard 4.0 (3.0 with ``?version=3.0``)."""
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
    contacts = Contact.objects.filter(pk=pk)
    contact = contacts.first()
    if contact is None:
        raise Http404("No such contact.")
    return _download(
        exports.vcards(contacts, version),
        content_type="text/vcard; charset=utf-8",
        filename=f"{slugify(contact.name) or 'contact'}.vcf",
    )
