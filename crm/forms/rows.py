"""
The rows of the contact form: emails, URLs, dates, phones and addresses,
each kind a formset whose rows left empty are ignored.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.dates import MONTHS

from ..models import (
    ADDRESS_FIELDS,
    Address,
    ContactAddress,
    ContactDate,
    ContactPhone,
    Email,
    Phone,
    Url,
)
from ..phones import phone_key, validate_phone_number

MAX_ROWS = 20


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
