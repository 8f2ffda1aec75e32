"""The site's URLs plus the test views under /messaging-tests/."""

from django.urls import include, path

from . import views

test_patterns = (
    [
        path("add/", views.add, name="add"),
        path("add-both-ways/", views.add_both_ways, name="add_both_ways"),
        path("add-markup/", views.add_markup, name="add_markup"),
        path("add-silently/", views.add_silently, name="add_silently"),
        path("redirect/<int:hops>/", views.redirect_chain, name="redirect"),
        path("show/", views.show, name="show"),
        path("show-first-two/", views.show_first_two, name="show_first_two"),
        path("untouched/", views.untouched, name="untouched"),
        path("note/", views.note, name="note"),
        path("inspect/", views.inspect, name="inspect"),
        path("save-form/", views.save_form, name="save_form"),
        path("save/", views.save, name="save"),
    ],
    "messaging_tests",
)

urlpatterns = [
    path("messaging-tests/", include(test_patterns)),
    path("", include("crm.urls")),
]
