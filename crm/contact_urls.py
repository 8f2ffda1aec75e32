"""URLs of the contact book, in the ``crm`` namespace."""

from django.urls import path

from . import views

app_name = "crm"

urlpatterns = [
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/export.csv", views.contact_export_csv, name="contact_export_csv"),
    path("contacts/export.vcf", views.contact_export_vcf, name="contact_export_vcf"),
    path("contacts/<id:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<id:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<id:pk>/delete/", views.contact_delete_view, name="contact_delete"),
    path("contacts/<id:pk>/contact.vcf", views.contact_vcard, name="contact_vcard"),
]
