"""The form of the merge screen."""

from django import forms

from ..models import Contact
from ..services.duplicates import CHOSEN_FIELDS


def field_label(name):
    """Return what the merge screen calls the contact field ``name``: "Display name"."""
    return Contact._meta.get_field(name).verbose_name.capitalize()


def email_addresses(*contacts):
    """
    Return the email addresses of ``contacts`` (their ``emails`` fetched),
    each once ignoring case, as the first contact spells it, and each
    contact's primary before its other addresses.
    """
    addresses = {}
    for contact in contacts:
        for email in sorted(contact.emails.all(), key=lambda email: not email.primary):
            addresses.setdefault(email.address.casefold(), email.address)
    return list(addresses.values())


class MergeForm(forms.Form):
    """
    Choose whose value the merged contact keeps, for each field where the
    two contacts have a different one, and its primary email among the
    addresses of both.

    A field only one of them has a value for takes that value: no choice.
    """

    def __init__(self, *args, keep, duplicate, **kwargs):
        super().__init__(*args, **kwargs)
        self.keep, self.duplicate = keep, duplicate
        for name in CHOSEN_FIELDS:
            mine, theirs = getattr(keep, name), getattr(duplicate, name)
            if not mine or not theirs or mine == theirs:
                continue
            choices = [("keep", mine), ("duplicate", theirs)]
            if name == "notes":
                choices.append(("both", "Both, one after the other"))
            self.fields[name] = forms.ChoiceField(
                label=field_label(name),
                choices=choices,
                widget=forms.RadioSelect,
                initial="keep",
            )
        addresses = email_addresses(keep, duplicate)
        if len(addresses) > 1:
            self.fields["primary_email"] = forms.ChoiceField(
                label="Primary email",
                choices=[(address, address) for address in addresses],
                widget=forms.RadioSelect,
                # Keep's primary, else the duplicate's: primaries come first.
                initial=addresses[0],
            )

    def values(self):
        """Return the chosen values, by field name, for ``contact_merge()``."""
        values = {}
        for name, choice in self.cleaned_data.items():
            if name == "primary_email":
                values[name] = choice
                continue
            mine, theirs = getattr(self.keep, name), getattr(self.duplicate, name)
            values[name] = {"keep": mine, "duplicate": theirs, "both": f"{mine}\n\n{theirs}"}[
                choice
            ]
        return values
