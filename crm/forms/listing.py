"""
The contact list's search, filters and sort, as its URL carries them.

One form reads them for the list, its exports and its bulk actions alike,
so "all N matching" acts on exactly the contacts the list showed.
"""

import datetime

from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ..models import Contact, Tag

# What a row can be sorted by: the URL's name, then the model fields of the
# order (the id last, so rows with equal values keep one order).
SORTS = {
    "name": ("Name", ("sort_name", "pk")),
    "organization": ("Organisation", ("organization", "pk")),
    "created": ("Created", ("created", "pk")),
    "updated": ("Updated", ("updated", "pk")),
}
SORT_CHOICES = [
    (f"{prefix}{key}", f"{label} {arrow}")
    for key, (label, _) in SORTS.items()
    for prefix, arrow in [("", "↑"), ("-", "↓")]
]
DEFAULT_SORT = "name"


def _has(relation):
    model = Contact._meta.get_field(relation).related_model
    if Contact._meta.get_field(relation).many_to_many:
        model = getattr(Contact, relation).through
    return Exists(model.objects.filter(contact=OuterRef("pk")))


HAS = {
    "email": ("Has an email", lambda: _has("emails")),
    "phone": ("Has a phone", lambda: _has("phones")),
    "address": ("Has an address", lambda: _has("addresses")),
}


def _start_of(day):
    """Return the first moment of ``day`` in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class ContactListForm(forms.Form):
    """
    The list's search words, filters and sort, from ``request.GET`` (or the
    bulk form's POST, which carries the same fields).

    Fields that are not valid are left out of the filter, and their errors
    shown: a hand-edited URL never makes the list fail.
    """

    q = forms.CharField(required=False, max_length=1000, label="Search")
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES, label="Sort by")
    tag = forms.ModelMultipleChoiceField(
        required=False, queryset=Tag.objects.all(), to_field_name="slug", label="Tags"
    )
    has = forms.MultipleChoiceField(
        required=False,
        choices=[(key, label) for key, (label, _) in HAS.items()],
        widget=forms.CheckboxSelectMultiple,
        label="Only contacts that",
    )
    created_from = forms.DateField(required=False, label="Created from")
    created_to = forms.DateField(required=False, label="Created until")

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("created_from"), cleaned.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", "The end of the range is before its start.")
        return cleaned

    def value(self, name, default=None):
        """Return the cleaned value of ``name``, or ``default`` when it is invalid or absent."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name) or default

    @property
    def query(self):
        """The search words, with runs of white space made one space."""
        return " ".join(self.value("q", "").split())

    @property
    def sort_key(self):
        """The sort as the URL names it: ``"name"``, ``"-created"``…"""
        return self.value("sort", DEFAULT_SORT)

    @property
    def ordering(self):
        """The ``order_by()`` arguments of the sort, the id last."""
        key = self.sort_key.removeprefix("-")
        fields = SORTS[key][1]
        if self.sort_key.startswith("-"):
            return tuple(f"-{field}" for field in fields)
        return fields

    def contacts(self, contacts=None):
        """Return ``contacts`` (all by default) that match, unordered and unpaged."""
        contacts = (Contact.objects.all() if contacts is None else contacts).search(self.query)
        for tag in self.value("tag", ()):
            contacts = contacts.filter(tags=tag)
        for key in self.value("has", ()):
            contacts = contacts.filter(HAS[key][1]())
        if start := self.value("created_from"):
            contacts = contacts.filter(created__gte=_start_of(start))
        if end := self.value("created_to"):
            contacts = contacts.filter(created__lt=_start_of(end + datetime.timedelta(days=1)))
        return contacts
