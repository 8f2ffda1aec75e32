"""The contact book's admin: every list and form a fixed number of queries, at any size."""

from collections import defaultdict

from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.utils import timezone

from .models import (
    ADDRESS_FIELDS,
    Address,
    ApiToken,
    Contact,
    ContactAddress,
    ContactDate,
    ContactPhone,
    ContactRelationship,
    Email,
    Import,
    Phone,
    RelationshipType,
    Tag,
    Team,
    Url,
    Webhook,
    WebhookEvent,
)
from .services.history import Watch, changed
from .services.locks import lock_contacts, phones_locked
from .services.search import contact_search_refresh
from .services.teams import contact_defaults, team_remove
from .visibility import visible


def _seen_by(user, rows, *contacts):
    """Return ``rows`` whose ``contacts`` (names of their contact fields) ``user`` sees all."""
    conditions = [visible(user, contact) for contact in contacts]
    return rows.filter(*[condition for condition in conditions if condition is not None])


def _linked_to_seen(user, rows, through, field):
    """
    Return the shared ``rows`` (phones, addresses) that a contact ``user``
    sees has, or no contact has (crm.visibility).
    """
    condition = visible(user, "contact")
    if condition is None:
        return rows
    links = through.objects.filter(**{field: OuterRef("pk")})
    return rows.filter(~Exists(links) | Exists(links.filter(condition)))


def count_of(through, field):
    """Return how many ``through`` rows point at each listed row, as a correlated subquery.

    Unlike ``Count()`` over a join, it groups nothing: the list's count and date
    hierarchy stay plain queries, and only the rows of the page are counted.
    """
    rows = through.objects.filter(**{field: OuterRef("pk")}).order_by().values(field)
    return Coalesce(Subquery(rows.annotate(n=Count("*")).values("n")), 0)


class IdsFirstPaginator(Paginator):
    """
    A paginator that picks a page's ids first, then reads only those rows.

    With LIMIT and OFFSET on the annotated list, the database computes every
    column (the phone count, the primary email) of each row it skips: page
    500 of 100,000 contacts took half a second. The ids alone come from the
    ordering's index.
    """

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = self.object_list.values("pk")[bottom:top]
        return self._get_page(self.object_list.filter(pk__in=ids), number, self)


class PreloadedAutocompleteSelect(AutocompleteSelect):
    """
    An autocomplete select that shows its current choice from the row the
    page read already, when it has it, instead of looking it up: a contact
    page with twenty phones would otherwise cost twenty queries.
    """

    preloaded = None  # {str(pk): row}, set by PreloadedChoicesFormSet

    def optgroups(self, name, value, attr=None):
        empty = self.choices.field.empty_values
        selected = [str(v) for v in value if str(v) not in empty]
        if not selected or not self.preloaded or not set(selected) <= self.preloaded.keys():
            return super().optgroups(name, value, attr)
        options = [] if self.is_required else [self.create_option(name, "", "", False, 0)]
        for pk in selected:
            label = self.choices.field.label_from_instance(self.preloaded[pk])
            options.append(self.create_option(name, pk, label, True, len(options)))
        return [(None, options, 0)]


class PreloadedChoicesFormSet(BaseInlineFormSet):
    """Hand each row's preloaded related objects to its autocomplete selects."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        for name, field in form.fields.items():
            widget = getattr(field.widget, "widget", field.widget)  # inside the admin's wrapper
            if isinstance(widget, PreloadedAutocompleteSelect):
                model_field = form.instance._meta.get_field(name)
                if model_field.is_cached(form.instance):
                    row = model_field.get_cached_value(form.instance)
                    widget.preloaded = {str(row.pk): row}


class LinkInline(admin.TabularInline):
    """
    A contact's links to a shared row (``target``: a phone, an address), each
    with this contact's label. The rows are read with the links, and shown
    from there: the page costs the same with one link or fifty.
    """

    target = None
    formset = PreloadedChoicesFormSet
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(self.target)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == self.target:
            kwargs["widget"] = PreloadedAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class SharedRowAdmin(admin.ModelAdmin):
    """
    The admin of rows contacts share (a phone, an address, a tag): changing
    or deleting one recomputes the search text of every contact that has it.
    """

    links = None  # (through model, its field naming the row)
    history = None  # (the kind of change it is to a contact, the fields its history shows)

    def contact_ids(self, rows):
        through, field = self.links
        return list(
            through.objects.filter(**{f"{field}__in": rows}).values_list("contact_id", flat=True)
        )

    def _values(self, rows):
        """Return {pk: {field: value}} of ``rows`` as the database has them, for the history."""
        _, fields = self.history
        rows = self.model.objects.filter(pk__in=rows).values("pk", *fields)
        return {row.pop("pk"): row for row in rows}

    def _record(self, before, after, contact_ids):
        """Record on every contact that has them the rows changed from ``before`` to ``after``."""
        kind, _ = self.history
        for pk, old in before.items():
            new = after.get(pk)
            if new is not None:
                old = {name: value for name, value in old.items() if new[name] != value}
                new = {name: new[name] for name in old}
            if old:
                changed(contacts=contact_ids[pk], kind=kind, key=str(pk), before=old, after=new)

    def save_model(self, request, obj, form, change):
        before = self._values([obj.pk]) if change else {}
        super().save_model(request, obj, form, change)
        if change and form.has_changed():
            ids = self.contact_ids([obj.pk])
            self._record(before, self._values([obj.pk]), {obj.pk: ids})
            contact_search_refresh(ids=ids)

    def delete_model(self, request, obj):
        self.delete_queryset(request, self.model.objects.filter(pk=obj.pk))

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        through, field = self.links
        links = through.objects.filter(**{f"{field}__in": queryset.values("pk")})
        users = defaultdict(list)
        for contact, row in links.values_list("contact_id", field):
            users[row].append(contact)
        before = self._values(list(users))
        super().delete_queryset(request, queryset)
        self._record(before, {}, users)
        contact_search_refresh(ids=[pk for ids in users.values() for pk in ids])


class EmailFormSet(BaseInlineFormSet):
    """
    A contact's emails: each address once (ignoring case), exactly one primary.

    The database refuses both too (``crm_email_unique_per_contact``,
    ``crm_email_one_primary``), but a formset checks only its unconditional
    constraints across rows: without this, two new rows would be a 500.
    """

    def clean(self):
        super().clean()
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data.get("address") and not self._should_delete_form(form)
        ]
        addresses = [row["address"].lower() for row in rows]
        if len(set(addresses)) < len(addresses):
            raise ValidationError("Give each email address once.", code="email_twice")
        if rows and sum(bool(row.get("primary")) for row in rows) != 1:
            raise ValidationError("Mark exactly one email as primary.", code="one_primary")


class DateFormSet(BaseInlineFormSet):
    """A contact's dates: one birthday and one anniversary at most, as vCard has."""

    def clean(self):
        super().clean()
        kinds = [
            form.cleaned_data.get("kind")
            for form in self.forms
            if form.cleaned_data and not self._should_delete_form(form)
        ]
        for kind in ContactDate.Kind.BIRTHDAY, ContactDate.Kind.ANNIVERSARY:
            if kinds.count(kind) > 1:
                raise ValidationError(
                    "A contact has one %(kind)s at most.",
                    code="date_twice",
                    params={"kind": kind.label.lower()},
                )


class EmailInline(admin.TabularInline):
    model = Email
    formset = EmailFormSet
    fields = ["address", "label", "primary"]
    extra = 0


class UrlInline(admin.TabularInline):
    model = Url
    fields = ["url", "label"]
    # What the site's form does too; Django 6 makes it the default.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    extra = 0


class DateInline(admin.TabularInline):
    model = ContactDate
    formset = DateFormSet
    fields = ["kind", "label", "year", "month", "day"]
    extra = 0


class PhoneInline(LinkInline):
    """The contact's phones, each with this contact's label (on the link)."""

    model = ContactPhone
    target = "phone"
    fields = ["phone", "label"]
    autocomplete_fields = ["phone"]


class AddressInline(LinkInline):
    """The contact's addresses, each with this contact's label (on the link)."""

    model = ContactAddress
    target = "address"
    fields = ["address", "label"]
    autocomplete_fields = ["address"]


class RelationshipInline(admin.TabularInline):
    """Show a contact's relationships; they are edited on the site, which keeps both rows."""

    model = ContactRelationship
    fk_name = "from_contact"
    fields = ["to_contact", "type_names", "created"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # Each row names both contacts (its title is the row's __str__): only
        # those to contacts the user sees (crm.visibility).
        return (
            _seen_by(request.user, super().get_queryset(request), "to_contact")
            .select_related("from_contact", "to_contact")
            .prefetch_related("types")
        )

    @admin.display(description="types")
    def type_names(self, obj):
        return ", ".join(t.name for t in obj.types.all())


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = [
        *["name", "organization", "primary_email", "phone_count", "owner", "team"],
        *["created", "updated"],
    ]
    # Users and teams are few, whatever the number of contacts: each filter
    # lists them, never the contacts' distinct values.
    list_filter = ["owner", "team", "created", "updated"]
    list_select_related = ["owner", "team"]
    # Shows the search box; get_search_results() searches as the site does.
    search_fields = ["name"]
    search_help_text = (
        "Words in any order, in a name, organisation, title, email, address, tag, "
        "or a phone number in any format."
    )
    date_hierarchy = "created"
    readonly_fields = ["created", "updated"]
    fieldsets = [
        (None, {"fields": ["name", "organization", "job_title", "notes", "tags"]}),
        (
            "Name parts",
            {
                "fields": [
                    ("honorific_prefix", "given_name", "additional_names"),
                    ("family_name", "honorific_suffix", "nickname"),
                ]
            },
        ),
        ("Owner and teams", {"fields": ["owner", "team", "shared_with"]}),
        (None, {"fields": ["created", "updated"]}),
    ]
    autocomplete_fields = ["tags", "owner", "team", "shared_with"]
    inlines = [EmailInline, PhoneInline, AddressInline, UrlInline, DateInline, RelationshipInline]
    show_full_result_count = False

    def get_queryset(self, request):
        # Counted and looked up by subqueries: one query for the whole page.
        # Only the contacts the user sees (crm.visibility): the others are not found.
        return (
            super()
            .get_queryset(request)
            .visible_to(request.user)
            .annotate(phone_count=count_of(Contact.phones.through, "contact"))
            .with_primary_email()
        )

    def get_changeform_initial_data(self, request):
        """A new contact is its creator's, in their first team, as on the site."""
        owner, team = contact_defaults(user=request.user)
        initial = {"owner": owner and owner.pk, "team": team and team.pk}
        return {**initial, **super().get_changeform_initial_data(request)}

    def get_search_results(self, request, queryset, search_term):
        """
        Search as the site's list does, by the search text: joining emails
        and phones would repeat contacts, and the DISTINCT that removes them
        again took seconds at 100,000 contacts.
        """
        return queryset.search(search_term), False

    def save_model(self, request, obj, form, change):
        # Locked as the site's form locks it; its history compared from here
        # to the end of save_related(), the inlines saved.
        if change:
            lock_contacts(obj)
        request.crm_history = Watch([obj.pk] if change else [])
        super().save_model(request, obj, form, change)
        if not change:
            request.crm_history.created([obj.pk])

    def save_related(self, request, form, formsets, change):
        # After the inlines: the emails, phones, addresses and tags are saved.
        super().save_related(request, form, formsets, change)
        contact_search_refresh(ids=[form.instance.pk])
        request.crm_history.finish()

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        return IdsFirstPaginator(queryset, per_page, orphans, allow_empty_first_page)

    @admin.display(description="email", ordering="primary_email")
    def primary_email(self, obj):
        return obj.primary_email or ""

    @admin.display(description="phones", ordering="phone_count")
    def phone_count(self, obj):
        return obj.phone_count


@admin.register(Phone)
class PhoneAdmin(SharedRowAdmin):
    links = (ContactPhone, "phone")
    history = ("phone", ["number"])
    list_display = ["number", "e164", "digits", "contact_count"]
    search_fields = ["number", "digits"]
    readonly_fields = ["e164", "digits"]
    show_full_result_count = False

    def get_queryset(self, request):
        rows = _linked_to_seen(request.user, super().get_queryset(request), *self.links)
        return rows.annotate(contact_count=count_of(Contact.phones.through, "phone"))

    @admin.display(description="contacts", ordering="contact_count")
    def contact_count(self, obj):
        return obj.contact_count

    def changeform_view(self, request, *args, **kwargs):
        if request.method != "POST":
            return super().changeform_view(request, *args, **kwargs)
        # Validate and save under the lock the site's form takes to link a
        # number: a number saved meanwhile is then a form error, not a 500.
        with phones_locked:
            return super().changeform_view(request, *args, **kwargs)


@admin.register(Address)
class AddressAdmin(SharedRowAdmin):
    links = (ContactAddress, "address")
    history = ("address", ADDRESS_FIELDS)
    list_display = ["street", "postal_code", "city", "region", "country"]
    list_filter = ["country"]
    search_fields = ["street", "city", "postal_code", "region", "country"]
    show_full_result_count = False

    def get_queryset(self, request):
        return _linked_to_seen(request.user, super().get_queryset(request), *self.links)


@admin.register(RelationshipType)
class RelationshipTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(SharedRowAdmin):
    links = (Contact.tags.through, "tag")
    history = ("tag", ["name"])
    list_display = ["name", "slug", "contact_count"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    show_full_result_count = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(contact_count=count_of(Contact.tags.through, "tag"))
        )

    @admin.display(description="contacts", ordering="contact_count")
    def contact_count(self, obj):
        return obj.contact_count


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    """
    Teams and their members. A team that still has contacts is not deleted:
    the page says how many, rather than listing each one.
    """

    list_display = ["name", "member_count", "contact_count"]
    search_fields = ["name"]
    filter_horizontal = ["members"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=count_of(Team.members.through, "team"),
                contact_count=count_of(Contact, "team"),
            )
        )

    @admin.display(description="members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    @admin.display(description="contacts", ordering="contact_count")
    def contact_count(self, obj):
        return obj.contact_count

    def get_deleted_objects(self, objs, request):
        """
        Say how many contacts each team still has, instead of Django's list of
        every protected contact (a million links for a big team).
        """
        teams = list(objs)
        counts = Contact._base_manager.filter(team__in=teams).values("team").annotate(n=Count("*"))
        held = {row["team"]: row["n"] for row in counts}
        protected = [
            f"{team}: {held[team.pk]} contacts; move them to another team first"
            for team in teams
            if held.get(team.pk)
        ]
        if protected:
            return [str(team) for team in teams], {}, set(), protected
        return super().get_deleted_objects(teams, request)

    def delete_model(self, request, obj):
        team_remove(team=obj)

    def delete_queryset(self, request, queryset):
        for team in queryset:
            team_remove(team=team)


@admin.register(ContactRelationship)
class ContactRelationshipAdmin(admin.ModelAdmin):
    """Browse relationships; editing one row alone would break the mirror row."""

    list_display = ["from_contact", "to_contact", "created"]
    list_filter = ["types", "created"]
    search_fields = ["from_contact__name", "to_contact__name"]
    list_select_related = ["from_contact", "to_contact"]
    readonly_fields = ["from_contact", "to_contact", "types", "created"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        return _seen_by(request.user, rows, "from_contact", "to_contact")


@admin.register(Import)
class ImportAdmin(admin.ModelAdmin):
    """
    Browse contact imports: who brought which file in, when, and what it did.

    Read only: an import moves on through its own pages and worker (a status
    edited here would skip the checks), and its rows are what its undo needs.
    """

    list_display = ["__str__", "author", "created", "status", "counts", "committed_at"]
    list_filter = ["status", "created"]
    search_fields = ["file_name", "author__username"]
    list_select_related = ["author"]
    date_hierarchy = "created"
    show_full_result_count = False
    exclude = ["samples"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """
    Everyone's API tokens, to see what is in use and revoke what must stop.

    Tokens are made by their users (the account page, ``crm_token``): the
    secret is shown once to them and only its digest is here.
    """

    list_display = ["name", "user", "prefix", "scope", "created", "last_used", "revoked_at"]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter), "created"]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    show_full_result_count = False
    fields = ["user", "name", "prefix", "scope", "created", "last_used", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Viewing only; the revoke action asks for this model's delete permission.
        return False

    @admin.action(description="Revoke the selected tokens", permissions=["delete"])
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoke()
            revoked += 1
        self.message_user(request, f"{revoked} token(s) revoked.")


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    """
    Every user's webhooks, to see where contact events go and stop one.

    Their owners make and edit them on their own pages (/contacts/webhooks/),
    where the secret is shown; here it is not.
    """

    list_display = ["url", "owner", "is_active", "created"]
    list_filter = ["is_active", "created"]
    search_fields = ["url", "owner__username"]
    list_select_related = ["owner"]
    show_full_result_count = False
    fields = ["owner", "url", "events", "is_active", "created"]
    readonly_fields = ["owner", "url", "events", "created"]

    def has_add_permission(self, request):
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    """
    The webhooks' outbox: each event, its attempts and the receiver's last
    answer. Read only, since the delivery worker owns these rows; a failed
    event can be sent again (after the receiver is fixed).
    """

    list_display = [
        "type",
        "webhook",
        "contact_id",
        "status",
        "attempts",
        "answer_status",
        "created",
    ]
    # Not by type: a column without choices, listed by a DISTINCT over every event.
    list_filter = ["status"]
    search_fields = ["=event_id", "=contact_id"]
    list_select_related = ["webhook"]
    show_full_result_count = False
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Send the selected failed events again", permissions=["view"])
    def send_again(self, request, queryset):
        again = queryset.filter(status=WebhookEvent.Status.FAILED).update(
            status=WebhookEvent.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
        )
        self.message_user(request, f"{again} event(s) will be sent again by the delivery worker.")
