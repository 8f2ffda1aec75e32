"""URLs for relating contacts, in the ``relationships`` namespace."""

from django.urls import path

from . import relationship_views as views

app_name = "relationships"

urlpatterns = [
    path("contacts/<id:pk>/relationships/add/", views.relationship_add, name="add"),
    path(
        "contacts/<id:pk>/relationships/candidates/",
        views.relationship_candidates,
        name="candidates",
    ),
    path("contacts/<id:pk>/relationships/<id:other_pk>/", views.relationship_edit, name="edit"),
    path(
        "contacts/<id:pk>/relationships/<id:other_pk>/remove/",
        views.relationship_remove,
        name="remove",
    ),
]
