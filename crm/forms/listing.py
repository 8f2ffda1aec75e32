"""
The contact list's search, filters and sort, as its URL carries them.

One form reads them for the list, its exports and its bulk actions alike,
so "all N matching" acts on exactly the contacts the list showed.
"""

import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.forms.models import ModelChoiceIterator
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from ..models import Contact, Tag, Team
from ..queries import pages
from ..queries.pages import DEFAULT_SORT, SORTS

SORT_CHOICES = [
    (f"{prefix}{key}", f"{sort.label} {arrow}")
    for key, sort in SORTS.items()
    for prefix, arrow in [("", "↑"), ("-", "↓")]
]
# Where the list is in its pages: dropped whenever the search, a filter or the sort changes.
PAGING = ("after", "before", "page")
# Everything the list's URL may carry; the "back to the list" link keeps nothing else.
FILTERS = ("q", "tag", "has", "owner", "team", "created_from", "created_to")
LIST_PARAMETERS = ("q", "sort", *FILTERS[1:], "per_page", *PAGING)
# The value of the owner and team filters that asks for contacts without one.
NONE = "none"


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


def user_label(user) -> str:
    """Return how the pages name a user: full name and username, and whether deactivated."""
    name = user.get_full_name() or user.get_username()
    if name != user.get_username():
        name = f"{name} ({user.get_username()})"
    return name if user.is_active else f"{name}, deactivated"


class _WithNone(ModelChoiceIterator):
    """The choices of an ``OrNoneField``: the empty one, "none", then the rows."""

    def __iter__(self):
        rows = super().__iter__()
        if self.field.empty_label is not None:
            yield next(rows)
        yield NONE, self.field.none_label
        yield from rows

    def __len__(self):
        return super().__len__() + 1


class OrNoneField(forms.ModelChoiceField):
    """A row of ``queryset`` by its id, or ``NONE``: the contacts that have none."""

    iterator = _WithNone

    def __init__(self, queryset, *, none_label, **kwargs):
        self.none_label = none_label
        super().__init__(queryset, **kwargs)

    def to_python(self, value):
        return NONE if value == NONE else super().to_python(value)


class OwnerFilterField(OrNoneField):
    def label_from_instance(self, user):
        return user_label(user)


def _start_of(day):
    """Return the first moment of ``day`` in the site's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class ContactListForm(forms.Form):
    """
    The list's search words, filters and sort, from ``request.GET`` (or the
    bulk form's POST, which carries the same fields), over the contacts
    ``user`` sees (crm.visibility).

    Fields that are not valid are left out of the filter, and their errors
    shown: a hand-edited URL never makes the list fail.
    """

    # Long enough for a pasted paragraph: only its first words are searched (crm.search).
    q = forms.CharField(required=False, max_length=20_000, label="Search")
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
    # Every user, the deactivated too: their contacts stay theirs until reassigned.
    owner = OwnerFilterField(
        get_user_model()._default_manager.order_by("-is_active", "username"),
        required=False,
        none_label="No owner",
        empty_label="Anyone",
        label="Owner",
    )
    team = OrNoneField(
        Team.objects.all(), required=False, none_label="No team", empty_label="Any", label="Team"
    )
    created_from = forms.DateField(
        required=False, label="Created from", widget=forms.DateInput({"type": "date"}, "%Y-%m-%d")
    )
    created_to = forms.DateField(
        required=False, label="Created until", widget=forms.DateInput({"type": "date"}, "%Y-%m-%d")
    )

    def __init__(self, data=None, *args, user, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.user = user

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
        return pages.ordering(self.sort_key)

    @property
    def filtered(self):
        """Whether the search or a filter leaves some contacts out."""
        return bool(self.query) or any(self.value(name) for name in FILTERS if name != "q")

    def chips(self, params):
        """
        Return the search and each filter in force (each tag, each "has"):
        its label, its value and the URL of the list without it (``params``
        are the list's, ``request.GET``).
        """
        chips = []
        for name in FILTERS:
            for param, shown in self._in_force(name):
                kept = params.copy()
                kept.setlist(name, [v for v in kept.getlist(name) if param and v != param])
                for paging in PAGING:
                    kept.pop(paging, None)
                label = self.fields[name].label
                chips.append({"label": label, "value": shown, "remove_url": _url(kept)})
        return chips

    def _in_force(self, name):
        """Yield the URL value (None: the field's only one) and the shown value of ``name``."""
        if name == "q":
            yield from [(None, self.query)] if self.query else []
        elif name == "tag":
            yield from ((tag.slug, tag.name) for tag in self.value("tag", ()))
        elif name == "has":
            yield from ((key, HAS[key][0]) for key in self.value("has", ()))
        elif name in ("owner", "team"):
            if chosen := self.value(name):
                field = self.fields[name]
                yield (
                    None,
                    field.none_label if chosen == NONE else field.label_from_instance(chosen),
                )
        elif day := self.value(name):
            yield None, day.isoformat()

    def contacts(self, contacts=None, *, row_by_row=False):
        """
        Return ``contacts`` (all by default) that the user sees and match,
        unordered, unpaged; ``row_by_row``: see ``crm.visibility.visible()``.
        """
        contacts = Contact.objects.all() if contacts is None else contacts
        contacts = contacts.visible_to(self.user, row_by_row=row_by_row).search(self.query)
        for tag in self.value("tag", ()):
            contacts = contacts.filter(tags=tag)
        for key in self.value("has", ()):
            contacts = contacts.filter(HAS[key][1]())
        for name in ("owner", "team"):
            if chosen := self.value(name):
                contacts = contacts.filter(**{name: None if chosen == NONE else chosen})
        if start := self.value("created_from"):
            contacts = contacts.filter(created__gte=_start_of(start))
        if end := self.value("created_to"):
            contacts = contacts.filter(created__lt=_start_of(end + datetime.timedelta(days=1)))
        return contacts


def _url(params):
    url, query = reverse("crm:contact_list"), params.urlencode()
    return f"{url}?{query}" if query else url


def list_state(params, names=LIST_PARAMETERS):
    """
    Return the query string of the list's parameters ``names`` in ``params``
    (a ``QueryDict`` or a query string), everything else dropped.
    """
    if isinstance(params, str):
        params = QueryDict(params)
    kept = QueryDict(mutable=True)
    for name in names:
        values = [value for value in params.getlist(name) if value]
        if values:
            kept.setlist(name, values)
    return kept.urlencode()


def list_url(state):
    """
    Return the URL of the list in the ``state`` a contact's ``?list=`` carried:
    always the list's own path, with only its own parameters.
    """
    return _url(QueryDict(list_state(state)))
