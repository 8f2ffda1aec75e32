"""Root URLs of the site."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from . import views
from .site import views as site_views

urlpatterns = [
    # The contact list is the home page.
    path("", views.contact_list, name="home"),
    path("", include("crm.contact_urls")),
    path("accounts/login/", site_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", site_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("remotelog/", include("remotelog.urls")),
]

# Relationships between contacts and merging duplicates.
urlpatterns += [
    path("", include("crm.relationship_urls")),
    path("", include("crm.duplicate_urls")),
]

if settings.DEBUG_TOOLBAR:
    urlpatterns.append(path("__debug__/", include("debug_toolbar.urls")))
