"""The contact book: contacts, their phones and addresses, and relationships."""

import datetime
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.fields.related_descriptors import ManyToManyDescriptor
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.functional import cached_property

from .phones import international, normalize, validate_phone_number
from .queries.contacts import ContactQuerySet
from .queries.tags import TagQuerySet


def sort_key(name):
    """
    Return the key contacts are listed and matched as duplicates by: the name,
    case-folded, without accents (NFKD, combining marks dropped), and with
    single spaces, so "  Adá  COSTA" is "ada costa".
    """
    decomposed = unicodedata.normalize("NFKD", (name or "").casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


class Phone(models.Model):
    """
    A phone number, shareable by several contacts (an office line).

    What the number is to a contact (its label) belongs to the contact's link,
    ``ContactPhone``: one office line can be "Office" for one and "Work" for another.
    """

    class Label(models.TextChoices):
        MOBILE = "mobile", "Mobile"
        OFFICE = "office", "Office"
        HOME = "home", "Home"
        FAX = "fax", "Fax"
        OTHER = "other", "Other"

    number = models.CharField(
        max_length=40, validators=[validate_phone_number], help_text="As typed."
    )
    digits = models.CharField(
        max_length=40,
        editable=False,
        help_text="Key for sharing, de-duplication and search: the E.164 digits "
        "when normalised, else the digits as typed.",
    )
    e164 = models.CharField(
        "E.164",
        max_length=16,
        blank=True,
        editable=False,
        help_text="The number in E.164 form; empty when it is not normalised "
        "(an extension, a short code): it is kept as typed.",
    )

    class Meta:
        ordering = ["digits"]
        constraints = [
            # One Phone per number, whatever the punctuation: a number typed
            # for a second contact links the existing row.
            models.UniqueConstraint(fields=["digits"], name="crm_phone_unique_digits"),
            models.CheckConstraint(condition=~Q(digits=""), name="crm_phone_has_digits"),
        ]

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        self.normalize()
        if kwargs.get("update_fields") is not None and "number" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "digits", "e164"}
        super().save(*args, **kwargs)

    @classmethod
    def typed(cls, number, **fields):
        """Return an unsaved Phone for ``number`` as typed, its key derived (for bulk_create)."""
        phone = cls(number=number, **fields)
        phone.normalize()
        return phone

    def normalize(self):
        """Derive ``digits`` and ``e164`` from ``number``, by the phone rules."""
        key, e164 = normalize(self.number)
        self.digits, self.e164 = key, e164 or ""

    @property
    def international(self):
        """Return the number in international format, or "" when not normalised."""
        return international(self.e164) if self.e164 else ""

    def validate_constraints(self, exclude=None):
        """
        Check the constraints on ``digits`` as errors of ``number``.

        ``digits`` is derived from ``number`` and not editable, so a ModelForm
        (the admin's) leaves it out of validation, and a taken number would
        reach the database as an IntegrityError: derive it here and check it
        when, and only when, ``number`` is checked.
        """
        exclude = set(exclude or ())
        if "number" in exclude:
            exclude.add("digits")
        else:
            self.normalize()
            exclude.discard("digits")
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict({})
            if "digits" in errors:
                del errors["digits"]
                others = Phone.objects.filter(digits=self.digits).exclude(pk=self.pk)
                taken = others.values_list("number", flat=True).first()
                errors.setdefault("number", []).append(
                    ValidationError(
                        "%(taken)s is the same number: link that phone instead.",
                        code="phone_taken",
                        # None when the other phone went away meanwhile.
                        params={"taken": taken or "Another phone"},
                    )
                )
            raise ValidationError(errors) from None


# The parts of an address in the order one line shows them, and what a user edits
# (the label is the contact's, on its link: ContactAddress).
ADDRESS_LINE = ("street", "postal_code", "city", "region", "country")
ADDRESS_FIELDS = ("street", "city", "region", "postal_code", "country")


def address_line(parts):
    """Return an address on one line from ``parts``, a mapping of its field names."""
    return ", ".join(parts[name] for name in ADDRESS_LINE if parts.get(name))


class Address(models.Model):
    """
    A postal address, shareable by several contacts (an office building).

    Its label is each contact's own, on the link: ``ContactAddress``.
    """

    class Label(models.TextChoices):
        HOME = "home", "Home"
        WORK = "work", "Work"
        OTHER = "other", "Other"

    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name_plural = "addresses"
        indexes = [models.Index(fields=["city"], name="crm_address_city")]

    def __str__(self):
        return address_line(vars(self)) or "(empty address)"


class RelationshipType(models.Model):
    """A kind of relationship between two contacts: colleague, spouse, assistant."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Tag(models.Model):
    """A word filed on contacts ("VIP", "Supplier"); a contact has any number."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            # "VIP" and "vip" are one tag: the form finds it by this key.
            models.UniqueConstraint(Lower("name"), name="crm_tag_unique_lower_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("crm:tag_detail", args=[self.slug])


class _ReadOnlyManyToManyDescriptor(ManyToManyDescriptor):
    """A many-to-many accessor whose manager reads but refuses every write."""

    @cached_property
    def related_manager_cls(self):
        manager = super().related_manager_cls

        def refuse(self, *args, **kwargs):
            raise TypeError(
                "Contact.contacts is read-only: relate contacts with crm.services "
                "(relationship_add, relationship_remove, relationship_set_types), "
                "which lock both contacts and keep both rows' types the same."
            )

        writes = ["add", "remove", "set", "clear", "create", "get_or_create", "update_or_create"]
        writes += ["a" + name for name in writes]
        return type("ReadOnlyManager", (manager,), dict.fromkeys(writes, refuse))


class RelatedContactsField(models.ManyToManyField):
    """
    ``Contact.contacts``: readable like any many-to-many, writable only by the workflows.

    Django's own ``add()`` on a symmetrical many-to-many writes both rows, but
    without the locks that keep concurrent writers apart and without the types.
    """

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        setattr(cls, self.name, _ReadOnlyManyToManyDescriptor(self.remote_field, reverse=False))

    def deconstruct(self):
        # To migrations, this is the plain many-to-many it stores as.
        name, _, args, kwargs = super().deconstruct()
        return name, "django.db.models.ManyToManyField", args, kwargs


NAME_PARTS = ("honorific_prefix", "given_name", "additional_names", "family_name")


def display_name(parts):
    """
    Return the name a contact is shown by, made from ``parts`` (a mapping of
    its field names) when none is typed: "Dr. Ada King Lovelace, PhD", else
    the nickname, else the organisation.
    """
    name = " ".join(" ".join(parts.get(part) or "" for part in NAME_PARTS).split())
    if name and parts.get("honorific_suffix"):
        name = f"{name}, {parts['honorific_suffix']}"
    return name or parts.get("nickname") or parts.get("organization") or ""


def list_key(parts):
    """
    Return the key the list sorts a contact by: family name first when there
    is one ("lovelace ada"), as iOS and Outlook sort by default, else its
    display name ("acme ltd"); see ``sort_key()``.
    """
    if parts.get("family_name"):
        return sort_key(f"{parts['family_name']} {parts.get('given_name') or ''}")
    return sort_key(parts.get("name"))


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

    objects = ContactQuerySet.as_manager()

    # Fields save() derives, and the fields they are derived from.
    DERIVED = {"name", "name_key", "sort_name"}
    DERIVED_FROM = {*NAME_PARTS, "honorific_suffix", "nickname", "organization", "name"}

    class Meta:
        ordering = ["sort_name", "id"]
        indexes = [
            # Serves the list's ordering and keyset paging on (sort_name, id).
            models.Index(fields=["sort_name", "id"], name="crm_contact_sort"),
            # Serves the duplicate warning and the duplicates page, by name.
            models.Index(fields=["name_key"], name="crm_contact_name_key"),
            # Serves the admin's date hierarchy and "created" filter.
            models.Index(fields=["created"], name="crm_contact_created"),
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
        if fields is not None and self.DERIVED_FROM & set(fields):
            kwargs["update_fields"] = {*fields, *self.DERIVED}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("crm:contact_detail", args=[self.pk])

    def validate_constraints(self, exclude=None):
        # Check the name save() will store: made from the parts when left empty.
        self.derive()
        super().validate_constraints(exclude=exclude)

    def derive(self):
        """Fill the display name when empty, and the keys the list and duplicates use."""
        self.name = " ".join(self.name.split()) or display_name(vars(self))
        self.name_key = sort_key(self.name)
        self.sort_name = list_key(vars(self))


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


class ContactPhone(models.Model):
    """A contact's link to a phone, with what the number is to that contact."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phone_links")
    phone = models.ForeignKey(Phone, on_delete=models.CASCADE, related_name="+")
    label = models.CharField(max_length=10, choices=Phone.Label.choices, default=Phone.Label.MOBILE)

    class Meta:
        # The table Django made for the plain many-to-many: crm.0008 kept its rows.
        db_table = "crm_contact_phones"
        verbose_name = "phone"
        constraints = [
            models.UniqueConstraint(fields=["contact", "phone"], name="crm_contactphone_unique"),
        ]

    def __str__(self):
        return f"{self.phone} ({self.get_label_display()})"


class ContactAddress(models.Model):
    """A contact's link to an address, with what the address is to that contact."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="address_links")
    address = models.ForeignKey(Address, on_delete=models.CASCADE, related_name="+")
    label = models.CharField(
        max_length=10, choices=Address.Label.choices, default=Address.Label.HOME
    )

    class Meta:
        db_table = "crm_contact_addresses"
        verbose_name = "address"
        verbose_name_plural = "addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "address"], name="crm_contactaddress_unique"
            ),
        ]

    def __str__(self):
        return f"{self.address} ({self.get_label_display()})"


class ContactRelationship(models.Model):
    """
    One direction of a relationship between two contacts.

    A relationship is stored as two rows, A->B and B->A, with the same types,
    written only by the workflows in `crm.services`; `Contact.contacts` reads them.
    """

    # CASCADE deletes only these relationship rows, never the other contact.
    from_contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="relationships"
    )
    to_contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    types = models.ManyToManyField(RelationshipType, blank=True, related_name="relationships")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["from_contact", "to_contact"], name="crm_relationship_unique_pair"
            ),
            models.CheckConstraint(
                condition=~Q(from_contact=F("to_contact")), name="crm_relationship_not_self"
            ),
        ]

    def __str__(self):
        return f"{self.from_contact} → {self.to_contact}"
