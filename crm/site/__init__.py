"""
The site around the contact book: login and logout, login throttling, site-wide middleware.

The site's configuration stays where ops look for it (``crm.settings``,
``crm.urls``, ``crm.wsgi``); the contact book is the rest of ``crm``.
"""
