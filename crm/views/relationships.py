"""Pages for relating contacts to each other."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..exceptions import ContactBookError
from ..forms.relationships import RelateForm, TypesForm
from ..models import Contact, ContactRelationship
from ..services import relationships as services
from ..visibility import visible, visible_contact_or_404

# Search results offered when relating: enough to pick from, few enough to read.
MAX_CANDIDATES = 20


def _relationships_url(contact):
    return f"{contact.get_absolute_url()}#relationships"


def _back(contact):
    """Redirect to the contact's relationships, or home when the contact is gone."""
    if Contact.objects.filter(pk=contact.pk).exists():
        return redirect(_relationships_url(contact))
    return redirect("home")


def _type_names(types):
    return ", ".join(t.name for t in types)


def _query(request):
    # PostgreSQL refuses a NUL character in any string; nobody searches for one.
    return " ".join(request.GET.get("q", "").replace("\x00", " ").split())


def _candidates(user, contact, query):
    """Return the contacts ``user`` sees found by ``query`` that ``contact`` can be related to."""
    if not query:
        return []
    found = Contact.objects.visible_to(user).search(query).exclude(pk=contact.pk)
    return list(found.with_primary_email()[:MAX_CANDIDATES])


def _candidate_context(user, contact, query, selected=None):
    candidates = _candidates(user, contact, query)
    if selected is not None and selected not in candidates:
        candidates.insert(0, selected)
    related = set(
        ContactRelationship.objects.filter(
            from_contact=contact, to_contact__in=candidates
        ).values_list("to_contact", flat=True)
    )
    return {
        "contact": contact,
        "query": query,
        "candidates": [(c, c.pk in related) for c in candidates],
        "selected": selected.pk if selected else None,
    }


@require_GET
def relationship_candidates(request, pk):
    """Return the search results of the relate page as an HTML fragment (for its script)."""
    contact = visible_contact_or_404(request.user, pk)
    return render(
        request,
        "crm/relationships/candidates.html",
        _candidate_context(request.user, contact, _query(request)),
    )


@require_http_methods(["GET", "POST"])
def relationship_add(request, pk):
    """Relate a contact to another one, found by name, with one or more types."""
    contact = visible_contact_or_404(request.user, pk)
    query = _query(request)
    data = request.POST if request.method == "POST" else None
    form = RelateForm(data, contact=contact, user=request.user)
    if form.is_bound and form.is_valid():
        other, types = form.cleaned_data["other"], form.cleaned_data["types"]
        try:
            row, created = services.relationship_add(contact=contact, other=other, types=types)
        except ContactBookError as exc:
            messages.error(request, str(exc))
            return _back(contact)
        if created:
            as_types = f" as {_type_names(types)}" if types else ""
            messages.success(request, f"{contact.name} and {other.name} are now related{as_types}.")
        else:
            messages.success(
                request,
                f"{contact.name} and {other.name} were related already; their types are now: "
                f"{_type_names(row.types.all()) or 'none'}.",
            )
        return redirect(_relationships_url(contact))
    if form.is_bound:
        messages.error(request, "The contacts were not related: please correct the errors below.")
    selected = form.cleaned_data.get("other") if form.is_bound else None
    context = _candidate_context(request.user, contact, query or form.data.get("q", ""), selected)
    return render(request, "crm/relationships/add.html", {**context, "form": form})


@require_http_methods(["GET", "POST"])
def relationship_edit(request, pk, other_pk):
    """Change the types of a relationship (on both contacts)."""
    # Both contacts must be seen: changing the types changes the other's row too.
    rows = ContactRelationship.objects.filter(
        *filter(None, [visible(request.user, "from_contact"), visible(request.user, "to_contact")])
    )
    row = get_object_or_404(
        rows.select_related("from_contact", "to_contact"),
        from_contact=pk,
        to_contact=other_pk,
        # A relationship to a contact in the trash is hidden with it.
        from_contact__trashed=None,
        to_contact__trashed=None,
    )
    contact, other = row.from_contact, row.to_contact
    if request.method == "POST":
        form = TypesForm(request.POST)
        if form.is_valid():
            types = form.cleaned_data["types"]
            try:
                services.relationship_set_types(contact=contact, other=other, types=types)
            except ContactBookError as exc:
                messages.error(request, str(exc))
                return _back(contact)
            messages.success(
                request,
                f"Relationship of {contact.name} and {other.name} saved: "
                f"{_type_names(types) or 'no types'}.",
            )
            return redirect(_relationships_url(contact))
        messages.error(request, "The relationship was not saved: please correct the errors below.")
    else:
        form = TypesForm(initial={"types": list(row.types.all())})
    return render(
        request, "crm/relationships/edit.html", {"contact": contact, "other": other, "form": form}
    )


@require_POST
def relationship_remove(request, pk, other_pk):
    """Remove the relationship between two contacts, from both."""
    contact = visible_contact_or_404(request.user, pk)
    other = visible_contact_or_404(request.user, other_pk)
    try:
        removed = services.relationship_remove(contact=contact, other=other)
    except ContactBookError as exc:
        messages.error(request, str(exc))
        return _back(contact)
    if removed:
        messages.success(request, f"{contact.name} and {other.name} are no longer related.")
    else:
        messages.info(request, f"{contact.name} and {other.name} were not related.")
    return redirect(_relationships_url(contact))
