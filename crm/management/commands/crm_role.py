"""Give a user one of the contact book's roles: ``manage.py crm_role USER ROLE``."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from crm.roles import ROLES, UnknownRole, role_set


class Command(BaseCommand):
    help = (
        "Give USER the role ROLE (viewers, editors or managers) and none of the "
        "other two; their other groups stay. For provisioning scripts."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", metavar="USER")
        parser.add_argument("role", metavar="ROLE", help=f"One of {', '.join(ROLES)}.")

    def handle(self, *, username, role, **options):
        User = get_user_model()
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
        try:
            role_set(user=user, role=role)
        except UnknownRole as exc:
            raise CommandError(exc) from None
        self.stdout.write(f"{username} is now one of the {ROLES[role]}.")
