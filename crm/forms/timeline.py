"""The form of a timeline entry."""

from django import forms
from django.utils import timezone

from ..converters import MAX_ID
from ..models import Contact, Entry
from .relationships import IdsField

# Search results offered as other participants: enough to pick from, few enough to read.
MAX_CANDIDATES = 20


class EntryForm(forms.ModelForm):
    """
    An entry on ``contact``'s timeline: its kind, date and time, text and
    follow-up date, and the other contacts who took part (``others``),
    picked from the results of a search (``q``).
    """

    others = IdsField(
        queryset=Contact.objects.none(),
        required=False,
        label="Others who took part",
        error_messages={"invalid_choice": "One of those contacts no longer exists."},
    )
    q = forms.CharField(required=False, max_length=200, label="Find others who took part")

    class Meta:
        model = Entry
        fields = ["kind", "at", "text", "follow_up"]
        widgets = {
            "at": forms.DateTimeInput({"type": "datetime-local"}, "%Y-%m-%dT%H:%M"),
            "text": forms.Textarea({"rows": 3}),
            "follow_up": forms.DateInput({"type": "date"}, "%Y-%m-%d"),
        }
        help_texts = {"follow_up": "Your own reminder: it shows on your home page from that day."}

    def __init__(self, *args, contact, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.contact = contact
        # Only contacts the user sees can be picked (crm.visibility); those of
        # an entry that they cannot see stay in it, unnamed (``hidden()``).
        others = Contact.objects.visible_to(user).exclude(pk=contact.pk)
        self.fields["others"].queryset = others
        if not self.instance.pk:
            self.initial.setdefault("at", timezone.localtime().replace(second=0, microsecond=0))

    @property
    def query(self):
        """The search for other participants, its white space made single spaces."""
        # PostgreSQL refuses a NUL character in any string; nobody searches for one.
        return " ".join(self.data.get("q", "").replace("\x00", " ").split())

    def chosen(self):
        """Return the other participants as posted (unvalidated ids dropped), or the entry's."""
        if not self.is_bound:
            if not self.instance.pk:
                return []
            mine = self.fields["others"].queryset.filter(entries=self.instance)
            return list(mine.order_by("sort_name"))
        ids = [pk for pk in self.data.getlist("others") if pk.isdigit() and int(pk) <= MAX_ID]
        return list(self.fields["others"].queryset.filter(pk__in=ids).order_by("sort_name"))

    def pickable(self):
        """
        Return the contacts to tick as other participants, each with whether
        it is ticked: those chosen, then the search's results.
        """
        chosen = self.chosen()
        found = []
        if self.query:
            found = (
                self.fields["others"]
                .queryset.search(self.query)
                .exclude(pk__in=[contact.pk for contact in chosen])[:MAX_CANDIDATES]
            )
        return [(contact, True) for contact in chosen] + [(contact, False) for contact in found]

    def hidden(self):
        """Return the entry's other participants that the user cannot see: kept as they are."""
        if not self.instance.pk:
            return []
        seen = self.fields["others"].queryset.values("pk")
        return list(self.instance.contacts.exclude(pk=self.contact.pk).exclude(pk__in=seen))

    def participants(self):
        """Return the contacts of the entry: the contact, the others chosen, those hidden."""
        return [self.contact, *self.cleaned_data["others"], *self.hidden()]
