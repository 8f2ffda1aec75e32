"""What the list's bulk bar carries from the list's URL."""

from django import template
from django.contrib.auth import get_user_model

from ..forms import bulk
from ..forms.listing import user_label
from ..models import Team

register = template.Library()


@register.filter
def list_filters(query):
    """Return the (name, value) pairs of the list's search, filters and sort in ``query``."""
    return bulk.list_filters(query)


@register.simple_tag
def assign_choices():
    """Return the choices of the bulk action "assign": active users (id, label), and teams."""
    users = get_user_model()._default_manager.filter(is_active=True).order_by("username")
    return {"owners": [(u.pk, user_label(u)) for u in users], "teams": list(Team.objects.all())}
