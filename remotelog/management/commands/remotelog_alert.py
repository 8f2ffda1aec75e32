from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from remotelog import levels
from remotelog.alerts.delivery import send
from remotelog.alerts.evaluate import notification
from remotelog.models import AlertRule, Application, Delivery


class Command(BaseCommand):
    help = (
        "Manage alert rules: add one (a webhook's secret is printed), list them, "
        "remove one, or send a test notification through its channels."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Add a rule to an application.")
        add.add_argument("slug", help="The application's slug.")
        add.add_argument("kind", choices=AlertRule.Kind.values)
        add.add_argument("--name", help="Display name (default: the kind).")
        add.add_argument("--email", default="", help="Recipients, separated by commas.")
        add.add_argument("--webhook", default="", help="URL receiving a signed JSON POST.")
        add.add_argument(
            "--level", default="ERROR", help="Threshold: count this level or above (ERROR)."
        )
        add.add_argument("--records", type=int, help="Threshold: N records ...")
        add.add_argument("--minutes", type=int, help="Threshold: ... within M minutes.")
        listing = actions.add_parser("list", help="List the rules.")
        listing.add_argument("--app", help="Only this application's rules.")
        remove = actions.add_parser("remove", help="Remove a rule and its notifications.")
        remove.add_argument("id", type=int)
        test = actions.add_parser("test", help="Send a test notification by the rule's channels.")
        test.add_argument("id", type=int)

    def handle(self, *args, action, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_add(self, *, slug, kind, name, email, webhook, level, records, minutes, **options):
        try:
            application = Application.objects.get(slug=slug)
        except Application.DoesNotExist:
            raise CommandError(f"No application {slug!r}.") from None
        min_level = int(level) if level.isdigit() else levels.number(level)
        if not min_level:
            raise CommandError(f"Unknown level {level!r}.")
        rule = AlertRule(
            application=application,
            kind=kind,
            name=name or AlertRule.Kind(kind).label,
            email_to=email,
            webhook_url=webhook,
            min_level=min_level,
            threshold=records,
            window_minutes=minutes,
        )
        try:
            rule.full_clean()
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        rule.save()
        self.stdout.write(self.style.SUCCESS(f"Added rule {rule.pk} to {slug!r}: {rule.name}."))
        if rule.webhook_url:
            self.stdout.write(
                f"Webhook secret (the receiver checks X-Remotelog-Signature with it): "
                f"{rule.webhook_secret}"
            )

    def handle_list(self, *, app, **options):
        rules = AlertRule.objects.select_related("application").order_by("application__slug", "id")
        if app:
            rules = rules.filter(application__slug=app)
        if not rules:
            self.stdout.write("No alert rules yet: remotelog_alert add <slug> <kind>.")
            return
        self.stdout.write(f"{'id':<6} {'application':<20} {'kind':<10} {'active':<7} channels")
        for rule in rules:
            channels = ", ".join(
                [*rule.recipients, *([rule.webhook_url] if rule.webhook_url else [])]
            )
            self.stdout.write(
                f"{rule.pk:<6} {rule.application.slug:<20} {rule.kind:<10} "
                f"{'yes' if rule.is_active else 'no':<7} {channels}  ({rule.name})"
            )

    def handle_remove(self, *, id, **options):
        deleted, _ = AlertRule.objects.filter(pk=id).delete()
        if not deleted:
            raise CommandError(f"No alert rule {id}.")
        self.stdout.write(self.style.SUCCESS(f"Removed rule {id}."))

    def handle_test(self, *, id, **options):
        rule = AlertRule.objects.select_related("application").filter(pk=id).first()
        if rule is None:
            raise CommandError(f"No alert rule {id}.")
        now = timezone.now()
        test = notification(rule, now=now, group=None, key="test", what="test")
        for channel in rule.channels:
            try:
                send(Delivery(notification=test, channel=channel), now=now)
            except (OSError, ValueError) as error:
                raise CommandError(f"{channel}: {type(error).__name__}: {error}") from None
            self.stdout.write(self.style.SUCCESS(f"Sent a test by {channel}."))
