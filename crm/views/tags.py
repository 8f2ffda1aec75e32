"""Pages of tags: every tag with its number of contacts, and one tag's contacts."""

from django.shortcuts import get_object_or_404, render

from ..models import Contact, Tag
from ..queries.contacts import ContactPaginator
from .contacts import PER_PAGE_CHOICES, _per_page


def tag_list(request):
    """List every tag with how many contacts have it, in one query."""
    return render(
        request,
        "crm/tags/tag_list.html",
        {"tags": Tag.objects.with_contact_count().order_by("name")},
    )


def tag_detail(request, slug):
    """List a tag's contacts by name, as the contact list does, a page at a time."""
    tag = get_object_or_404(Tag, slug=slug)
    per_page = _per_page(request)
    paginator = ContactPaginator(Contact.objects.filter(tags=tag), per_page)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "crm/tags/tag_detail.html",
        {
            "tag": tag,
            "page_obj": page,
            "contacts": page.object_list,
            "per_page": per_page,
            "per_page_choices": PER_PAGE_CHOICES,
            "elided_pages": paginator.get_elided_page_range(page.number, on_each_side=2),
        },
    )
