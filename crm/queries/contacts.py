"""
Reads over many contacts, as chainable QuerySet methods.

The contact list shows every phone of every contact on the page. Instead of
one query per contact (or one more per relation with ``prefetch_related``),
each contact's phones are collected in the database into one JSON array per
contact by a correlated subquery (and its first city by another), so a page
costs one query whatever its size, and pagination counts contacts rather
than join rows. The contact's page and the exports collect the whole
addresses the same way.
"""

import functools
import operator

from django.db import models
from django.db.models import OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, JSONObject

from ..phones import international, tel_uri
from ..search import search_terms
from ..visibility import seen, visible


class JSONList(models.Aggregate):
    """
    Collect values into a JSON array: ``JSONB_AGG`` on PostgreSQL,
    ``JSON_GROUP_ARRAY`` on SQLite.

    The order of the elements is not defined; callers sort them.
    """

    function = "JSON_GROUP_ARRAY"
    output_field = models.JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


def _json_list(through, owner, **fields):
    """Return a subquery collecting ``fields`` of the ``through`` rows of each ``owner``."""
    return Subquery(
        through.objects.filter(**{owner: OuterRef("pk")})
        .order_by()
        .values(owner)
        .annotate(items=JSONList(JSONObject(row="pk", **fields)))
        .values("items")
    )


def _containing(texts):
    """Return a filter of the contacts whose search text contains any of ``texts``."""
    return functools.reduce(operator.or_, (Q(search_text__contains=text) for text in texts))


# Another contact the user cannot see, where a row names it (crm.visibility).
UNSEEN = {"pk": None, "name": "a contact you cannot see"}


def _rows(items):
    # In the order they were added to the contact: the order typed in the form.
    return sorted(items or (), key=lambda item: item["row"])


class ContactQuerySet(models.QuerySet):
    def visible_to(self, user, *, row_by_row=False):
        """
        Return the contacts ``user`` sees (crm.visibility): all of them when
        CRM_VISIBILITY is "all" or they see all, else their teams' contacts
        and those shared with their teams (each contact looked up among the
        shares ``row_by_row``: see ``visible()``).
        """
        condition = visible(user, row_by_row=row_by_row)
        return self if condition is None else self.filter(condition)

    def search(self, query):
        """
        Return the contacts that have every word of ``query``, in any order,
        ignoring case and accents, in a name part, the nickname, the
        organisation or title, an email, a phone number, an address or a tag
        ("costa ada" finds "Ada Costa"; "muller" finds "Müller"); see
        ``crm.search`` for the rules, phone numbers in any format included.

        A query without a letter or a digit finds nothing; one of more than
        ``MAX_WORDS`` words searches the first ones (``search_terms()``
        tells which, for the page to say so).
        """
        terms = search_terms(query)
        if not terms.query:
            return self
        if not terms:
            return self.none()
        # One column, one trigram index on PostgreSQL: each word is an index
        # scan, and the list still costs a count and one query.
        if terms.phone:
            return self.filter(_containing(terms.phone))
        return self.filter(*(_containing(word.alternatives) for word in terms.words))

    def in_trash(self):
        """
        Return the contacts in the trash that someone put there, newest first;
        not those a merge trashed: they come back by undoing the merge.
        """
        return self.filter(trashed__isnull=False, merged_into=None).order_by("-trashed", "-pk")

    def with_phones(self):
        """Annotate ``phone_list``: the contact's phones as JSON, in one subquery."""
        return self.annotate(
            phone_list=_json_list(
                self.model.phones.through,
                "contact",
                id="phone_id",
                number="phone__number",
                digits="phone__digits",
                e164="phone__e164",
                label="label",  # this contact's, on its link
            )
        )

    def with_addresses(self):
        """Annotate ``address_list``: the contact's addresses as JSON, in one subquery."""
        return self.annotate(
            address_list=_json_list(
                self.model.addresses.through,
                "contact",
                id="address_id",
                label="label",
                street="address__street",
                city="address__city",
                region="address__region",
                postal_code="address__postal_code",
                country="address__country",
            )
        )

    def with_emails(self):
        """Annotate ``email_list``: the contact's emails as JSON, in one subquery."""
        Email = self.model.emails.field.model
        return self.annotate(
            email_list=_json_list(
                Email, "contact", address="address", label="label", primary="primary"
            )
        )

    def with_urls(self):
        """Annotate ``url_list``: the contact's URLs as JSON, in one subquery."""
        Url = self.model.urls.field.model
        return self.annotate(url_list=_json_list(Url, "contact", url="url", label="label"))

    def with_dates(self):
        """Annotate ``date_list``: the contact's dates as JSON, in one subquery."""
        Date = self.model.dates.field.model
        return self.annotate(
            date_list=_json_list(
                Date, "contact", kind="kind", label="label", year="year", month="month", day="day"
            )
        )

    def with_primary_email(self):
        """Annotate ``primary_email``: the contact's primary email, or ""."""
        Email = self.model.emails.field.model
        primary = Email.objects.filter(contact=OuterRef("pk")).order_by("-primary", "pk")
        return self.annotate(
            primary_email=Coalesce(Subquery(primary.values("address")[:1]), Value(""))
        )

    def with_everything(self):
        """Annotate all a contact holds, as the exports write it: one query for any number."""
        return (
            self.with_emails().with_phones().with_addresses().with_urls().with_dates().with_tags()
        )

    def with_tags(self):
        """Annotate ``tag_names``: the names of the contact's tags as JSON, in one subquery."""
        return self.annotate(
            tag_names=Subquery(
                self.model.tags.through.objects.filter(contact=OuterRef("pk"))
                .order_by()
                .values("contact")
                .annotate(items=JSONList("tag__name"))
                .values("items")
            )
        )

    def with_tag_rows(self):
        """Annotate ``tag_list``: the contact's tags (slug and name) as JSON, in one subquery."""
        return self.annotate(
            tag_list=_json_list(
                self.model.tags.through, "contact", slug="tag__slug", name="tag__name"
            )
        )

    def with_sharing(self):
        """Annotate ``sharing_list``: the teams it is shared with, as JSON, in one subquery."""
        return self.annotate(
            sharing_list=_json_list(
                self.model.shared_with.through, "contact", id="team_id", name="team__name"
            )
        )

    def with_city(self):
        """Annotate ``city``: the city of the contact's first address that has one."""
        first = (
            self.model.addresses.through.objects.filter(contact=OuterRef("pk"))
            .exclude(address__city="")
            .order_by("pk")
            .values("address__city")[:1]
        )
        return self.annotate(city=Coalesce(Subquery(first), Value("")))

    def for_list(self, *fields):
        """
        Return the contacts with what a list row shows, and no more: name,
        organisation and title, the primary email, phones, the first city
        (the whole addresses are for the contact's page and the exports) and
        the last interaction; and ``fields`` (the page's sort, for its cursors).
        """
        return (
            self.only("name", "organization", "job_title", "last_interaction", *fields)
            .with_primary_email()
            .with_phones()
            .with_city()
        )

    def detail(self, pk, *, user):
        """
        Return the contact ``pk`` with what its page shows ``user``, in a fixed
        number of queries: emails, URLs, dates, phones and addresses (each with
        the other contacts sharing it, a phone with its ``tel:`` URI and
        international format too), relationships (with the related contact
        and the types), and tags. A contact sharing a line or related that
        ``user`` cannot see comes with ``pk`` None and no name, or with
        ``to_visible`` false on its relationship (crm.visibility).

        Raise ``DoesNotExist`` when there is no such contact.
        """
        contact = decorate(self.with_everything().get(pk=pk))
        Contact = self.model
        for rows, through, key in [
            (contact.phone_rows, Contact.phones.through, "phone_id"),
            (contact.address_rows, Contact.addresses.through, "address_id"),
        ]:
            mine = through.objects.filter(contact=pk).values(key)
            others = (
                through.objects.filter(**{f"{key}__in": mine}, contact__trashed=None)
                .exclude(contact=pk)
                .annotate(seen=seen(user, "contact"))
                .order_by("-seen", "contact__sort_name", "contact_id")
                .values_list(key, "contact_id", "contact__name", "seen")
            )
            sharing = {}
            for item, other_pk, other_name, visible_to_user in others:
                other = {"pk": other_pk, "name": other_name} if visible_to_user else UNSEEN
                sharing.setdefault(item, []).append(other)
            for row in rows:
                row["shared_with"] = sharing.get(row["id"], [])
        for row in contact.phone_rows:
            row["tel"] = tel_uri(row["number"])
            row["international"] = international(row["e164"]) if row["e164"] else ""
        contact.relationship_rows = list(
            # One to a contact in the trash comes back with it, on a restore.
            contact.relationships.filter(to_contact__trashed=None)
            .annotate(to_visible=seen(user, "to_contact"))
            .select_related("to_contact")
            .prefetch_related("types")
            .order_by("to_contact__sort_name", "to_contact_id")
        )
        contact.tag_list = list(contact.tags.order_by("name"))
        return contact


class LiveContactManager(models.Manager.from_queryset(ContactQuerySet)):
    """The contacts not in the trash: ``Contact.objects``."""

    def get_queryset(self):
        return super().get_queryset().filter(trashed__isnull=True)


@functools.cache
def _labels(model):
    # Once, not once a contact: the choices are rebuilt on every access.
    return dict(model._meta.get_field("label").choices)


def _labelled(items, model):
    rows = _rows(items)
    labels = _labels(model)
    for row in rows:
        row["label_display"] = labels.get(row["label"], row["label"])
    return rows


def decorate(contact):
    """
    Decode the JSON the ``with_*()`` annotations collected into lists of
    rows, in the order they were added: ``phone_rows`` and, when annotated,
    ``email_rows`` (the primary first), ``url_rows``, ``date_rows``
    (unsaved ``ContactDate`` objects, by month and day), ``address_rows``
    with ``city``, the first address's city, and ``tag_names`` (sorted).
    """
    model = type(contact)
    contact.phone_rows = _labelled(contact.phone_list, model.phones.through)
    if hasattr(contact, "email_list"):
        rows = _labelled(contact.email_list, model.emails.field.model)
        contact.email_rows = sorted(rows, key=lambda row: not row["primary"])
    if hasattr(contact, "url_list"):
        contact.url_rows = _labelled(contact.url_list, model.urls.field.model)
    if hasattr(contact, "date_list"):
        Date = model.dates.field.model
        dates = [
            Date(pk=row.pop("row"), contact_id=contact.pk, **row) for row in contact.date_list or ()
        ]
        contact.date_rows = sorted(dates, key=lambda date: (date.month, date.day, date.pk))
    if hasattr(contact, "tag_names"):
        contact.tag_names = sorted(contact.tag_names or (), key=str.casefold)
    if hasattr(contact, "address_list"):
        contact.address_rows = _labelled(contact.address_list, model.addresses.through)
        contact.city = next((a["city"] for a in contact.address_rows if a["city"]), "")
    return contact
