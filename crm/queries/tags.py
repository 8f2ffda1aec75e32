"""Reads over many tags."""

from django.db import models
from django.db.models import Count, Q


class TagQuerySet(models.QuerySet):
    def with_contact_count(self):
        """
        Annotate ``contact_count``: how many contacts (not in the trash) have
        each tag, in the same query.
        """
        live = Q(contacts__trashed=None)
        return self.annotate(contact_count=Count("contacts", filter=live))
