import random
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crm.models import (
    Address,
    Contact,
    ContactAddress,
    ContactPhone,
    ContactRelationship,
    Email,
    Phone,
    RelationshipType,
)

# fmt: off
FIRST_NAMES = [
    "Ada", "Alan", "Alice", "Amara", "Ana", "Anton", "Arjun", "Beatriz",
    "Ben", "Camille", "Carlos", "Chen", "Chiara", "Daniel", "Dara", "Elena",
    "Emil", "Emma", "Fatima", "Felix", "Grace", "Hana", "Hugo", "Ines",
    "Ivan", "Jamal", "Jana", "Jonas", "Julia", "Kai", "Karim", "Lars",
    "Lea", "Leo", "Lina", "Luca", "Maria", "Mateo", "Maya", "Mei",
    "Mila", "Nadia", "Noah", "Nora", "Olga", "Omar", "Paul", "Priya",
    "Rafael", "Rosa", "Sami", "Sara", "Sofia", "Tariq", "Theo", "Vera",
    "Wei", "Yara", "Yusuf", "Zoe",
]
LAST_NAMES = [
    "Abbott", "Alvarez", "Andersen", "Becker", "Bianchi", "Brown", "Castillo", "Chen",
    "Costa", "Dubois", "Eriksson", "Fischer", "Garcia", "Gonzalez", "Haddad", "Hansen",
    "Hopper", "Ivanova", "Jensen", "Kaur", "Khan", "Kim", "Kowalski", "Larsen",
    "Lee", "Lopez", "Lovelace", "Martin", "Meyer", "Moreau", "Muller", "Nakamura",
    "Nguyen", "Novak", "Okafor", "Olsen", "Park", "Patel", "Petrov", "Rossi",
    "Santos", "Schmidt", "Silva", "Singh", "Smith", "Sousa", "Tanaka", "Turing",
    "Wagner", "Wang", "Weber", "Wilson", "Yamamoto", "Yilmaz", "Zhang",
]
# fmt: on
DOMAINS = ["example.org", "example.com", "example.net", "mail.example", "corp.example"]
CITIES = [
    ("London", "", "United Kingdom", "EC1A 1BB"),
    ("Manchester", "", "United Kingdom", "M1 1AE"),
    ("Paris", "Île-de-France", "France", "75001"),
    ("Lyon", "Auvergne-Rhône-Alpes", "France", "69001"),
    ("Berlin", "", "Germany", "10115"),
    ("Hamburg", "", "Germany", "20095"),
    ("Madrid", "", "Spain", "28013"),
    ("Barcelona", "Catalonia", "Spain", "08002"),
    ("Lisbon", "", "Portugal", "1100-148"),
    ("Rome", "Lazio", "Italy", "00184"),
    ("Milan", "Lombardy", "Italy", "20121"),
    ("Amsterdam", "North Holland", "Netherlands", "1012 JS"),
    ("Copenhagen", "", "Denmark", "1050"),
    ("Stockholm", "", "Sweden", "111 52"),
    ("Warsaw", "Masovia", "Poland", "00-001"),
    ("Vienna", "", "Austria", "1010"),
    ("Zurich", "", "Switzerland", "8001"),
    ("New York", "NY", "United States", "10001"),
    ("Chicago", "IL", "United States", "60601"),
    ("San Francisco", "CA", "United States", "94103"),
    ("Toronto", "ON", "Canada", "M5H 2N2"),
    ("Tokyo", "", "Japan", "100-0001"),
    ("Seoul", "", "South Korea", "04524"),
    ("Sydney", "NSW", "Australia", "2000"),
    ("Nairobi", "", "Kenya", "00100"),
    ("Lagos", "", "Nigeria", "100001"),
    ("São Paulo", "SP", "Brazil", "01000-000"),
    ("Mexico City", "CDMX", "Mexico", "06000"),
]
STREETS = [
    "High Street", "Station Road", "Church Lane", "Market Square", "Mill Road",
    "Park Avenue", "Rue de la Paix", "Hauptstraße", "Calle Mayor", "Via Roma",
]  # fmt: skip
RELATIONSHIP_TYPES = ["Colleague", "Friend", "Spouse", "Assistant", "Manager", "Family"]
PHONE_COUNTS, PHONE_WEIGHTS = [0, 1, 2, 3, 4], [15, 35, 30, 15, 5]
ADDRESS_COUNTS, ADDRESS_WEIGHTS = [0, 1, 2], [25, 60, 15]
BATCH = 2000


class Command(BaseCommand):
    help = (
        "Create realistic demo contacts, deterministically: 0-4 phones each (some shared "
        "office lines), 0-2 addresses, some relationships. Bulk inserts, with a progress bar."
    )

    def add_arguments(self, parser):
        parser.add_argument("--contacts", type=int, default=300, help="How many (default 300).")
        parser.add_argument("--seed", type=int, default=2009, help="Same seed, same data.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when contacts exist already."
        )

    def handle(self, *, contacts, seed, if_empty, **options):
        if contacts < 0:
            raise CommandError("--contacts must be 0 or more.")
        if if_empty and Contact.objects.exists():
            self.stdout.write("Contacts exist already; no demo contacts added.")
            return
        started = time.monotonic()
        self.random = random.Random(seed)
        self.types = [
            RelationshipType.objects.get_or_create(slug=name.lower(), defaults={"name": name})[0]
            for name in RELATIONSHIP_TYPES
        ]
        # Office lines and buildings shared by several contacts.
        self.office_lines = [self.number(9000000 + i) for i in range(max(contacts // 50, 3))]
        self.offices = []
        self.serial = Phone.objects.count() * 7 + 1
        done = 0
        while done < contacts:
            size = min(BATCH, contacts - done)
            with transaction.atomic():
                self.create_batch(size)
            done += size
            self.progress(done, contacts)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {contacts} demo contacts in {time.monotonic() - started:.1f}s."
            )
        )

    def number(self, n):
        area, rest = divmod(n, 10000000)
        return f"+1 ({200 + area % 800:03d}) {rest // 10000:03d}-{rest % 10000:04d}"

    def progress(self, done, total):
        width = 30
        filled = width * done // max(total, 1)
        bar = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} contacts"
        if sys.stdout.isatty():
            self.stdout.write(f"\r{bar}", ending="" if done < total else "\n")
            self.stdout.flush()
        else:
            self.stdout.write(bar)

    def create_batch(self, size):
        """Create ``size`` contacts with their phones, addresses and relationships."""
        contacts = self.create_contacts(size)
        self.add_phones(contacts)
        self.add_addresses(contacts)
        self.add_relationships(contacts)

    def create_contacts(self, size):
        rnd = self.random
        contacts, emails = [], []
        for _ in range(size):
            first, last = rnd.choice(FIRST_NAMES), rnd.choice(LAST_NAMES)
            email = ""
            if rnd.random() < 0.8:
                email = f"{first}.{last}{rnd.randrange(100)}@{rnd.choice(DOMAINS)}".lower()
            notes = rnd.choice(["", "", "", "Met at the trade fair.", "Prefers email.", "VIP"])
            contact = Contact(given_name=first, family_name=last, notes=notes)
            contact.derive()  # bulk_create() does not call save()
            contacts.append(contact)
            emails.append(email)
        contacts = Contact.objects.bulk_create(contacts)
        Email.objects.bulk_create(
            [
                Email(contact=c, address=e, primary=True)
                for c, e in zip(contacts, emails, strict=True)
                if e
            ],
            batch_size=1000,
        )
        return contacts

    def add_phones(self, contacts):
        """Give each contact its own numbers, and sometimes a shared office line."""
        rnd = self.random
        wanted = []
        for contact in contacts:
            count = rnd.choices(PHONE_COUNTS, PHONE_WEIGHTS)[0]
            for _ in range(count):
                if rnd.random() < 0.1:
                    number, label = rnd.choice(self.office_lines), Phone.Label.OFFICE
                else:
                    number = self.number(self.serial)
                    self.serial += rnd.randrange(1, 13)
                    label = rnd.choice([Phone.Label.MOBILE, Phone.Label.HOME, Phone.Label.OTHER])
                wanted.append((contact, number, label))
        # Each number parsed once (an office line recurs), keyed as the site keys it.
        typed = {}
        for _, number, _ in wanted:
            if number not in typed:
                typed[number] = Phone.typed(number)
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
        labels = {}
        for contact, number, label in wanted:
            labels.setdefault((contact.pk, ids[typed[number].digits]), label)
        ContactPhone.objects.bulk_create(
            [
                ContactPhone(contact_id=c, phone_id=p, label=label)
                for (c, p), label in sorted(labels.items())
            ],
            batch_size=1000,
        )

    def add_addresses(self, contacts):
        """Give each contact its own addresses, and sometimes a shared office building."""
        rnd = self.random
        links = []
        new = []
        for contact in contacts:
            for _ in range(rnd.choices(ADDRESS_COUNTS, ADDRESS_WEIGHTS)[0]):
                if self.offices and rnd.random() < 0.1:
                    links.append((contact, rnd.choice(self.offices), Address.Label.WORK))
                    continue
                city, region, country, code = rnd.choice(CITIES)
                label = rnd.choice([Address.Label.HOME, Address.Label.WORK])
                address = Address(
                    street=f"{rnd.randrange(1, 200)} {rnd.choice(STREETS)}",
                    city=city,
                    region=region,
                    country=country,
                    postal_code=code,
                )
                new.append(address)
                links.append((contact, address, label))
        Address.objects.bulk_create(new, batch_size=1000)
        fresh = {id(address) for address in new[:20]}
        self.offices.extend(
            a for _, a, label in links if id(a) in fresh and label == Address.Label.WORK
        )
        ContactAddress.objects.bulk_create(
            {
                (c.pk, a.pk): ContactAddress(contact_id=c.pk, address_id=a.pk, label=label)
                for c, a, label in links
            }.values(),
            batch_size=1000,
        )

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
