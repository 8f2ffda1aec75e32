"""Teams: the users who share a part of the contact book (crm.visibility)."""

from django.conf import settings
from django.db import models


class Team(models.Model):
    """
    A group of users. Each contact belongs to one team and may be shared with
    others; when CRM_VISIBILITY is "team", a user sees the contacts of their
    teams and those shared with them (managers see all).
    """

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="crm_teams")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
