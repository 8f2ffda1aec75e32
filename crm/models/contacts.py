"""The contact, and its emails, URLs and dates."""

import datetime
import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import ExpressionWrapper, Q, Value
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse

from ..queries.contacts import ContactQuerySet, LiveContactManager
from ..search import with_own_words
from .names import NAME_FIELDS, NAME_PARTS, display_name, list_key, sort_key
from .relationships import RelatedContactsField
from .shared import Address, Phone
from .tags import Tag
from .teams import Team

# What a sort key holds for "no date" (crm.queries.pages): earlier than any date.
NO_TIME = datetime.datetime(1, 1, 1, tzinfo=datetime.UTC)


# What the list's sort indexes include, to filter a page's rows in the index alone.
LISTED = ["team", "trashed"]


class Contact(models.Model):
    """
    A person or organisation in the contact book, as rich as a vCard 4.0
    (RFC 6350): the name (FN) and its parts (N), nickname, organisation and
    title, and any number of emails, URLs, dates, phones, addresses and tags.
    """

    name = models.CharField(
        "display name",
        max_length=200,
        blank=True,
        help_text="Left empty, made from the name parts, else the nickname or the organisation.",
    )
    name_key = models.CharField(
        max_length=200,
        editable=False,
        help_text="The display name as duplicates are matched: see sort_key().",
    )
    sort_name = models.CharField(max_length=200, editable=False)
    honorific_prefix = models.CharField("prefix", max_length=50, blank=True)
    given_name = models.CharField(max_length=100, blank=True)
    additional_names = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    honorific_suffix = models.CharField("suffix", max_length=50, blank=True)
    nickname = models.CharField(max_length=100, blank=True)
    organization = models.CharField("organisation", max_length=200, blank=True)
    job_title = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    last_interaction = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the latest call, meeting, email, message or other interaction "
        "of its timeline was (notes do not count); kept by crm.services.timeline.",
    )
    # Trigram-indexed on PostgreSQL by migration crm.0012 (not declared here:
    # SQLite has no such index), so that every word of a search is an index scan.
    search_text = models.TextField(
        blank=True,
        editable=False,
        help_text="What search compares, folded (crm.search): the words of the contact's "
        "own fields, then of its emails, phones, addresses and tags.",
    )

    phones = models.ManyToManyField(
        Phone, through="ContactPhone", blank=True, related_name="contacts"
    )
    addresses = models.ManyToManyField(
        Address, through="ContactAddress", blank=True, related_name="contacts"
    )
    contacts = RelatedContactsField(
        "self", through="ContactRelationship", symmetrical=True, blank=True
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts")

    # Who answers for the contact, and the team it belongs to and is shared
    # with: what a user sees when CRM_VISIBILITY is "team" (crm.visibility).
    # A deactivated owner's contacts stay theirs until reassigned; a team with
    # contacts cannot be deleted before they move.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_contacts",
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="contacts"
    )
    shared_with = models.ManyToManyField(
        Team,
        blank=True,
        related_name="shared_contacts",
        help_text="Other teams that see this contact.",
    )

    # In the trash since then (crm.services.trash), else None: a trashed
    # contact keeps every row it holds, for a restore, until it is purged.
    trashed = models.DateTimeField(null=True, blank=True, editable=False)
    trashed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="merged_away",
        help_text="The contact a merge moved this one's rows to, when it trashed this one.",
    )

    # The first manager is the default one: the site, the related managers
    # (a tag's contacts, a phone's) and the admin see live contacts only. The
    # base manager stays unfiltered, so a row's link to a trashed contact
    # still reads.
    objects = LiveContactManager()
    all_objects = ContactQuerySet.as_manager()

    # The contact's own fields that search finds it by (crm.search).
    SEARCHED_FIELDS = (*NAME_FIELDS, "organization", "job_title")
    # Fields save() derives, and the fields they are derived from.
    DERIVED = {"name", "name_key", "sort_name", "search_text"}
    DERIVED_FROM = {*NAME_PARTS, *SEARCHED_FIELDS}
    # What save() writes of a contact that exists: all but what the timeline keeps.
    KEPT_BY_TIMELINE = {"last_interaction"}

    class Meta:
        ordering = ["sort_name", "id"]
        indexes = [
            # Serve the list's sorts and keyset pages, both directions (crm.queries.pages):
            # by name, by organisation, created, updated. Each includes (PostgreSQL) the
            # team and whether in the trash: a page is then found in the index alone,
            # the rows another team's ("team" visibility) skipped without reading the
            # table (crm.visibility; bench/README.md).
            models.Index(fields=["sort_name", "id"], include=LISTED, name="crm_contact_sort"),
            # Those without an organisation last both ways: two keys, "is it empty?"
            # ascending and "is it filled?" descending, each read one way.
            models.Index(
                ExpressionWrapper(Q(organization=""), output_field=models.BooleanField()),
                "organization",
                "id",
                include=LISTED,
                name="crm_contact_organization_sort",
            ),
            models.Index(
                ExpressionWrapper(~Q(organization=""), output_field=models.BooleanField()),
                "organization",
                "id",
                include=LISTED,
                name="crm_contact_organization_desc",
            ),
            # Also the list's created range, the admin's date hierarchy and "created" filter.
            models.Index(fields=["created", "id"], include=LISTED, name="crm_contact_created_sort"),
            models.Index(fields=["updated", "id"], include=LISTED, name="crm_contact_updated_sort"),
            # Those without an interaction last both ways, as for the organisation
            # (crm.queries.pages.Sort.null_last: the key has no NULL to compare).
            models.Index(
                ExpressionWrapper(Q(last_interaction=None), output_field=models.BooleanField()),
                Coalesce("last_interaction", Value(NO_TIME)),
                "id",
                include=LISTED,
                name="crm_contact_interaction_sort",
            ),
            models.Index(
                ExpressionWrapper(~Q(last_interaction=None), output_field=models.BooleanField()),
                Coalesce("last_interaction", Value(NO_TIME)),
                "id",
                include=LISTED,
                name="crm_contact_interaction_desc",
            ),
            # Serves the duplicate warning and the duplicates page, by name.
            models.Index(fields=["name_key"], name="crm_contact_name_key"),
            # A team's contacts by id; on PostgreSQL, with whether each is in the trash,
            # so that the list's count in "team" visibility reads the index alone
            # (crm.visibility.visible_parts). Not partial: a partial index on the live
            # rows would be an index of every live contact, one the planner takes
            # for "not in the trash" alone. The foreign key keeps its own index:
            # deduplicated, a tenth of this one's size, it is the one a search
            # intersects with (BitmapAnd), two to three times quicker at a million.
            models.Index(fields=["team", "id"], include=["trashed"], name="crm_contact_team"),
            # The trash page, newest first, and the purge: the trashed rows only.
            models.Index(
                fields=["trashed", "id"],
                condition=Q(trashed__isnull=False),
                name="crm_contact_trash",
            ),
        ]
        # Beside Django's view, add, change and delete (which moves to the trash):
        # what the roles grant (crm.roles), checked per page (crm.permissions).
        permissions = [
            ("export_contact", "Can export contacts"),
            ("import_contacts", "Can import contacts"),
            ("undo_import", "Can undo an import"),
            ("merge_contact", "Can merge duplicate contacts"),
            ("restore_contact", "Can restore contacts from the trash or their history"),
            ("destroy_contact", "Can delete contacts for good"),
            ("view_all_contacts", "Can see every team's contacts"),
            ("assign_contact", "Can change the owner and teams of contacts"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(name=""),
                name="crm_contact_has_name",
                violation_error_code="no_name",
                violation_error_message="Give a name: a display name, a given or family "
                "name, a nickname or an organisation.",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.derive()
        fields = kwargs.get("update_fields")
        if fields is None and not self._state.adding and not kwargs.get("force_insert"):
            # The timeline keeps last_interaction (crm.services.timeline): a contact
            # read before an entry was added must not write its old value back.
            kwargs["update_fields"] = self._saved_fields()
        elif fields is not None and self.DERIVED_FROM & set(fields):
            kwargs["update_fields"] = {*fields, *self.DERIVED}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("crm:contact_detail", args=[self.pk])

    def validate_constraints(self, exclude=None):
        # Check the name save() will store: made from the parts when left empty.
        self.derive()
        super().validate_constraints(exclude=exclude)

    @classmethod
    @functools.cache
    def _saved_fields(cls):
        """Return the fields save() writes of a contact that exists."""
        return [
            field.name
            for field in cls._meta.concrete_fields
            if not field.primary_key and field.name not in cls.KEPT_BY_TIMELINE
        ]

    def derive(self):
        """
        Fill the display name when empty, the keys the list and duplicates
        use, and the words of the search text that come from the contact's
        own fields (those of its rows are ``contact_search_refresh()``'s).
        """
        self.name = " ".join(self.name.split()) or display_name(vars(self))
        self.name_key = sort_key(self.name)
        self.sort_name = list_key(vars(self))
        own = [getattr(self, field) for field in self.SEARCHED_FIELDS]
        self.search_text = with_own_words(self.search_text, own)


class Email(models.Model):
    """One of a contact's email addresses; one of them is its primary email."""

    class Label(models.TextChoices):
        HOME = "home", "Home"
        WORK = "work", "Work"
        OTHER = "other", "Other"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    address = models.EmailField(max_length=254)
    label = models.CharField(max_length=10, choices=Label.choices, default=Label.HOME)
    primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-primary", "pk"]
        indexes = [
            # Serves the duplicate warning and the duplicates page, by email.
            models.Index(Lower("address"), name="crm_email_lower_address"),
        ]
        constraints = [
            models.UniqueConstraint(
                "contact", Lower("address"), name="crm_email_unique_per_contact"
            ),
            models.UniqueConstraint(
                fields=["contact"], condition=Q(primary=True), name="crm_email_one_primary"
            ),
        ]

    def __str__(self):
        return self.address


class Url(models.Model):
    """One of a contact's web addresses: a home page, a profile, a blog."""

    class Label(models.TextChoices):
        HOME = "home", "Personal"
        WORK = "work", "Work"
        PROFILE = "profile", "Profile"
        BLOG = "blog", "Blog"
        OTHER = "other", "Other"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="urls")
    url = models.URLField("URL", max_length=500)
    label = models.CharField(max_length=10, choices=Label.choices, default=Label.HOME)

    class Meta:
        verbose_name = "URL"
        ordering = ["pk"]

    def __str__(self):
        return self.url


class ContactDate(models.Model):
    """
    A date in a contact's life: a birthday, an anniversary, another with a
    label. The year is optional, as in vCard's ``--12-24``.
    """

    class Kind(models.TextChoices):
        BIRTHDAY = "birthday", "Birthday"
        ANNIVERSARY = "anniversary", "Anniversary"
        OTHER = "other", "Other"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="dates")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.BIRTHDAY)
    label = models.CharField(
        max_length=50, blank=True, help_text="What the date is, for another date."
    )
    year = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(9999)]
    )
    month = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    day = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(31)])

    class Meta:
        verbose_name = "date"
        ordering = ["month", "day", "pk"]
        constraints = [
            # vCard has one BDAY and one ANNIVERSARY: so does a contact.
            models.UniqueConstraint(
                fields=["contact", "kind"],
                condition=Q(kind__in=["birthday", "anniversary"]),
                name="crm_date_one_birthday_one_anniversary",
            ),
            models.CheckConstraint(
                condition=Q(month__gte=1, month__lte=12, day__gte=1, day__lte=31),
                name="crm_date_month_day",
            ),
        ]

    def __str__(self):
        return self.iso

    @property
    def iso(self):
        """Return the date as vCard 4.0 writes it: "1815-12-10", or "--12-10" without year."""
        year = f"{self.year:04d}" if self.year else "-"
        return f"{year}-{self.month:02d}-{self.day:02d}"

    @property
    def title(self):
        """Return what the date is: "Birthday", or the label of another date."""
        return (self.kind == self.Kind.OTHER and self.label) or self.get_kind_display()

    def clean(self):
        if self.month and self.day:
            try:
                # A year-less 29 February is a date: 2000 was a leap year.
                datetime.date(self.year or 2000, self.month, self.day)
            except ValueError:
                raise ValidationError({"day": "There is no such day in that month."}) from None
