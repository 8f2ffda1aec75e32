"""Reads over many tags."""

from django.db import models
from django.db.models import Count


class TagQuerySet(models.QuerySet):
    def with_contact_count(self):
        """Annotate ``contact_count``: how many contacts have each tag, in the same query."""
        return self.annotate(contact_count=Count("contacts"))
