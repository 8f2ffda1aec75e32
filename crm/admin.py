from django.contrib import admin
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce

from .models import (
    Address,
    Contact,
    ContactAddress,
    ContactDate,
    ContactPhone,
    ContactRelationship,
    Email,
    Phone,
    RelationshipType,
    Tag,
    Url,
)
from .services.locks import phones_locked


def count_of(through, field):
    """Return how many ``through`` rows point at each listed row, as a correlated subquery.

    Unlike ``Count()`` over a join, it groups nothing: the list's count and date
    hierarchy stay plain queries, and only the rows of the page are counted.
    """
    rows = through.objects.filter(**{field: OuterRef("pk")}).order_by().values(field)
    return Coalesce(Subquery(rows.annotate(n=Count("*")).values("n")), 0)


class EmailInline(admin.TabularInline):
    model = Email
    fields = ["address", "label", "primary"]
    extra = 0


class UrlInline(admin.TabularInline):
    model = Url
    fields = ["url", "label"]
    extra = 0


class DateInline(admin.TabularInline):
    model = ContactDate
    fields = ["kind", "label", "year", "month", "day"]
    extra = 0


class PhoneInline(admin.TabularInline):
    """The contact's phones, each with this contact's label (on the link)."""

    model = ContactPhone
    fields = ["phone", "label"]
    autocomplete_fields = ["phone"]
    extra = 0


class AddressInline(admin.TabularInline):
    """The contact's addresses, each with this contact's label (on the link)."""

    model = ContactAddress
    fields = ["address", "label"]
    autocomplete_fields = ["address"]
    extra = 0


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
        # Each row names both contacts (its title is the row's __str__).
        return (
            super()
            .get_queryset(request)
            .select_related("from_contact", "to_contact")
            .prefetch_related("types")
        )

    @admin.display(description="types")
    def type_names(self, obj):
        return ", ".join(t.name for t in obj.types.all())


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "primary_email", "phone_count", "created", "updated"]
    list_filter = ["created", "updated"]
    search_fields = [
        "name",
        "organization",
        "emails__address",
        "phones__digits",
        "addresses__city",
    ]
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
        (None, {"fields": ["created", "updated"]}),
    ]
    autocomplete_fields = ["tags"]
    inlines = [EmailInline, PhoneInline, AddressInline, UrlInline, DateInline, RelationshipInline]
    show_full_result_count = False

    def get_queryset(self, request):
        # Counted and looked up by subqueries: one query for the whole page.
        primary = Email.objects.filter(contact=OuterRef("pk")).order_by("-primary", "pk")
        return (
            super()
            .get_queryset(request)
            .annotate(
                phone_count=count_of(Contact.phones.through, "contact"),
                primary_email=Subquery(primary.values("address")[:1]),
            )
        )

    @admin.display(description="email", ordering="primary_email")
    def primary_email(self, obj):
        return obj.primary_email or ""

    @admin.display(description="phones", ordering="phone_count")
    def phone_count(self, obj):
        return obj.phone_count


@admin.register(Phone)
class PhoneAdmin(admin.ModelAdmin):
    list_display = ["number", "e164", "digits", "contact_count"]
    search_fields = ["number", "digits"]
    readonly_fields = ["e164", "digits"]
    show_full_result_count = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(contact_count=count_of(Contact.phones.through, "phone"))
        )

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
class AddressAdmin(admin.ModelAdmin):
    list_display = ["street", "postal_code", "city", "region", "country"]
    list_filter = ["country"]
    search_fields = ["street", "city", "postal_code", "region", "country"]
    show_full_result_count = False


@admin.register(RelationshipType)
class RelationshipTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
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
