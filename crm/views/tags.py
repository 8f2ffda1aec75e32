"""Pages of tags: every tag with its number of contacts, and one tag's contacts."""

from django.shortcuts import get_object_or_404, render

from ..models import Contact, Tag
from .contacts import contact_page


def tag_list(request):
    """List every tag with how many contacts have it, in one query."""
    return render(
        request,
        "crm/tags/tag_list.html",
        {"tags": Tag.objects.with_contact_count(user=request.user).order_by("name")},
    )


def tag_detail(request, slug):
    """List a tag's contacts by name, as the contact list does, a page at a time."""
    tag = get_object_or_404(Tag, slug=slug)
    context = contact_page(request, Contact.objects.visible_to(request.user).filter(tags=tag))
    return render(request, "crm/tags/tag_detail.html", {**context, "tag": tag})
