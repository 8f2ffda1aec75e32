"""
Manage the contact book's teams, for provisioning scripts:
``manage.py crm_team add|remove|list NAME`` and
``manage.py crm_team members NAME --add USER... --remove USER...``.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count, Q

from crm.exceptions import ContactBookError
from crm.models import Contact, Team
from crm.services.teams import team_add, team_members, team_remove


class Command(BaseCommand):
    help = (
        "Add or remove a team, list the teams with their members and contacts, "
        "or add and remove a team's members. A team that still has contacts "
        "cannot be removed: move them to another team first."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        add = actions.add_parser("add", help="Make the team NAME.")
        add.add_argument("name", metavar="NAME")
        remove = actions.add_parser("remove", help="Remove the team NAME, which has no contacts.")
        remove.add_argument("name", metavar="NAME")
        listing = actions.add_parser("list", help="List the teams (those called NAME).")
        listing.add_argument("name", metavar="NAME", nargs="?")
        members = actions.add_parser("members", help="Add or remove members of the team NAME.")
        members.add_argument("name", metavar="NAME")
        members.add_argument("--add", nargs="+", default=[], metavar="USER")
        members.add_argument("--remove", nargs="+", default=[], metavar="USER")

    def handle(self, *, action, name=None, **options):
        try:
            getattr(self, f"handle_{action}")(name, **options)
        except ContactBookError as exc:
            raise CommandError(exc) from None

    def team(self, name):
        # Exactly as typed first; names are unique ignoring case (team_add).
        teams = Team.objects.filter(name__iexact=name)
        team = teams.filter(name=name).first() or teams.first()
        if team is None:
            raise CommandError(f"There is no team “{name}”. `crm_team list` shows them.")
        return team

    def handle_add(self, name, **options):
        team = team_add(name=name)
        self.stdout.write(f"Made the team “{team}”.")

    def handle_remove(self, name, **options):
        team = self.team(name)
        team_remove(team=team)
        self.stdout.write(f"Removed the team “{team}”.")

    def handle_members(self, name, *, add, remove, **options):
        if not add and not remove:
            raise CommandError("Say whom to add (--add USER...) or remove (--remove USER...).")
        team = self.team(name)
        team_members(team=team, add=add, remove=remove)
        names = sorted(team.members.values_list("username", flat=True))
        count = f"{len(names)} member{'s' if len(names) != 1 else ''}"
        self.stdout.write(f"“{team}” has {count}: {', '.join(names) or 'none'}.")

    def handle_list(self, name, **options):
        teams = Team.objects.order_by("name").annotate(member_count=Count("members", distinct=True))
        if name:
            teams = teams.filter(name__iexact=name)
        contacts = dict(
            Contact._base_manager.filter(team__in=teams.values("pk"))
            .values("team")
            .annotate(n=Count("pk", filter=Q(trashed=None)))
            .values_list("team", "n")
        )
        if name and not teams:
            raise CommandError(f"There is no team “{name}”. `crm_team list` shows them.")
        if not teams:
            self.stdout.write("No team yet: `crm_team add NAME` makes one.")
        for team in teams:
            members = team.member_count
            count = contacts.get(team.pk, 0)
            self.stdout.write(
                f"{team.name}\t{members} member{'s' if members != 1 else ''}"
                f"\t{count} contact{'s' if count != 1 else ''}"
            )
