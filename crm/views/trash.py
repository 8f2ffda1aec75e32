"""The trash: contacts deleted, to restore or delete for good."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..conf import settings
from ..exceptions import ContactBookError
from ..models import Contact
from ..services.trash import contact_destroy, contact_restore
from ..visibility import visible_contact_or_404

PER_PAGE = 50


@require_GET
def trash_list(request):
    """
    List the contacts in the trash that the user could see, newest first,
    searched with ``?q=``, a page at a time.
    """
    query = " ".join(request.GET.get("q", "").replace("\x00", " ").split())
    contacts = Contact.all_objects.in_trash().visible_to(request.user).search(query)
    contacts = contacts.select_related("trashed_by")
    page = Paginator(contacts, PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "contacts": page.object_list, "query": query}
    return render(request, "crm/trash/list.html", {**context, "days": settings.TRASH_DAYS})


def _trash_url(state):
    """Return the trash page's URL with the search and page of ``state``, a query string."""
    params, kept = QueryDict(state), QueryDict(mutable=True)
    for name in ("q", "page"):
        if value := params.get(name):
            kept[name] = value
    url = reverse("crm:trash_list")
    return f"{url}?{kept.urlencode()}" if kept else url


def _back(request):
    """Redirect to the trash page the form was posted from, as it was."""
    return redirect(_trash_url(request.POST.get("back", "")))


@require_POST
def trash_restore(request, trashed_id):
    """Take a contact out of the trash, with everything it held."""
    contact = visible_contact_or_404(request.user, trashed_id, Contact.all_objects.in_trash())
    try:
        contact_restore(contact=contact)
    except ContactBookError as exc:
        messages.error(request, str(exc))
        return _back(request)
    messages.success(
        request, format_html('<a href="{}">{}</a> is back.', contact.get_absolute_url(), contact)
    )
    return _back(request)


@require_http_methods(["GET", "POST"])
def trash_delete(request, trashed_id):
    """Ask for confirmation, then delete a contact in the trash for good."""
    contact = visible_contact_or_404(request.user, trashed_id, Contact.all_objects.in_trash())
    if request.method == "POST":
        try:
            contact_destroy(contact=contact)
        except ContactBookError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"{contact.name} was deleted for good.")
        return _back(request)
    back = request.GET.get("back", "")
    context = {"contact": contact, "back": back, "back_url": _trash_url(back)}
    return render(request, "crm/trash/confirm_delete.html", context)
