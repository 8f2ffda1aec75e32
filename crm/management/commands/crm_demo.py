"""Create realistic demo contacts that fill every field: ``manage.py crm_demo``."""

import calendar
import random
import time
import unicodedata
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crm.exceptions import NoTeam
from crm.models import (
    ADDRESS_LINE,
    Address,
    Contact,
    ContactAddress,
    ContactDate,
    ContactPhone,
    ContactRelationship,
    Email,
    Phone,
    RelationshipType,
    Url,
)
from crm.search import address_words, phone_words, search_text
from crm.services.contacts import tag_get_or_create
from crm.services.history import watching
from crm.services.teams import contact_defaults

from ._demo_data import (
    COUNTRIES,
    FAMILY_NAMES,
    FIRST_NAMES,
    JOB_TITLES,
    NICKNAMES,
    ORGANISATION_WORDS,
    OTHER_DATES,
    PERSONAL_DOMAINS,
    RELATIONSHIP_TYPES,
    STREETS,
    TAGS,
    TRADES,
    Country,
)
from ._progress import show_progress

BATCH = 2000


def ascii_word(text):
    """Return ``text`` for an email address or a URL: "José Núñez" is "josenunez"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isascii() and c.isalnum())


@dataclass
class Organisation:
    """A company many contacts work at: they share its office line, some its building."""

    name: str
    domain: str
    country: Country
    office_line: str
    building: Address
    extension: str


@dataclass
class Draft:
    """A contact drawn but not saved yet, with all it holds, in the order drawn."""

    contact: Contact
    emails: list = field(default_factory=list)
    urls: list = field(default_factory=list)
    dates: list = field(default_factory=list)
    tags: list = field(default_factory=list)
    phones: list = field(default_factory=list)  # (number, label)
    addresses: list = field(default_factory=list)  # (Address, label)


class Command(BaseCommand):
    help = (
        "Create realistic demo contacts, deterministically, filling every field: name "
        "parts, organisations and titles, emails, URLs, dates, tags, phones from several "
        "countries (office lines shared by colleagues), addresses, relationships. Bulk "
        "inserts, with a progress bar."
    )

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=300, help="How many (default 300).")
        parser.add_argument("--seed", type=int, default=2009, help="Same seed, same data.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when contacts exist already."
        )
        parser.add_argument(
            "--owner",
            metavar="USER",
            help="The user who owns them, in their first team (default: nobody, no team).",
        )

    def handle(self, *, contacts, seed, if_empty, owner, **options):
        if contacts < 0:
            raise CommandError("--contacts must be 0 or more.")
        self.owner, self.team = self.owner_and_team(owner)
        if if_empty and Contact.objects.exists():
            self.stdout.write("Contacts exist already; no demo contacts added.")
            return
        started = time.monotonic()
        self.random = random.Random(seed)
        with transaction.atomic():
            self.types = [
                RelationshipType.objects.get_or_create(slug=n.lower(), defaults={"name": n})[0]
                for n in RELATIONSHIP_TYPES
            ]
            self.tags = [tag_get_or_create(name=name) for name in TAGS]
            # Each country's numbers follow a serial, so no two are drawn the
            # same; a second run starts past the first run's (and links any
            # number it meets again).
            start = Phone.objects.count() * 13 + 1
            self.serials = {country.name: start for country in COUNTRIES}
            self.organisations = self.draw_organisations(max(contacts // 25, 5))
        done = 0
        while done < contacts:
            size = min(BATCH, contacts - done)
            with transaction.atomic(), watching() as watch:
                watch.created(self.create_batch(size))
            done += size
            show_progress(self.stdout, done, contacts)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {contacts} demo contacts in {time.monotonic() - started:.1f}s."
            )
        )

    def owner_and_team(self, username):
        """Return the owner of the demo contacts (``--owner``) and their team, or None, None."""
        if not username:
            return None, None
        User = get_user_model()
        user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"There is no user {username!r}.")
        try:
            return contact_defaults(user=user)
        except NoTeam as exc:
            raise CommandError(f"{username}: {exc}") from None

    def country(self):
        return self.random.choices(COUNTRIES, [c.weight for c in COUNTRIES])[0]

    def phone_number(self, country):
        """Return a number of ``country`` no other drawn number has, typed one way or another."""
        serial = self.serials[country.name]
        self.serials[country.name] += self.random.randrange(1, 13)
        return country.number(serial, self.random)

    def address(self, country):
        city, region, postal_code = self.random.choice(country.cities)
        street = f"{self.random.randrange(1, 200)} {self.random.choice(STREETS)}"
        return Address(
            street=street, city=city, region=region, postal_code=postal_code, country=country.name
        )

    def draw_organisations(self, count):
        """
        Draw the companies contacts work at, each with its office line and
        building, saved when a first contact has them.
        """
        rnd = self.random
        organisations, domains = [], set()
        for i in range(count):
            country = self.country()
            word, trade = rnd.choice(ORGANISATION_WORDS), rnd.choice(TRADES)
            domain = f"{ascii_word(word)}-{ascii_word(trade)}.example"
            if domain in domains:  # another company of that name, elsewhere
                domain = f"{ascii_word(word)}-{ascii_word(trade)}-{i}.example"
            domains.add(domain)
            organisations.append(
                Organisation(
                    name=f"{word} {trade} {country.legal_form}",
                    domain=domain,
                    country=country,
                    office_line=self.phone_number(country),
                    building=self.address(country),
                    # A few companies' reception desks have an internal short
                    # number: no number libphonenumber reads, kept as typed.
                    extension=f"{2041 + i}" if i < 3 else "",
                )
            )
        return organisations

    def create_batch(self, size):
        """Create ``size`` contacts with all they hold, a few queries a table; return their ids."""
        drafts = [self.draw() for _ in range(size)]
        typed = self.type_phones(drafts)
        for draft in drafts:
            # Written with the rows, as contact_search_refresh() would read them
            # back, without reading them back.
            draft.contact.search_text = self.search_text(draft, typed)
        for draft in drafts:
            draft.contact.owner, draft.contact.team = self.owner, self.team
        Contact.objects.bulk_create([draft.contact for draft in drafts])
        for model, attribute in [(Email, "emails"), (Url, "urls"), (ContactDate, "dates")]:
            rows = []
            for draft in drafts:
                for row in getattr(draft, attribute):
                    row.contact_id = draft.contact.pk
                    rows.append(row)
            model.objects.bulk_create(rows, batch_size=1000)
        TagLink = Contact.tags.through
        TagLink.objects.bulk_create(
            [TagLink(contact_id=d.contact.pk, tag_id=tag.pk) for d in drafts for tag in d.tags],
            batch_size=1000,
        )
        self.add_phones(drafts, typed)
        self.add_addresses(drafts)
        self.add_relationships([draft.contact for draft in drafts])
        return [draft.contact.pk for draft in drafts]

    def draw(self):
        """Draw a contact and everything it holds."""
        rnd = self.random
        organisation = rnd.choice(self.organisations) if rnd.random() < 0.65 else None
        if organisation and rnd.random() < 0.03:
            return self.draw_organisation(organisation)
        given, family = rnd.choice(FIRST_NAMES), rnd.choice(FAMILY_NAMES)
        prefix, suffix = rnd.choices(
            [("", ""), ("Dr.", ""), ("Dr.", "PhD"), ("Prof.", ""), ("", "Jr."), ("", "MBA")],
            [88, 3, 2, 2, 3, 2],
        )[0]
        contact = Contact(
            honorific_prefix=prefix,
            given_name=given,
            additional_names=rnd.choice(FIRST_NAMES) if rnd.random() < 0.12 else "",
            family_name=family,
            honorific_suffix=suffix,
            nickname=NICKNAMES.get(given, "") if rnd.random() < 0.5 else "",
            organization=organisation.name if organisation else "",
            job_title=rnd.choice(JOB_TITLES) if organisation and rnd.random() < 0.9 else "",
            notes=rnd.choice(["", "", "", "Met at the trade fair.", "Prefers email."]),
        )
        draft = Draft(contact)
        self.draw_emails(draft, ascii_word(given), ascii_word(family), organisation)
        self.draw_urls(draft, ascii_word(given), ascii_word(family), organisation)
        self.draw_dates(draft)
        draft.tags = rnd.sample(self.tags, rnd.choices([0, 1, 2, 3], [40, 35, 18, 7])[0])
        home = organisation.country if organisation and rnd.random() < 0.8 else self.country()
        self.draw_phones(draft, home, organisation)
        self.draw_addresses(draft, home, organisation)
        contact.derive()  # bulk_create() does not call save()
        return draft

    def draw_organisation(self, organisation):
        """Draw a contact that is a company itself: named after it, reached at its office."""
        contact = Contact(organization=organisation.name, notes="Switchboard.")
        contact.derive()
        draft = Draft(contact)
        draft.emails = [Email(address=f"info@{organisation.domain}", label="work", primary=True)]
        draft.urls = [Url(url=f"https://www.{organisation.domain}/", label=Url.Label.WORK)]
        draft.tags = [self.random.choice(self.tags)]
        draft.phones = [(organisation.office_line, Phone.Label.OFFICE)]
        draft.addresses = [(organisation.building, Address.Label.WORK)]
        return draft

    def draw_emails(self, draft, given, family, organisation):
        """Give the contact 0 to 3 emails, with labels, exactly one of them primary."""
        rnd = self.random
        n = rnd.randrange(100)
        candidates = [
            (f"{given}.{family}{n}@{rnd.choice(PERSONAL_DOMAINS)}", Email.Label.HOME),
            (f"{given[0]}{family}{n}@{rnd.choice(PERSONAL_DOMAINS)}", Email.Label.OTHER),
        ]
        if organisation:
            work = (f"{given}.{family}@{organisation.domain}", Email.Label.WORK)
            candidates.insert(rnd.randrange(2), work)
        else:
            candidates.append((f"{family}.{given}@{rnd.choice(PERSONAL_DOMAINS)}", "home"))
        chosen = candidates[: rnd.choices([0, 1, 2, 3], [10, 45, 30, 15])[0]]
        primary = 0 if rnd.random() < 0.7 or not chosen else rnd.randrange(len(chosen))
        draft.emails = [
            Email(address=address, label=label, primary=i == primary)
            for i, (address, label) in enumerate(chosen)
        ]

    def draw_urls(self, draft, given, family, organisation):
        """Give some contacts a personal site, a profile, a blog or their company's site."""
        rnd = self.random
        if rnd.random() < 0.12:
            draft.urls.append(Url(url=f"https://{given}{family}.example/", label=Url.Label.HOME))
        if rnd.random() < 0.25:
            handle = f"{given}-{family}-{rnd.randrange(16**4):04x}"
            draft.urls.append(
                Url(url=f"https://profiles.example/in/{handle}", label=Url.Label.PROFILE)
            )
        if rnd.random() < 0.06:
            draft.urls.append(Url(url=f"https://blog.example/{given}{family}", label="blog"))
        if organisation and rnd.random() < 0.1:
            draft.urls.append(Url(url=f"https://www.{organisation.domain}/", label="work"))

    def draw_dates(self, draft):
        """Give some contacts a birthday (some without the year), an anniversary, another date."""
        rnd = self.random
        if rnd.random() < 0.45:
            year = None if rnd.random() < 0.25 else rnd.randint(1940, 2006)
            draft.dates.append(self.date(ContactDate.Kind.BIRTHDAY, year))
        if rnd.random() < 0.1:
            draft.dates.append(self.date(ContactDate.Kind.ANNIVERSARY, rnd.randint(1970, 2024)))
        if rnd.random() < 0.06:
            year = None if rnd.random() < 0.3 else rnd.randint(1990, 2025)
            draft.dates.append(self.date("other", year, label=rnd.choice(OTHER_DATES)))

    def date(self, kind, year, label=""):
        month = self.random.randint(1, 12)
        # A year-less 29 February is fine: 2000 was a leap year.
        day = self.random.randint(1, calendar.monthrange(year or 2000, month)[1])
        return ContactDate(kind=kind, label=label, year=year, month=month, day=day)

    def draw_phones(self, draft, home, organisation):
        """Give the contact its own numbers, and often its company's office line."""
        rnd = self.random
        if organisation and rnd.random() < 0.6:
            draft.phones.append((organisation.office_line, Phone.Label.OFFICE))
        if organisation and organisation.extension and rnd.random() < 0.5:
            draft.phones.append((organisation.extension, Phone.Label.OFFICE))
        for _ in range(rnd.choices([0, 1, 2, 3], [20, 50, 25, 5])[0]):
            country = home if rnd.random() < 0.85 else self.country()
            label = rnd.choices(["mobile", "home", "other", "fax"], [60, 25, 10, 5])[0]
            draft.phones.append((self.phone_number(country), label))

    def draw_addresses(self, draft, home, organisation):
        """Give the contact its own addresses, and sometimes its company's building."""
        rnd = self.random
        if organisation and rnd.random() < 0.25:
            draft.addresses.append((organisation.building, Address.Label.WORK))
        for _ in range(rnd.choices([0, 1, 2], [30, 60, 10])[0]):
            label = rnd.choices(["home", "work", "other"], [75, 15, 10])[0]
            draft.addresses.append((self.address(home), label))

    def type_phones(self, drafts):
        """Return the drafted numbers, each parsed once: {number: unsaved Phone}."""
        typed = {}
        for draft in drafts:
            for number, _ in draft.phones:
                if number not in typed:
                    typed[number] = Phone.typed(number)
        return typed

    def search_text(self, draft, typed):
        """Return the search text of ``draft``'s contact with all it holds."""
        contact = draft.contact
        rows = [email.address for email in draft.emails]
        for number, _ in draft.phones:
            rows.extend(phone_words(number, typed[number].digits))
        for address, _ in draft.addresses:
            rows.extend(address_words({part: getattr(address, part) for part in ADDRESS_LINE}))
        rows.extend(tag.name for tag in draft.tags)
        return search_text([getattr(contact, field) for field in Contact.SEARCHED_FIELDS], rows)

    def add_phones(self, drafts, typed):
        """Link the drafted numbers (``typed``), each inserted once, shared ones linked."""
        by_key = {phone.digits: phone for phone in typed.values()}
        # Numbers that exist already (a second run, an office line) are linked,
        # not copied: on conflict the row is "updated" to itself, which returns
        # its primary key without looking the numbers up again.
        phones = Phone.objects.bulk_create(
            by_key.values(),
            update_conflicts=True,
            unique_fields=["digits"],
            update_fields=["digits"],
            batch_size=1000,
        )
        ids = {phone.digits: phone.pk for phone in phones}
        # One link a contact and phone, with the label it was drawn with first.
        links = {}
        for draft in drafts:
            for number, label in draft.phones:
                key = (draft.contact.pk, ids[typed[number].digits])
                links.setdefault(key, ContactPhone(contact_id=key[0], phone_id=key[1], label=label))
        ContactPhone.objects.bulk_create(links.values(), batch_size=1000)

    def add_addresses(self, drafts):
        """Insert the drafted addresses (a company's building once) and link them."""
        new = {id(a): a for d in drafts for a, _ in d.addresses if a.pk is None}.values()
        Address.objects.bulk_create(new, batch_size=1000)
        links = {}
        for draft in drafts:
            for address, label in draft.addresses:
                key = (draft.contact.pk, address.pk)
                links.setdefault(
                    key, ContactAddress(contact_id=key[0], address_id=key[1], label=label)
                )
        ContactAddress.objects.bulk_create(links.values(), batch_size=1000)

    def add_relationships(self, contacts):
        """Relate some contacts, both directions, with the same types on both rows."""
        rnd = self.random
        rows, pairs = [], set()
        for contact in contacts:
            if rnd.random() < 0.2 and len(contacts) > 1:
                other = rnd.choice(contacts)
                pair = tuple(sorted((contact.pk, other.pk)))
                if other.pk == contact.pk or pair in pairs:
                    continue
                pairs.add(pair)
                types = rnd.sample(self.types, rnd.choice([1, 1, 2]))
                rows.append((ContactRelationship(from_contact=contact, to_contact=other), types))
                rows.append((ContactRelationship(from_contact=other, to_contact=contact), types))
        ContactRelationship.objects.bulk_create([row for row, _ in rows], batch_size=1000)
        TypeLink = ContactRelationship.types.through
        TypeLink.objects.bulk_create(
            [
                TypeLink(contactrelationship_id=row.pk, relationshiptype_id=t.pk)
                for row, types in rows
                for t in types
            ],
            batch_size=1000,
        )
