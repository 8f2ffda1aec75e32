"""URLs for finding and merging duplicate contacts, in the ``duplicates`` namespace."""

from django.urls import path

from . import duplicate_views as views

app_name = "duplicates"

urlpatterns = [
    path("contacts/duplicates/", views.duplicate_list, name="list"),
    path(
        "contacts/merge/<id:keep_pk>/<id:duplicate_pk>/",
        views.contact_merge_view,
        name="merge",
    ),
]
