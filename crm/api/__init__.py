"""
The contact book's JSON API under ``/api/``, built with django-ninja.

``crm.api.site`` makes the one ``NinjaAPI``, mounts each part's router and
answers every error as ``application/problem+json`` (RFC 9457, see
``crm.api.problems``). Its schema, OpenAPI 3.1, is at ``/api/openapi.json``
and its documentation at ``/api/docs/``.
"""
