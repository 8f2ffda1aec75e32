"""The form of the merge screen."""

from django import forms

# The values a merge lets the user choose between, with their labels.
MERGED_FIELDS = {"name": "Name", "email": "Email", "notes": "Notes"}


class MergeForm(forms.Form):
    """Choose, field by field, whose value the merged contact keeps."""

    def __init__(self, *args, keep, duplicate, **kwargs):
        super().__init__(*args, **kwargs)
        self.keep, self.duplicate = keep, duplicate
        for name, label in MERGED_FIELDS.items():
            mine, theirs = getattr(keep, name), getattr(duplicate, name)
            if mine == theirs:
                continue
            choices = [("keep", mine or "(empty)"), ("duplicate", theirs or "(empty)")]
            if name == "notes" and mine and theirs:
                choices.append(("both", "Both, one after the other"))
            self.fields[name] = forms.ChoiceField(
                label=label,
                choices=choices,
                widget=forms.RadioSelect,
                # The kept contact's value, unless only the duplicate has one.
                initial="keep" if mine or not theirs else "duplicate",
            )

    def values(self):
        """Return the chosen values, by field name, for ``contact_merge()``."""
        values = {}
        for name, choice in self.cleaned_data.items():
            mine, theirs = getattr(self.keep, name), getattr(self.duplicate, name)
            values[name] = {"keep": mine, "duplicate": theirs, "both": f"{mine}\n\n{theirs}"}[
                choice
            ]
        return values
