"""
The contact form: the contact's fields plus inline rows of emails, URLs,
dates, phones and addresses.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.dates import MONTHS

from ..models import (
    ADDRESS_FIELDS,
    Address,
    Contact,
    ContactAddress,
    ContactDate,
    ContactPhone,
    Email,
    Phone,
    Tag,
    Url,
    display_name,
)
from ..phones import phone_key, validate_phone_number
from ..queries.duplicates import possible_duplicates
from ..services.contacts import contact_save

MAX_ROWS = 20
NAME_FIELDS = [
    "name",
    "honorific_prefix",
    "given_name",
    "additional_names",
    "family_name",
    "honorific_suffix",
    "nickname",
]


class ContactForm(forms.ModelForm):
    tags = forms.CharField(
        required=False, help_text="Separated by commas.", widget=forms.TextInput()
    )

    class Meta:
        model = Contact
        fields = [*NAME_FIELDS, "organization", "job_title", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        contact = self.instance
        if not self.is_bound and contact.pk and "tags" not in self.initial:
            self.initial["tags"] = ", ".join(tag.name for tag in contact.tags.all())
            # A display name made from the parts is shown empty, so that it
            # keeps following them when they change.
            if contact.name == display_name(vars(contact)):
                self.initial["name"] = ""

    def name_fields(self):
        return [self[name] for name in NAME_FIELDS]

    def other_fields(self):
        return [self[name] for name in self.fields if name not in NAME_FIELDS]

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


class RowForm(forms.Form):
    """A row of the form; a row left empty is ignored."""

    def is_blank(self):
        return not any(self.cleaned_data.get(field) for field in self.row_fields)


class PhoneForm(RowForm):
    """
    One phone row.

    Not a model form: a number another contact has is linked, not refused as
    a duplicate. Its fields are the model's, with the model's rules.
    """

    number = Phone._meta.get_field("number").formfield(
        required=False, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})
    )
    label = ContactPhone._meta.get_field("label").formfield()  # this contact's, on its link
    row_fields = ["number"]

    def clean_number(self):
        number = " ".join(self.cleaned_data["number"].split())
        if number:
            validate_phone_number(number)  # the model's validator, which forms do not run
        return number


class AddressForm(forms.ModelForm):
    """One address row; a row left empty is ignored. ``id`` names the row being changed."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    label = ContactAddress._meta.get_field("label").formfield()  # this contact's, on its link

    class Meta:
        model = Address
        fields = ["label", *ADDRESS_FIELDS]

    def is_blank(self):
        return not any(self.cleaned_data.get(f) for f in ADDRESS_FIELDS)


class EmailForm(RowForm):
    """One email row; ``primary`` marks the one written to first."""

    address = Email._meta.get_field("address").formfield(
        required=False, widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    label = Email._meta.get_field("label").formfield()
    primary = forms.BooleanField(required=False)
    row_fields = ["address"]


class UrlForm(RowForm):
    """One web address row: a link the contact's page shows, so only http and https."""

    url = forms.URLField(
        label="URL",
        required=False,
        max_length=Url._meta.get_field("url").max_length,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        widget=forms.URLInput(attrs={"autocomplete": "off"}),
    )
    label = Url._meta.get_field("label").formfield()
    row_fields = ["url"]


class DateForm(RowForm):
    """One date row: a day and a month, with or without a year (vCard's ``--12-24``)."""

    kind = ContactDate._meta.get_field("kind").formfield()
    label = ContactDate._meta.get_field("label").formfield(
        help_text="", widget=forms.TextInput(attrs={"placeholder": "For another date"})
    )
    day = forms.IntegerField(required=False, min_value=1, max_value=31)
    month = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, choices=[("", "Month"), *MONTHS.items()]
    )
    year = forms.IntegerField(required=False, min_value=1, max_value=9999)
    row_fields = ["day", "month", "year"]

    def clean(self):
        cleaned = super().clean()
        if self.is_blank():
            return cleaned
        for field in ("day", "month"):
            if not cleaned.get(field) and field not in self.errors:
                self.add_error(field, "Give the day and the month; the year may be left out.")
        if not self.errors:
            try:
                # The model's rule: no 31 April; 29 February without a year or in a leap year.
                ContactDate(**{f: cleaned[f] for f in self.row_fields}).clean()
            except ValidationError as error:
                self.add_error(None, error)
        if cleaned.get("kind") != ContactDate.Kind.OTHER:
            cleaned["label"] = ""  # a birthday is called a birthday
        return cleaned


class RowFormSet(forms.BaseFormSet):
    """
    Rows of one kind. Two rows whose ``key_field`` has the same ``key()``
    are the same row typed twice: the second is an error.
    """

    key_field = None

    def typed(self):
        """Return the valid rows that are neither empty nor removed."""
        return [
            form
            for form in self.forms
            if form.cleaned_data and not form.is_blank() and not self._should_delete_form(form)
        ]

    def clean(self):
        if self.key_field is None or any(self.errors):
            return
        seen = {}
        for form in self.typed():
            value = form.cleaned_data[self.key_field]
            key = self.key(value)
            if key in seen:
                form.add_error(self.key_field, f"{seen[key]} is in the list already.")
            else:
                seen[key] = value

    def key(self, value):
        return value


class PhoneFormSet(RowFormSet):
    key_field = "number"

    def key(self, number):
        return phone_key(number)


class EmailFormSet(RowFormSet):
    key_field = "address"

    def key(self, address):
        return address.casefold()

    def clean(self):
        super().clean()
        primaries = [form for form in self.typed() if form.cleaned_data["primary"]]
        for form in primaries[1:]:
            form.add_error("primary", "Only one email can be the primary one.")


class UrlFormSet(RowFormSet):
    key_field = "url"


class DateFormSet(RowFormSet):
    def clean(self):
        once = {ContactDate.Kind.BIRTHDAY, ContactDate.Kind.ANNIVERSARY}
        seen = set()
        for form in self.typed():
            kind = form.cleaned_data.get("kind")
            if kind in seen:
                label = ContactDate.Kind(kind).label.lower()
                form.add_error("kind", f"A contact has one {label}: this is a second one.")
            elif kind in once:
                seen.add(kind)


def _formset(form, base):
    return forms.formset_factory(
        form, formset=base, extra=1, can_delete=True, max_num=MAX_ROWS, validate_max=True
    )


PhoneRows = _formset(PhoneForm, PhoneFormSet)
AddressRows = _formset(AddressForm, RowFormSet)
EmailRows = _formset(EmailForm, EmailFormSet)
UrlRows = _formset(UrlForm, UrlFormSet)
DateRows = _formset(DateForm, DateFormSet)


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

    def __init__(self, *, contact=None, data=None, initial=None, extra=None):
        self.contact = contact or Contact()
        if initial is None:
            initial = {} if data is not None or contact is None else self._initial(contact)
        self.form = ContactForm(data, instance=self.contact, initial=initial.get("contact"))
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
        return ContactEditor(contact=self.contact, initial=initial, extra=extra)

    def is_valid(self):
        # Validate all, so every error shows at once.
        valid = [self.form.is_valid()] + [rows.is_valid() for rows in self.rows]
        return all(valid)

    def _typed(self, rows, *fields):
        return [{field: form.cleaned_data[field] for field in fields} for form in rows.typed()]

    def _typed_phones(self):
        rows = self._typed(self.phones, "number", "label")
        return [(row["number"], row["label"]) for row in rows]

    def possible_duplicates(self):
        """Return the other contacts that the valid, typed contact looks like."""
        return possible_duplicates(
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
        )
