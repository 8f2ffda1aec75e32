"""Pages for finding and merging duplicate contacts."""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from ..exceptions import ContactBookError
from ..forms.duplicates import MergeForm, field_label
from ..models import Contact, ContactAddress, ContactPhone, ContactRelationship, Email, Tag
from ..queries.duplicates import duplicate_groups
from ..services.duplicates import CHOSEN_FIELDS, contact_merge
from ..visibility import seen as seen_expression


@require_GET
def duplicate_list(request):
    """List groups of contacts that look like the same person, with their emails."""
    groups = duplicate_groups(user=request.user)
    _add_email_addresses([contact for group in groups for contact in group.contacts])
    return render(request, "crm/duplicates/list.html", {"groups": groups})


def _add_email_addresses(contacts):
    """Set ``email_addresses`` on ``contacts``, each one's primary first, in one query."""
    by_pk = {contact.pk: contact for contact in contacts}
    for contact in by_pk.values():
        contact.email_addresses = []
    rows = Email.objects.filter(contact__in=list(by_pk)).order_by("contact", "-primary", "pk")
    for contact_pk, address in rows.values_list("contact", "address"):
        by_pk[contact_pk].email_addresses.append(address)


def _merge_candidates(user, keep_pk, duplicate_pk):
    """Return the two contacts by id, those ``user`` sees: 404 when one exists unseen."""
    pks = [keep_pk, duplicate_pk]
    seen = Contact.objects.visible_to(user)
    if Contact.objects.filter(pk__in=pks).exclude(pk__in=seen.values("pk")).exists():
        raise Http404("No contact matches the given query.")
    relationships = (
        ContactRelationship.objects.filter(to_contact__trashed=None)
        .annotate(to_visible=seen_expression(user, "to_contact"))
        .select_related("to_contact")
        .prefetch_related("types")
    )
    # Phones and addresses through the links, which hold each contact's labels.
    phones = ContactPhone.objects.select_related("phone").order_by("pk")
    addresses = ContactAddress.objects.select_related("address").order_by("pk")
    return {
        contact.pk: contact
        for contact in seen.filter(pk__in=pks).prefetch_related(
            Prefetch("phone_links", queryset=phones),
            Prefetch("address_links", queryset=addresses),
            Prefetch("relationships", queryset=relationships),
            "emails",
            "urls",
            "dates",
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
        )
    }


def _compared_rows(form, keep, duplicate):
    """Return a row of the comparison for each field either contact has a value for."""
    return [
        {
            "label": field_label(name),
            "field": form[name] if name in form.fields else None,
            "keep": getattr(keep, name),
            "duplicate": getattr(duplicate, name),
        }
        for name in CHOSEN_FIELDS
        # Rows both leave empty would only push the lists off the screen.
        if getattr(keep, name) or getattr(duplicate, name)
    ]


@require_http_methods(["GET", "POST"])
def contact_merge_view(request, keep_pk, duplicate_pk):
    """Compare two contacts side by side, choose the values to keep, and merge them."""
    if keep_pk == duplicate_pk:
        raise Http404("A contact cannot be merged with itself.")
    contacts = _merge_candidates(request.user, keep_pk, duplicate_pk)
    if len(contacts) < 2:
        # Typically the second of two people merging the same pair.
        messages.error(
            request, "These contacts cannot be merged: one was deleted or merged already."
        )
        survivor = next(iter(contacts.values()), None)
        return redirect(survivor.get_absolute_url() if survivor else reverse("crm:duplicate_list"))
    keep, duplicate = contacts[keep_pk], contacts[duplicate_pk]
    form = MergeForm(
        request.POST if request.method == "POST" else None, keep=keep, duplicate=duplicate
    )
    if form.is_bound and form.is_valid():
        # By the names the user saw: the merge may give keep the other one.
        done = f"Merged {duplicate.name} into {keep.name}."
        try:
            keep = contact_merge(keep=keep, duplicate=duplicate, **form.values())
        except ContactBookError as exc:
            messages.error(request, str(exc))
            return redirect(request.path)
        messages.success(request, done)
        return redirect(keep)
    if form.is_bound:
        messages.error(request, "The contacts were not merged: please choose a value for each row.")
    return render(
        request,
        "crm/duplicates/merge.html",
        {
            "keep": keep,
            "duplicate": duplicate,
            "pair": [keep, duplicate],
            "form": form,
            "rows": _compared_rows(form, keep, duplicate),
            "primary_email": form["primary_email"] if "primary_email" in form.fields else None,
        },
    )
