from django.urls import path

from . import views

app_name = "remotelog"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<slug:app_slug>/log/", views.log_record, name="log"),
    path("<slug:app_slug>/batch/", views.log_batch, name="batch"),
]
