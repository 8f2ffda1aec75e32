"""Reads over many imports."""

from django.db import models


class ImportQuerySet(models.QuerySet):
    def seen_by(self, user):
        """
        Return the imports ``user`` may see and act on: their own, or every
        import for staff. Anyone else's is answered as not found.
        """
        return self if user.is_staff else self.filter(author=user)
