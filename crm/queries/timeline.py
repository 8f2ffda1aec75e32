"""Reads of the timeline: a contact's entries a page at a time, a user's follow-ups."""

from dataclasses import dataclass

from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import JSONObject

from ..visibility import seen, visible
from .contacts import UNSEEN, JSONList

# Follow-ups listed on the home page at most: a list to act on, not to scroll.
MAX_FOLLOW_UPS = 50


class EntryQuerySet(models.QuerySet):
    def follow_ups_due(self, *, author, day):
        """
        Return the open follow-ups of ``author`` due on ``day`` or before,
        the oldest first, each with ``contact_list`` (see ``with_contacts()``);
        not those with no contact ``author`` sees (crm.visibility).
        """
        entries = self.filter(author=author, follow_up__lte=day, follow_up_done=False)
        if (condition := visible(author, "contact")) is not None:
            Participation = apps.get_model("crm", "Participation")
            links = Participation.objects.filter(condition, entry=OuterRef("pk"))
            entries = entries.filter(Exists(links.filter(contact__trashed__isnull=True)))
        return entries.order_by("follow_up", "at", "pk").with_contacts(user=author)

    def with_contacts(self, *, user, but=None):
        """
        Annotate ``contact_list``: the entry's participants (but the contact
        ``but``) as JSON, ``{"pk", "name", "seen"}`` each, in one subquery;
        ``seen`` whether ``user`` sees it.
        """
        Participation = apps.get_model("crm", "Participation")
        # Contacts in the trash are nobody's to see.
        links = Participation.objects.filter(entry=OuterRef("pk"), contact__trashed__isnull=True)
        if but is not None:
            links = links.exclude(contact=but)
        row = JSONObject(pk="contact_id", name="contact__name", seen=seen(user, "contact"))
        return self.annotate(
            contact_list=Subquery(
                links.order_by().values("entry").annotate(items=JSONList(row)).values("items")
            )
        )


def contacts_of(entry):
    """
    Return the participants ``with_contacts()`` collected for ``entry``, by
    name; those the user cannot see last, without their name (``UNSEEN``).
    """
    rows = entry.contact_list or ()
    shown = sorted(
        (row for row in rows if row["seen"]), key=lambda row: (row["name"].casefold(), row["pk"])
    )
    return shown + [UNSEEN for row in rows if not row["seen"]]


@dataclass
class TimelinePage:
    """A page of a contact's entries, newest first, and its neighbours' numbers."""

    entries: list
    number: int
    has_next: bool

    @property
    def previous_number(self):
        return self.number - 1 if self.number > 1 else None

    @property
    def next_number(self):
        return self.number + 1 if self.has_next else None


def timeline_page(contact_pk, *, user, number=1, per_page=20):
    """
    Return page ``number`` of the entries of contact ``contact_pk``, newest
    first, in one query: each with its author and ``others``, the other
    participants (those ``user`` cannot see unnamed). The page is read from the participation index
    (contact, at, entry), one more row than the page to know of a next one.
    """
    Entry = apps.get_model("crm", "Entry")
    number = max(number, 1)
    start = (number - 1) * per_page
    entries = list(
        Entry.objects.filter(contact_links__contact=contact_pk)
        .select_related("author")
        .with_contacts(user=user, but=contact_pk)
        .order_by("-contact_links__at", "-pk")[start : start + per_page + 1]
    )
    for entry in entries:
        entry.others = contacts_of(entry)
    return TimelinePage(entries[:per_page], number, has_next=len(entries) > per_page)
