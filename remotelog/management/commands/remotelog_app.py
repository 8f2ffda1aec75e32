from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from remotelog.models import Application


class Command(BaseCommand):
    help = (
        "Manage the applications that send log records: add one or rotate its secret "
        "(the new secret is printed once, only its digest is kept), list them, disable one."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Add an application and print its secret.")
        add.add_argument("slug")
        add.add_argument("--name", help="Display name (default: the slug).")
        add.add_argument(
            "--retention-days",
            type=int,
            default=90,
            help="Days remotelog_purge keeps its records; 0 keeps them forever (default 90).",
        )
        add.add_argument(
            "--open",
            action="store_true",
            help="Accept records without credentials (trusted networks only).",
        )
        rotate = actions.add_parser("rotate", help="Give an application a new secret.")
        rotate.add_argument("slug")
        actions.add_parser("list", help="List the applications.")
        disable = actions.add_parser("disable", help="Refuse an application's records.")
        disable.add_argument("slug")
        enable = actions.add_parser("enable", help="Accept a disabled application again.")
        enable.add_argument("slug")

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_add(self, *, slug, name, retention_days, open, **options):
        if Application.objects.filter(slug=slug).exists():
            raise CommandError(f"An application {slug!r} exists already; use rotate.")
        if retention_days < 0:
            raise CommandError("--retention-days cannot be negative.")
        application = Application(
            slug=slug,
            name=name or slug,
            retention_days=retention_days or None,
            is_open=open,
        )
        application.full_clean()
        secret = application.set_new_secret()
        application.save()
        self.stdout.write(self.style.SUCCESS(f"Added application {slug!r}."))
        self.print_secret(application, secret)

    def handle_rotate(self, *, slug, **options):
        with transaction.atomic():
            application = self.get_application(slug, for_update=True)
            secret = application.set_new_secret()
            application.save(update_fields=["secret_digest"])
        self.stdout.write(
            self.style.SUCCESS(f"New secret for {slug!r}; the old one no longer works.")
        )
        self.print_secret(application, secret)

    def handle_list(self, **options):
        rows = Application.objects.order_by("slug")
        if not rows:
            self.stdout.write("No applications yet: remotelog_app add <slug>.")
            return
        self.stdout.write(f"{'slug':<24} {'active':<7} {'open':<5} {'retention':<10} name")
        for app in rows:
            retention = f"{app.retention_days}d" if app.retention_days else "forever"
            self.stdout.write(
                f"{app.slug:<24} {'yes' if app.is_active else 'no':<7} "
                f"{'yes' if app.is_open else 'no':<5} {retention:<10} {app.name}"
            )

    def handle_disable(self, *, slug, **options):
        self.set_active(slug, False)

    def handle_enable(self, *, slug, **options):
        self.set_active(slug, True)

    def set_active(self, slug, active):
        application = self.get_application(slug)
        application.is_active = active
        application.save(update_fields=["is_active"])
        state = "accepted again" if active else "disabled: its records are refused"
        self.stdout.write(self.style.SUCCESS(f"Application {slug!r} {state}."))

    def get_application(self, slug, for_update=False):
        rows = Application.objects.select_for_update() if for_update else Application.objects
        try:
            return rows.get(slug=slug)
        except Application.DoesNotExist:
            raise CommandError(f"No application {slug!r}.") from None

    def print_secret(self, application, secret):
        self.stdout.write(
            f"Secret (shown once, only its digest is kept): {secret}\n"
            "Send logs with:\n"
            "    handler = logging.handlers.HTTPHandler(\n"
            f'        "crm.example.org", "/remotelog/{application.slug}/log/", method="POST",\n'
            f'        secure=True, credentials=("{application.slug}", "{secret}"))'
        )
