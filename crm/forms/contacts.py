"""
The contact form: the contact's fields plus inline rows of emails, URLs,
dates, phones and addresses.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from ..models import ADDRESS_FIELDS, NAME_FIELDS, Contact, Tag, display_name
from ..permissions import ASSIGN
from ..queries.duplicates import possible_duplicates
from ..services.contacts import contact_save
from ..services.teams import contact_defaults
from .listing import user_label
from .rows import MAX_ROWS, AddressRows, DateRows, EmailRows, PhoneRows, UrlRows

# Who answers for the contact and which teams see it: only for users who may
# assign contacts (crm.assign_contact); for others the fields are not in the
# form at all, so a value posted for them is ignored.
ASSIGNMENT_FIELDS = ["owner", "team", "shared_with"]


class OwnerField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user_label(user)


class ContactForm(forms.ModelForm):
    tags = forms.CharField(
        required=False, help_text="Separated by commas.", widget=forms.TextInput()
    )

    class Meta:
        model = Contact
        fields = [*NAME_FIELDS, "organization", "job_title", "notes", *ASSIGNMENT_FIELDS]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4}),
            "shared_with": forms.CheckboxSelectMultiple,
        }
        field_classes = {"owner": OwnerField}
        help_texts = {"team": "Its team sees it, when each team sees its own contacts."}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        contact = self.instance
        if user is not None and user.has_perm(ASSIGN):
            # A deactivated user owns contacts until they are reassigned, and
            # is offered for none else.
            self.fields["owner"].queryset = (
                get_user_model()
                ._default_manager.filter(Q(is_active=True) | Q(pk=contact.owner_id))
                .order_by("username")
            )
        else:
            for name in ASSIGNMENT_FIELDS:
                del self.fields[name]
        if not self.is_bound and contact.pk and "tags" not in self.initial:
            self.initial["tags"] = ", ".join(tag.name for tag in contact.tags.all())
            # A display name made from the parts is shown empty, so that it
            # keeps following them when they change.
            if contact.name == display_name(vars(contact)):
                self.initial["name"] = ""

    def name_fields(self):
        return [self[name] for name in NAME_FIELDS]

    def other_fields(self):
        shown_apart = {*NAME_FIELDS, *ASSIGNMENT_FIELDS}
        return [self[name] for name in self.fields if name not in shown_apart]

    def assignment_fields(self):
        return [self[name] for name in ASSIGNMENT_FIELDS if name in self.fields]

    def clean_tags(self):
        """Return the typed tag names: spaces collapsed, each once whatever its case."""
        names = {}
        for typed in self.cleaned_data["tags"].split(","):
            name = " ".join(typed.split())
            if len(name) > Tag._meta.get_field("name").max_length:
                raise forms.ValidationError(f"“{name[:20]}…” is too long for a tag.")
            if name:
                names.setdefault(name.casefold(), name)
        return list(names.values())

    def clean(self):
        cleaned = super().clean()
        # The display name as it will be saved (Contact.derive() makes the
        # same), so the model's rules and the duplicate warning see it.
        cleaned["name"] = " ".join(cleaned.get("name", "").split()) or display_name(cleaned)
        return cleaned


class ContactEditor:
    """
    The contact form and its rows of emails, phones, addresses, URLs and
    dates, edited and saved as one.

    Without JavaScript, "Add a phone" and the like are submit buttons:
    ``add_row()`` re-renders what was typed, without errors, with one more row.
    """

    ROWS = {
        "emails": EmailRows,
        "phones": PhoneRows,
        "addresses": AddressRows,
        "urls": UrlRows,
        "dates": DateRows,
    }

    def __init__(self, *, contact=None, data=None, initial=None, extra=None, user=None):
        if contact is None:
            # Its creator's, in their first team (NoTeam when they may not create).
            owner, team = contact_defaults(user=user)
            contact = Contact(owner=owner, team=team)
        self.contact, self.user = contact, user
        if initial is None:
            initial = {} if data is not None or contact.pk is None else self._initial(contact)
        self.form = ContactForm(
            data, instance=self.contact, initial=initial.get("contact"), user=user
        )
        for prefix, rows in self.ROWS.items():
            formset = rows(data, prefix=prefix, initial=initial.get(prefix, []))
            if extra is not None:
                formset.extra = extra.get(prefix, 0)
            setattr(self, prefix, formset)

    @property
    def rows(self):
        return [getattr(self, prefix) for prefix in self.ROWS]

    @staticmethod
    def _initial(contact):
        """Return the rows of a contact from ``Contact.objects.detail()``."""
        return {
            # SQLite's JSON says 1 and 0 for true and false: a checkbox wants booleans.
            "emails": [
                {"address": e["address"], "label": e["label"], "primary": bool(e["primary"])}
                for e in contact.email_rows
            ],
            "phones": [
                {"number": p["number"], "label": p["label"], "shared_with": p["shared_with"]}
                for p in contact.phone_rows
            ],
            "addresses": [
                {
                    **{f: a[f] for f in ADDRESS_FIELDS},
                    "id": a["id"],
                    "label": a["label"],
                    "shared_with": a["shared_with"],
                }
                for a in contact.address_rows
            ],
            "urls": [{"url": u["url"], "label": u["label"]} for u in contact.url_rows],
            "dates": [
                {f: getattr(d, f) for f in ("kind", "label", "day", "month", "year")}
                for d in contact.date_rows
            ],
        }

    def add_row(self, kind):
        """Return an unbound editor showing what was typed, plus an empty row of ``kind``."""
        initial = {"contact": {name: self.form[name].value() for name in self.form.fields}}
        for rows in self.rows:
            initial[rows.prefix] = [
                {field: form[field].value() for field in form.fields if field != "DELETE"}
                for form in rows.forms
                if not form["DELETE"].value()
            ]
        extra = {kind: 1} if len(initial.get(kind, ())) < MAX_ROWS else {}
        return ContactEditor(contact=self.contact, initial=initial, extra=extra, user=self.user)

    def is_valid(self):
        # Validate all, so every error shows at once.
        valid = [self.form.is_valid()] + [rows.is_valid() for rows in self.rows]
        return all(valid)

    def _typed(self, rows, *fields):
        return [{field: form.cleaned_data[field] for field in fields} for form in rows.typed()]

    def _typed_phones(self):
        rows = self._typed(self.phones, "number", "label")
        return [(row["number"], row["label"]) for row in rows]

    def possible_duplicates(self, *, user):
        """Return the other contacts ``user`` sees that the valid, typed contact looks like."""
        return possible_duplicates(
            user=user,
            name=self.form.cleaned_data["name"],
            emails=[row["address"] for row in self._typed(self.emails, "address")],
            phones=self._typed_phones(),
            exclude=self.contact.pk,
        )

    def save(self):
        """Save the contact with its rows; return the newly linked shared phones."""
        return contact_save(
            contact=self.form.save(commit=False),
            phones=self._typed_phones(),
            addresses=self._typed(self.addresses, "id", "label", *ADDRESS_FIELDS),
            tags=self.form.cleaned_data["tags"],
            emails=self._typed(self.emails, "address", "label", "primary"),
            urls=self._typed(self.urls, "url", "label"),
            dates=self._typed(self.dates, "kind", "label", "year", "month", "day"),
            shared_with=self.form.cleaned_data.get("shared_with"),
        )
