"""Forms for relating contacts."""

from django import forms

from ..converters import MAX_ID
from ..models import Contact, RelationshipType


class IdsField(forms.ModelMultipleChoiceField):
    """Choose rows by id; a value that is no id is an invalid choice, never an error."""

    widget = forms.CheckboxSelectMultiple

    def _check_values(self, value):
        # Django checks each id against the database with one IN query, which
        # SQLite refuses with an OverflowError for an id beyond 64 bits: refuse
        # ids that are not ids before asking.
        for pk in value:
            if not str(pk).isdigit() or int(pk) > MAX_ID:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


class TypesField(IdsField):
    def __init__(self, **kwargs):
        super().__init__(queryset=RelationshipType.objects.all(), required=False, **kwargs)


class RelateForm(forms.Form):
    """Relate a contact to another one, picked from search results, with types."""

    other = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        label="Contact",
        error_messages={
            "required": "Choose the contact to relate to: search by name, then pick one.",
            "invalid_choice": "That contact no longer exists: search again.",
        },
    )
    types = TypesField(label="Relationship types")

    def __init__(self, *args, contact, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.contact = contact
        # Never the contact itself: a relationship is between two contacts;
        # never one the user cannot see (crm.visibility).
        others = Contact.objects.visible_to(user).exclude(pk=contact.pk)
        self.fields["other"].queryset = others


class TypesForm(forms.Form):
    """Choose the types of a relationship."""

    types = TypesField(label="Relationship types")
