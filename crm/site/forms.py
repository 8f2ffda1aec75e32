"""The forms of the site's own pages: the account's API tokens."""

from django import forms

from ..models import ApiToken


class TokenForm(forms.Form):
    """A new personal API token: what it is for, and whether it may write."""

    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What or who will use it, e.g. “billing sync”.",
    )
    scope = forms.ChoiceField(
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        help_text="A read-only token is refused every change.",
    )

    def clean_name(self):
        return self.cleaned_data["name"].strip()
