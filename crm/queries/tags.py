"""Reads over many tags."""

from django.db import models
from django.db.models import Count, Q

from ..visibility import visible


class TagQuerySet(models.QuerySet):
    def with_contact_count(self, *, user):
        """
        Annotate ``contact_count``: how many contacts (not in the trash) that
        ``user`` sees have each tag, in the same query.
        """
        counted = Q(contacts__trashed=None)
        if (condition := visible(user, "contacts")) is not None:
            counted &= condition
        return self.annotate(contact_count=Count("contacts", filter=counted))
