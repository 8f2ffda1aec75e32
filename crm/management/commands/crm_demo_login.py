import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Create the demo login (a superuser) when the site has no users yet, and "
        "print its username and a freshly generated password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument(
            "--reset", action="store_true", help="Give the demo login a new password."
        )

    def handle(self, *, username, reset, **options):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None and User.objects.exists() and not reset:
            self.stdout.write("Users exist already; no demo login created.")
            return
        if user is not None and not reset:
            self.stdout.write(
                f"Demo login: {username} (password printed on first run; "
                f"`./manage.py crm_demo_login --reset` makes a new one)."
            )
            return
        password = secrets.token_urlsafe(12)
        if user is None:
            User.objects.create_superuser(username, "", password)
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        self.stdout.write(self.style.SUCCESS(f"Demo login: {username} / {password}"))
