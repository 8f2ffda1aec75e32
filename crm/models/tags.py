"""Tags: words filed on contacts."""

from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from ..queries.tags import TagQuerySet


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
