"""
Personal API tokens for scripts: ``manage.py crm_token create USER
[--read-only] [--name NAME]`` prints a new token (and nothing else on
stdout); ``crm_token list USER`` and ``crm_token revoke ID``.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from crm.models import ApiToken


class Command(BaseCommand):
    help = (
        "Make, list or revoke a user's personal API tokens. `create` prints the new "
        "token alone on stdout, for scripts: it is shown once and stored only as a digest."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser("create", help="Make a token for USER and print it.")
        create.add_argument("username", metavar="USER")
        create.add_argument(
            "--read-only", action="store_true", help="The token may read, never write."
        )
        create.add_argument("--name", default="", help="What it is for (default: command).")
        listing = actions.add_parser("list", help="List USER's tokens that are not revoked.")
        listing.add_argument("username", metavar="USER")
        revoke = actions.add_parser("revoke", help="Refuse the token ID from now on.")
        revoke.add_argument("token_id", metavar="ID", type=int)

    def handle(self, *, action, **options):
        getattr(self, f"_{action}")(**options)

    def _user(self, username, *, active=False):
        User = get_user_model()
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
        if active and not user.is_active:
            raise CommandError(f"The user {username!r} is inactive: their tokens are refused.")
        return user

    def _create(self, *, username, read_only, name, **options):
        user = self._user(username, active=True)
        name = name.strip() or f"command, {timezone.localdate():%Y-%m-%d}"
        if len(name) > ApiToken._meta.get_field("name").max_length:
            raise CommandError("The name is longer than 100 characters.")
        scope = ApiToken.Scope.READ if read_only else ApiToken.Scope.WRITE
        token, secret = ApiToken.objects.issue(user=user, name=name, scope=scope)
        self.stderr.write(f"Token {token.pk} ({token.get_scope_display()}) for {username}:")
        self.stdout.write(secret)

    def _list(self, *, username, **options):
        user = self._user(username)
        for token in user.api_tokens.active():
            used = f"{token.last_used:%Y-%m-%d %H:%M}" if token.last_used else "never"
            self.stdout.write(
                f"{token.pk}\t{token.prefix}…\t{token.scope}\t{token.name}\t"
                f"made {token.created:%Y-%m-%d}\tused {used}"
            )

    def _revoke(self, *, token_id, **options):
        token = ApiToken.objects.active().filter(pk=token_id).first()
        if token is None:
            raise CommandError(f"No token {token_id} that is not revoked already.")
        token.revoke()
        self.stdout.write(f"Token {token_id} ({token.name}, of {token.user}) is revoked.")
