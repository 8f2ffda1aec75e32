"""The contact form: the contact's fields plus inline rows of phones and addresses."""

from django import forms

from ..models import ADDRESS_FIELDS, Address, Contact, ContactAddress, ContactPhone, Phone, Tag
from ..phones import phone_key, validate_phone_number
from ..queries.duplicates import possible_duplicates
from ..services.contacts import contact_save

MAX_ROWS = 20


class ContactForm(forms.ModelForm):
    email = forms.EmailField(required=False)  # interim: rows of emails replace it
    tags = forms.CharField(
        required=False, help_text="Separated by commas.", widget=forms.TextInput()
    )

    class Meta:
        model = Contact
        fields = ["name", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and self.instance.pk and "tags" not in self.initial:
            self.initial["tags"] = ", ".join(tag.name for tag in self.instance.tags.all())
            primary = self.instance.emails.order_by("-primary", "pk").first()
            self.initial.setdefault("email", primary.address if primary else "")

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


class PhoneForm(forms.Form):
    """
    One phone row; a row left empty is ignored.

    Not a model form: a number another contact has is linked, not refused as
    a duplicate. Its fields are the model's, with the model's rules.
    """

    number = Phone._meta.get_field("number").formfield(
        required=False, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})
    )
    label = ContactPhone._meta.get_field("label").formfield()  # this contact's, on its link

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


class PhoneFormSet(forms.BaseFormSet):
    def clean(self):
        seen = {}
        for form in self.forms:
            if self._should_delete_form(form) or not form.cleaned_data.get("number"):
                continue
            number = form.cleaned_data["number"]
            key = phone_key(number)
            if key in seen:
                form.add_error("number", f"{seen[key]} is in the list already.")
            else:
                seen[key] = number


def _formset(form, base=forms.BaseFormSet):
    return forms.formset_factory(
        form, formset=base, extra=1, can_delete=True, max_num=MAX_ROWS, validate_max=True
    )


PhoneRows = _formset(PhoneForm, PhoneFormSet)
AddressRows = _formset(AddressForm)


class ContactEditor:
    """
    The contact form and its phone and address rows, edited and saved as one.

    Without JavaScript, "Add a phone" and "Add an address" are submit buttons:
    ``add_row()`` re-renders what was typed, without errors, with one more row.
    """

    def __init__(self, *, contact=None, data=None, initial=None, extra=None):
        self.contact = contact or Contact()
        if initial is None:
            initial = {} if data is not None or contact is None else self._initial(contact)
        self.form = ContactForm(data, instance=self.contact, initial=initial.get("contact"))
        self.phones = PhoneRows(data, prefix="phones", initial=initial.get("phones", []))
        self.addresses = AddressRows(data, prefix="addresses", initial=initial.get("addresses", []))
        for rows in (self.phones, self.addresses):
            if extra is not None:
                rows.extra = extra.get(rows.prefix, 0)

    @staticmethod
    def _initial(contact):
        """Return the rows of a contact from ``Contact.objects.detail()``."""
        return {
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
        }

    def add_row(self, kind):
        """Return an unbound editor showing what was typed, plus an empty row of ``kind``."""
        initial = {"contact": {name: self.form[name].value() for name in self.form.fields}}
        for rows in (self.phones, self.addresses):
            initial[rows.prefix] = [
                {field: form[field].value() for field in form.fields if field != "DELETE"}
                for form in rows.forms
                if not form["DELETE"].value()
            ]
        extra = {kind: 1} if len(initial.get(kind, ())) < MAX_ROWS else {}
        return ContactEditor(contact=self.contact, initial=initial, extra=extra)

    def is_valid(self):
        # Validate all three, so every error shows at once.
        valid = [self.form.is_valid(), self.phones.is_valid(), self.addresses.is_valid()]
        return all(valid)

    def _typed_phones(self):
        return [
            (form.cleaned_data["number"], form.cleaned_data["label"])
            for form in self.phones.forms
            if form.cleaned_data.get("number") and form not in self.phones.deleted_forms
        ]

    def possible_duplicates(self):
        """Return the other contacts that the valid, typed contact looks like."""
        return possible_duplicates(
            name=self.form.instance.name or self.form.cleaned_data["name"],
            emails=[self.form.cleaned_data["email"]],
            phones=self._typed_phones(),
            exclude=self.contact.pk,
        )

    def save(self):
        """Save the contact with its rows; return the newly linked shared phones."""
        phones = self._typed_phones()
        addresses = [
            form.cleaned_data
            for form in self.addresses.forms
            if form.cleaned_data
            and not form.is_blank()
            and form not in self.addresses.deleted_forms
        ]
        return contact_save(
            contact=self.form.save(commit=False),
            phones=phones,
            addresses=addresses,
            tags=self.form.cleaned_data["tags"],
            emails=[{"address": self.form.cleaned_data["email"], "primary": True}]
            if self.form.cleaned_data["email"]
            else [],
        )
