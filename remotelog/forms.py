"""
The filters of the log viewer and of the group list, read from the URL (GET forms).

A filter that does not parse is left out (and its field says why); the others
still apply, so a hand-edited URL never breaks the page.
"""

from django import forms

from . import levels
from .models import LogGroup
from .queries.groups import SORTS

LEVEL_CHOICES = [("", "Any level")] + [
    (str(number), f"{levels.name(number)} and above") for number in levels.STANDARD
]


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's date-and-time picker, in the site's time zone, to the second."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs={"step": "1", **(attrs or {})}, format="%Y-%m-%dT%H:%M:%S")


class ApplicationSlugField(forms.ChoiceField):
    """An application, by slug, among those given: no query of its own."""

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def set_applications(self, applications):
        self.applications = {application.slug: application for application in applications}
        self.choices = [("", "All applications")] + [
            (application.slug, application.name) for application in applications
        ]

    def clean(self, value):
        return self.applications.get(super().clean(value))


class FilterForm(forms.Form):
    """A GET form whose valid fields are the filters, given the list of applications."""

    app = ApplicationSlugField(label="Application")
    level = forms.TypedChoiceField(
        label="Level", choices=LEVEL_CHOICES, coerce=int, empty_value=None, required=False
    )

    def __init__(self, data, *, applications):
        super().__init__(data)
        self.fields["app"].set_applications(applications)

    def filters(self):
        """Return the valid filters, empty ones left out: {field name: value}."""
        self.is_valid()
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value not in (None, "") and name not in self.errors
        }


class RecordFilterForm(FilterForm):
    """The log viewer's filters: every one of them is in the URL."""

    logger = forms.CharField(label="Logger", max_length=255, required=False)
    group = forms.IntegerField(label="Group", min_value=1, max_value=2**63 - 1, required=False)
    since = forms.DateTimeField(label="From", widget=DateTimeLocalInput(), required=False)
    until = forms.DateTimeField(label="To", widget=DateTimeLocalInput(), required=False)
    q = forms.CharField(label="Text", max_length=200, required=False)


class GroupFilterForm(FilterForm):
    """The group list's filters, search and order."""

    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *LogGroup.Status.choices], required=False
    )
    q = forms.CharField(label="Search", max_length=200, required=False)
    sort = forms.ChoiceField(
        label="Sort by",
        choices=[(key, key.replace("_", " ")) for key in SORTS],
        required=False,
    )
