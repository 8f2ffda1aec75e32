"""
What the demo contacts are made of: names, companies, countries and their
phone numbers, tags. Read by the ``crm_demo`` command.
"""

from dataclasses import dataclass

# fmt: off
FIRST_NAMES = [
    "Ada", "Alan", "Alexander", "Alice", "Amara", "Ana", "Anton", "Arjun", "Beatriz",
    "Ben", "Björn", "Camille", "Carlos", "Chen", "Chiara", "Chloé", "Daniel", "Dara",
    "Elena", "Elizabeth", "Emil", "Emma", "Fatima", "Felix", "François", "Grace", "Hana",
    "Héctor", "Hugo", "Inès", "Ivan", "Jamal", "Jana", "Jonas", "José", "Julia", "Jürgen",
    "Kai", "Karim", "Katherine", "Lars", "Lea", "Leo", "Lina", "Luca", "Margaret", "Maria",
    "Mateo", "Maya", "Mei", "Mila", "Nadia", "Noah", "Nora", "Olga", "Omar", "Paul",
    "Priya", "Rafael", "Renée", "Robert", "Rosa", "Sami", "Sara", "Sofia", "Tariq",
    "Theo", "Vera", "Wei", "William", "Yara", "Yusuf", "Zoë",
]
FAMILY_NAMES = [
    "Abbott", "Alvarez", "Andersen", "Becker", "Bianchi", "Brown", "Castillo", "Chen",
    "Costa", "Dubois", "Dvořák", "Eriksson", "Fischer", "García", "Gómez", "Gonzalez",
    "Haddad", "Hansen", "Hopper", "Ivanova", "Jensen", "Kaur", "Khan", "Kim", "Kowalski",
    "Larsen", "Lee", "Lefèvre", "Lopez", "Lovelace", "Martin", "Meyer", "Moreau",
    "Müller", "Nakamura", "Nguyen", "Novak", "Núñez", "Okafor", "Olsen", "Öztürk",
    "Park", "Patel", "Petrov", "Rossi", "Santos", "Schmidt", "Silva", "Singh", "Smith",
    "Sousa", "Tanaka", "Turing", "Wagner", "Wang", "Weber", "Wilson", "Yamamoto",
    "Yilmaz", "Zhang",
]
NICKNAMES = {
    "Alexander": "Alex", "Elizabeth": "Liz", "José": "Pepe", "Katherine": "Kate",
    "Margaret": "Peggy", "Robert": "Bob", "William": "Bill", "Daniel": "Dan",
    "Rafael": "Rafa", "Theo": "Teddy",
}
ORGANISATION_WORDS = [
    "Acme", "Northwind", "Blue Harbor", "Cedar", "Fjord", "Globex", "Helix", "Initech",
    "Juniper", "Kestrel", "Lumen", "Meridian", "Nimbus", "Orchid", "Pioneer", "Quartz",
    "Redwood", "Solstice", "Tandem", "Umbra", "Vantage", "Willow", "Zephyr", "Élan",
]
TRADES = [
    "Analytics", "Bakery", "Biotech", "Consulting", "Design", "Energy", "Foods",
    "Freight", "Insurance", "Labs", "Logistics", "Media", "Robotics", "Software",
    "Studio", "Textiles", "Travel",
]
JOB_TITLES = [
    "Account Manager", "Buyer", "CEO", "CFO", "Chief Engineer", "Designer", "Developer",
    "Editor", "Head of Sales", "Lawyer", "Marketing Director", "Office Manager",
    "Product Manager", "Project Lead", "Researcher", "Sales Representative", "Translator",
]
STREETS = [
    "High Street", "Station Road", "Church Lane", "Market Square", "Mill Road",
    "Park Avenue", "Rue de la Paix", "Hauptstraße", "Calle Mayor", "Via Roma",
]
TAGS = ["VIP", "Supplier", "Customer", "Press", "Family", "Newsletter", "Investor"]
OTHER_DATES = ["Started at the company", "Name day", "First met", "Graduation"]
PERSONAL_DOMAINS = ["example.org", "example.com", "example.net", "mail.example"]
# fmt: on


def _pairs(digits):
    return " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))


@dataclass(frozen=True)
class Country:
    """
    Where a contact or a company is: its cities, and its phone numbers as
    people type them.

    Number ``serial`` of a country is ``base + serial`` (``width`` digits, the
    national number without its trunk prefix), so numbers drawn in sequence
    are all different, then typed in one of ``formats``.
    """

    name: str
    weight: int
    legal_form: str
    cities: tuple  # (city, region, postal code)
    base: int
    width: int
    formats: tuple

    def number(self, serial, rnd):
        """Return number ``serial`` of this country, typed one way or another."""
        digits = f"{self.base + serial:0{self.width}d}"
        return rnd.choice(self.formats)(digits)


COUNTRIES = [
    Country(
        "United States", 30, "Inc.",
        (("New York", "NY", "10001"), ("Chicago", "IL", "60601"), ("San Francisco", "CA", "94103")),
        2125550000, 10,
        (
            lambda s: f"({s[:3]}) {s[3:6]}-{s[6:]}",
            lambda s: f"{s[:3]}-{s[3:6]}-{s[6:]}",
            lambda s: f"{s[:3]}.{s[3:6]}.{s[6:]}",
            lambda s: f"+1 {s[:3]} {s[3:6]} {s[6:]}",
        ),
    ),
    Country(
        "United Kingdom", 15, "Ltd",
        (("London", "", "EC1A 1BB"), ("Manchester", "", "M1 1AE")),
        2079460000, 10,
        (
            lambda s: f"+44 {s[:2]} {s[2:6]} {s[6:]}",
            lambda s: f"+44 (0){s[:2]} {s[2:6]} {s[6:]}",
        ),
    ),
    Country(
        "France", 15, "SARL",
        (("Paris", "Île-de-France", "75001"), ("Lyon", "Auvergne-Rhône-Alpes", "69001")),
        612340000, 9,
        (
            lambda s: f"+33 {s[0]} {_pairs(s[1:])}",
            lambda s: f"+33 (0){s[0]} {_pairs(s[1:])}",
            lambda s: f"+33{s}",
        ),
    ),
    Country(
        "Germany", 12, "GmbH",
        (("Berlin", "", "10115"), ("Hamburg", "", "20095")),
        3022150000, 10,
        (
            lambda s: f"+49 {s[:2]} {s[2:]}",
            lambda s: f"+49 (0){s[:2]} {s[2:6]} {s[6:]}",
        ),
    ),
    Country(
        "Spain", 8, "S.L.",
        (("Madrid", "", "28013"), ("Barcelona", "Catalonia", "08002")),
        612340000, 9,
        (lambda s: f"+34 {s[:3]} {s[3:5]} {s[5:7]} {s[7:]}",),
    ),
    Country(
        "Italy", 7, "S.r.l.",
        (("Rome", "Lazio", "00184"), ("Milan", "Lombardy", "20121")),
        612340000, 10,
        (lambda s: f"+39 {s[:2]} {s[2:6]} {s[6:]}",),
    ),
    Country(
        "Japan", 5, "K.K.",
        (("Tokyo", "", "100-0001"),),
        312340000, 9,
        (lambda s: f"+81 {s[0]}-{s[1:5]}-{s[5:]}",),
    ),
    Country(
        "Brazil", 5, "Ltda.",
        (("São Paulo", "SP", "01000-000"),),
        11912340000, 11,
        (lambda s: f"+55 {s[:2]} {s[2:7]}-{s[7:]}",),
    ),
    Country(
        "Australia", 3, "Pty Ltd",
        (("Sydney", "NSW", "2000"),),
        292340000, 9,
        (lambda s: f"+61 {s[0]} {s[1:5]} {s[5:]}",),
    ),
]  # fmt: skip
RELATIONSHIP_TYPES = ["Colleague", "Friend", "Spouse", "Assistant", "Manager", "Family"]
