"""Relationships between contacts: their types, and the two rows each is stored as."""

from django.db import models
from django.db.models import F, Q
from django.db.models.fields.related_descriptors import ManyToManyDescriptor
from django.utils.functional import cached_property


class RelationshipType(models.Model):
    """A kind of relationship between two contacts: colleague, spouse, assistant."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


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


class ContactRelationship(models.Model):
    """
    One direction of a relationship between two contacts.

    A relationship is stored as two rows, A->B and B->A, with the same types,
    written only by the workflows in `crm.services`; `Contact.contacts` reads them.
    """

    # CASCADE deletes only these relationship rows, never the other contact.
    from_contact = models.ForeignKey(
        "Contact", on_delete=models.CASCADE, related_name="relationships"
    )
    to_contact = models.ForeignKey("Contact", on_delete=models.CASCADE, related_name="+")
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
