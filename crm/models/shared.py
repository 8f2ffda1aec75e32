"""
Rows contacts share (a phone number, an address), and each contact's link to
them with its label.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from ..phones import international, normalize, validate_phone_number


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


class ContactPhone(models.Model):
    """A contact's link to a phone, with what the number is to that contact."""

    contact = models.ForeignKey("Contact", on_delete=models.CASCADE, related_name="phone_links")
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

    contact = models.ForeignKey("Contact", on_delete=models.CASCADE, related_name="address_links")
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
