from django.urls import path

from .views import groups, ingest, records

app_name = "remotelog"
urlpatterns = [
    path("", ingest.overview, name="overview"),
    path("groups/", groups.group_list, name="group_list"),
    path("groups/<int:group_id>/", groups.group_detail, name="group_detail"),
    path("groups/<int:group_id>/status/", groups.group_status, name="group_status"),
    path("records/", records.record_list, name="record_list"),
    path("records/feed/", records.record_feed, name="record_feed"),
    path("<slug:app_slug>/log/", ingest.log_record, name="log"),
    path("<slug:app_slug>/batch/", ingest.log_batch, name="batch"),
]
