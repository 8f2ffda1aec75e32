"""The contacts an export writes, read in chunks."""

from ..queries.contacts import decorate

CHUNK_SIZE = 500


def contact_rows(contacts):
    """Yield each contact of the QuerySet decorated with all it holds, in list order."""
    ordered = contacts.with_everything().order_by("sort_name", "pk")
    # iterator() reads in chunks (a server-side cursor on PostgreSQL): memory
    # stays constant however many contacts match, and so does the query count.
    for contact in ordered.iterator(chunk_size=CHUNK_SIZE):
        yield decorate(contact)


def dates_by_kind(contact):
    """Return the birthday, the anniversary (each or None) and the other dates of ``contact``."""
    birthday = anniversary = None
    others = []
    for date in contact.date_rows:
        if date.kind == date.Kind.BIRTHDAY:
            birthday = date
        elif date.kind == date.Kind.ANNIVERSARY:
            anniversary = date
        else:
            others.append(date)
    return birthday, anniversary, others
