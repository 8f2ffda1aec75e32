"""
Contact import: reading CSV and vCard files into records (readers), planning
what each record does to the contact book (plan), writing it (commit) and
taking it back (undo); the upload is kept in the database (storage) and a
worker runs the long steps (worker).
"""
