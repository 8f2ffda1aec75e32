"""
The contact list's bulk form: an action, and the contacts it acts on.

The contacts are either the rows ticked on the page (``ids``) or, with
``all=1``, every contact the list's search and filters match, read from the
same fields by ``ContactListForm``.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.urls import reverse

from ..converters import MAX_ID
from ..models import Contact, Tag, Team
from ..services.teams import KEEP
from .listing import ContactListForm, user_label

# A page shows at most 200 rows: more ids than this were not ticked by hand.
# (Past DATA_UPLOAD_MAX_NUMBER_FIELDS, 1,000 fields, Django answers 400 itself.)
MAX_IDS = 500

# What the list's URL may carry back: its search, filters, sort and page.
LIST_PARAMETERS = [
    *ContactListForm.base_fields,
    "per_page",
    "after",
    "before",
    "page",
]


def list_url(query_string: str) -> str:
    """
    Return the list's URL with the state ``query_string`` carries.

    Only the list's own parameters are kept, re-encoded: whatever was posted,
    the answer is a path of this site's list.
    """
    given = QueryDict(query_string[:4000])
    state = QueryDict(mutable=True)
    for name in LIST_PARAMETERS:
        if values := given.getlist(name):
            state.setlist(name, values)
    url = reverse("crm:contact_list")
    return f"{url}?{state.urlencode()}" if state else url


def list_filters(data) -> list[tuple[str, str]]:
    """Return the (name, value) pairs of the list's search, filters and sort in ``data``."""
    return [(name, value) for name in ContactListForm.base_fields for value in data.getlist(name)]


class IdsField(forms.Field):
    """Ids of contacts ticked on the page: digits, each a possible id, at most ``MAX_IDS``."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if len(value) > MAX_IDS:
            raise forms.ValidationError(
                f"Select at most {MAX_IDS} contacts, or all those matching the search."
            )
        if not all(
            isinstance(pk, str) and len(pk) <= 19 and pk.isascii() and pk.isdigit() for pk in value
        ):
            raise forms.ValidationError("The selection is not a list of contacts.")
        # A number beyond any id would make the database fail, not match nothing.
        return sorted({pk for pk in map(int, value) if 0 < pk <= MAX_ID})


class BulkActionForm(forms.Form):
    """An action of the list's bulk bar, and the selection it acts on."""

    ACTIONS = {
        "tag": "Add tag",
        "untag": "Remove tag",
        "export_csv": "Export CSV",
        "export_vcf": "Export vCard",
        "delete": "Delete",
        "merge": "Merge",
        "assign": "Assign",
    }

    action = forms.ChoiceField(choices=ACTIONS.items())
    ids = IdsField(required=False)
    all = forms.BooleanField(required=False)
    tag_name = forms.CharField(required=False, max_length=Tag._meta.get_field("name").max_length)
    # "Assign": named apart from the list's own owner and team filters, which
    # the form carries too for "all matching". A new owner is an active user.
    new_owner = forms.ModelChoiceField(
        get_user_model()._default_manager.filter(is_active=True), required=False
    )
    new_team = forms.ModelChoiceField(Team.objects.all(), required=False)
    share = forms.ModelChoiceField(Team.objects.all(), required=False)
    unshare = forms.ModelChoiceField(Team.objects.all(), required=False)

    def __init__(self, data, *, user):
        super().__init__(data)
        self.user = user
        self.list_form = ContactListForm(data, user=user)

    def clean_tag_name(self):
        """Return the tag's name with spaces collapsed, as a contact's form saves it."""
        name = " ".join(self.cleaned_data["tag_name"].split())
        if "," in name:
            # A contact's form reads a comma as two tags.
            raise forms.ValidationError("A tag's name cannot contain a comma.")
        return name

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("all"):
            # Never act on more than the list meant because a filter was dropped.
            if not self.list_form.is_valid():
                raise forms.ValidationError(
                    "The list's search or filters are not valid: correct them first."
                )
        elif not cleaned.get("ids") and "ids" not in self.errors:
            raise forms.ValidationError("Select at least one contact first.")
        if cleaned.get("action") in ("tag", "untag") and not cleaned.get("tag_name"):
            self.add_error("tag_name", "Type the name of a tag.")
        if cleaned.get("action") == "assign":
            self._clean_assignment(cleaned)
        return cleaned

    ASSIGNMENT = ("new_owner", "new_team", "share", "unshare")

    def _clean_assignment(self, cleaned):
        if any(name in self.errors for name in self.ASSIGNMENT):
            return  # a choice that is not one: said beside it
        if not any(cleaned.get(name) for name in self.ASSIGNMENT):
            raise forms.ValidationError("Choose an owner, a team, or a team to share with.")
        if cleaned.get("share") and cleaned.get("share") == cleaned.get("unshare"):
            raise forms.ValidationError("Share with a team, or stop sharing with it: not both.")

    def assignment(self) -> dict:
        """Return what "Assign" changes, as ``contacts_assign()`` takes it."""
        data = self.cleaned_data
        return {
            "owner": data["new_owner"] or KEEP,
            "team": data["new_team"] or KEEP,
            "share": data["share"],
            "unshare": data["unshare"],
        }

    def assignment_text(self) -> str:
        """Return what "Assign" changes, as a user reads it: "owner ada, team Sales"."""
        data, parts = self.cleaned_data, []
        if data["new_owner"]:
            parts.append(f"owner {user_label(data['new_owner'])}")
        if data["new_team"]:
            parts.append(f"team {data['new_team']}")
        if data["share"]:
            parts.append(f"shared with {data['share']}")
        if data["unshare"]:
            parts.append(f"no longer shared with {data['unshare']}")
        return ", ".join(parts)

    @property
    def list_url(self) -> str:
        """The list the form was posted from, with its search, filters and page."""
        return list_url(self.data.get("list", ""))

    def contacts(self):
        """Return the selected contacts that the user sees, unordered."""
        if self.cleaned_data["all"]:
            return self.list_form.contacts()
        return Contact.objects.visible_to(self.user).filter(pk__in=self.cleaned_data["ids"])

    def selection(self) -> list[tuple[str, object]]:
        """Return the (name, value) pairs that post the same selection and list again."""
        if self.cleaned_data["all"]:
            pairs = [("all", "1"), *list_filters(self.data)]
        else:
            pairs = [("ids", pk) for pk in self.cleaned_data["ids"]]
        return [*pairs, ("list", self.data.get("list", ""))]

    def error_message(self) -> str:
        """Return the form's errors as one sentence for a flash message."""
        return " ".join(error for errors in self.errors.values() for error in errors)
