"""The log message admin: escaped, read-only, and no COUNT(*) over the table."""

import datetime
import logging
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from remotelog.admin.messages import LogPaginator
from remotelog.models import Application, LogGroup, LogGroupCount, LogMessage

from .conftest import basic_auth, make_log_message
from .test_log_endpoint import post, record_fields

pytestmark = pytest.mark.django_db

LIST = "/admin/remotelog/logmessage/"
SCRIPT = '<script>alert("remotelog-xss")</script>'
IMG = '"><img src=x onerror=alert("remotelog-img")>'


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_hostile_text_is_escaped_on_the_list_and_the_detail_page(admin_client, client, auth):
    fields = record_fields(
        msg=f"msg {SCRIPT} {IMG}",
        args="()",
        name=f"logger{SCRIPT}{IMG}"[:255],
        exc_text=f"Traceback (most recent call last):\n  {SCRIPT}\n{IMG}",
    )
    assert post(client, fields, auth).status_code == 201
    row = LogMessage.objects.get()
    for url in (LIST, f"{LIST}{row.pk}/change/"):
        page = admin_client.get(url).content.decode()
        assert 'alert("remotelog-xss")' not in page.replace("&quot;", "")
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert "&lt;script&gt;alert(" in page
        assert "&lt;img src=x onerror=alert(" in page
    detail = admin_client.get(f"{LIST}{row.pk}/change/").content.decode()
    assert re.search(r'<pre class="remotelog-pre"[^>]*>Traceback \(most recent call', detail)


def test_a_huge_row_makes_a_small_page(admin_client, application):
    # Rows hold what a batch body may: up to a megabyte in each text field.
    huge = "x" * 1_000_000
    row = make_log_message(
        application,
        msg=huge,
        args=huge,
        message=huge,
        exc_text=huge,
        stack_info=huge,
        pathname=huge,
        funcName=huge,
        extra={"data": huge, "deep": [[[["y"] * 20_000]]]},
    )
    detail = admin_client.get(f"{LIST}{row.pk}/change/").content.decode()
    assert len(detail) < 500_000
    assert "[967,232 more characters not shown]" in detail
    assert len(admin_client.get(LIST).content) < 100_000


def test_list_shows_columns_and_coloured_levels(admin_client, application):
    make_log_message(application, levelno=logging.ERROR, msg="disk full", remote_addr="10.0.0.7")
    page = admin_client.get(LIST).content.decode()
    assert "disk full" in page
    assert "10.0.0.7" in page
    assert re.search(
        r'class="remotelog-level"><svg [^>]*><rect [^>]*fill="#c0262d"/></svg>ERROR<', page
    )


def test_is_read_only(admin_client, application):
    row = make_log_message(application)
    assert admin_client.get(f"{LIST}add/").status_code == 403
    response = admin_client.post(f"{LIST}{row.pk}/change/", {"msg": "changed"})
    assert response.status_code == 403
    assert LogMessage.objects.get().msg == "Something happened"
    assert admin_client.get(f"{LIST}{row.pk}/change/").status_code == 200


def test_filters_select_the_right_rows(admin_client, make_application):
    north, south = make_application("north"), make_application("south")
    make_log_message(north, levelno=logging.ERROR, name="pump", msg="north pump failed")
    make_log_message(north, levelno=logging.INFO, name="pump", msg="north pump ok")
    make_log_message(south, levelno=logging.ERROR, name="valve", msg="south valve failed")

    def messages(query):
        response = admin_client.get(LIST + query)
        assert response.status_code == 200
        return sorted(row.msg for row in response.context["cl"].result_list)

    assert messages(f"?application__id__exact={north.pk}") == ["north pump failed", "north pump ok"]
    assert messages("?levelno=40") == ["north pump failed", "south valve failed"]
    assert messages("?logger=valve") == ["south valve failed"]
    assert messages("?q=pump+failed") == ["north pump failed"]
    assert messages("?levelno=40&logger=pump") == ["north pump failed"]
    page = admin_client.get(LIST).content.decode()
    assert "?logger=valve" in page  # the logger filter offers recent names


@pytest.mark.parametrize("column", range(1, 7))
@pytest.mark.parametrize("direction", ["", "-"])
def test_every_column_sorts(admin_client, make_application, column, direction):
    for slug in ("b", "a"):
        make_log_message(make_application(slug), msg=f"from {slug}")
    response = admin_client.get(f"{LIST}?o={direction}{column}")
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == 2


def test_date_hierarchy_offers_only_periods_with_records(admin_client, application):
    utc = datetime.UTC
    for moment in (
        datetime.datetime(2024, 3, 5, 10, tzinfo=utc),
        datetime.datetime(2024, 3, 9, 23, tzinfo=utc),
        datetime.datetime(2024, 11, 1, 1, tzinfo=utc),
        datetime.datetime(2026, 1, 1, 0, tzinfo=utc),
    ):
        make_log_message(application, created=moment)
    years = admin_client.get(LIST).content.decode()
    assert "created__year=2024" in years
    assert "created__year=2026" in years
    assert "created__year=2025" not in years
    months = admin_client.get(f"{LIST}?created__year=2024").content.decode()
    assert "created__month=3" in months
    assert "created__month=11" in months
    assert "created__month=4" not in months
    days = admin_client.get(f"{LIST}?created__year=2024&created__month=3").content.decode()
    assert "created__day=5" in days and "created__day=9" in days
    assert "created__day=6" not in days
    response = admin_client.get(f"{LIST}?created__year=2024&created__month=3&created__day=9")
    assert len(response.context["cl"].result_list) == 1


def test_no_page_counts_the_whole_table(admin_client, application, monkeypatch):
    monkeypatch.setattr(LogPaginator, "cap", 5)
    for index in range(12):
        make_log_message(application, msg=f"row {index}", levelno=logging.ERROR)
    for query in ("", "?levelno=40", "?q=row", "?p=2", f"?application__id__exact={application.pk}"):
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(LIST + query)
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) > 0
        sql = [q["sql"] for q in captured.captured_queries]
        assert not [q for q in sql if "COUNT(" in q.upper() and "remotelog_logmessage" in q]
        # The count reads at most cap + 1 ids.
        assert any("LIMIT 6" in q for q in sql)
        assert len(sql) <= 15
    page = admin_client.get(f"{LIST}?levelno=40").content.decode()
    assert "more than 5 log messages" in page


def test_pages_list_every_row_once_in_order(admin_client, application, monkeypatch):
    monkeypatch.setattr(LogPaginator, "cap", 9)
    start = timezone.now()
    for index in range(12):
        make_log_message(
            application, msg=f"row {index}", created=start - datetime.timedelta(minutes=index)
        )
    monkeypatch.setattr("remotelog.admin.messages.LogMessageAdmin.list_per_page", 3)
    seen = []
    for number in (1, 2, 3):
        response = admin_client.get(f"{LIST}?levelno=20&p={number}")
        seen += [row.msg for row in response.context["cl"].result_list]
    assert seen == [f"row {index}" for index in range(9)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the planner's estimate")
def test_unfiltered_list_shows_the_planners_estimate(admin_client, application, monkeypatch):
    monkeypatch.setattr(LogPaginator, "cap", 5)
    LogMessage.objects.bulk_create(
        LogMessage(
            application=application,
            created=timezone.now(),
            levelno=20,
            levelname="INFO",
            name="bulk",
            msg="m",
            message="m",
        )
        for _ in range(40)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {LogMessage._meta.db_table}")
    estimate = LogMessage.objects.estimated_count()
    assert estimate and estimate > 5
    page = admin_client.get(LIST).content.decode()
    assert f"about {estimate} log messages" in page


def test_adding_an_application_shows_its_secret_once(admin_client, client):
    response = admin_client.post(
        "/admin/remotelog/application/add/",
        {"name": "Weather station", "slug": "weather", "is_active": "on", "retention_days": "30"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    secret = re.search(r'<code class="remotelog-secret">([^<]+)</code>', page).group(1)
    assert "shown only once" in page
    application = Application.objects.get(slug="weather")
    assert secret not in application.secret_digest
    ok = post(client, record_fields(), basic_auth("weather", secret), url="/remotelog/weather/log/")
    assert ok.status_code == 201
    change_page = admin_client.get(f"/admin/remotelog/application/{application.pk}/change/")
    assert secret not in change_page.content.decode()


def test_rotate_action_replaces_the_secret(admin_client, client, application):
    response = admin_client.post(
        "/admin/remotelog/application/",
        {"action": "rotate_secret", "_selected_action": [application.pk]},
    )
    secret = re.search(r'class="remotelog-secret">([^<]+)<', response.content.decode()).group(1)
    assert post(client, record_fields(), basic_auth(application.slug, secret)).status_code == 201
    old = basic_auth(application.slug, application.secret)
    assert post(client, record_fields(), old).status_code == 401


def test_search_skips_the_date_hierarchy_but_keeps_a_chosen_date(admin_client, application):
    make_log_message(application, msg="pump failed", created=timezone.now())
    page = admin_client.get(f"{LIST}?q=pump").content.decode()
    assert "created__year=" not in page
    assert "pump failed" in page
    response = admin_client.get(f"{LIST}?q=pump&created__year=1999")
    assert len(response.context["cl"].result_list) == 0


def test_log_messages_cannot_be_deleted_in_the_admin(admin_client, application):
    row = make_log_message(application)
    assert admin_client.get(f"{LIST}{row.pk}/delete/").status_code == 403
    assert 'value="delete_selected"' not in admin_client.get(LIST).content.decode()


def test_deleting_an_application_counts_its_records_and_deletes_them(admin_client, application):
    for _ in range(3):
        make_log_message(application)
    url = f"/admin/remotelog/application/{application.pk}/delete/"
    with CaptureQueriesContext(connection) as captured:
        page = admin_client.get(url).content.decode()
    assert "Log messages: 3" in page
    # Counted, not loaded one by one.
    assert not any("remotelog_logmessage.msg" in q["sql"].replace('"', "") for q in captured)
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not Application.objects.exists()
    assert not LogMessage.objects.exists()


def test_a_search_reads_the_table_once(admin_client, application):
    for index in range(3):
        make_log_message(application, msg=f"valve {index} stuck")
    make_log_message(application, msg="all fine")
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(f"{LIST}?q=stuck")
    assert len(response.context["cl"].result_list) == 3
    sql = [q["sql"] for q in captured.captured_queries if "LIKE" in q["sql"].upper()]
    # One query scans; the rows are then fetched by primary key.
    assert len([q for q in sql if '"id" IN (' not in q]) == 1


GROUPS = "/admin/remotelog/loggroup/"


def send_groups(client, auth, count):
    """Send one record to each of ``count`` groups (they differ by line)."""
    for line in range(count):
        assert post(client, record_fields(lineno=str(line)), auth).status_code == 201


def test_the_group_list_costs_the_same_queries_for_any_number_of_groups(admin_client, client, auth):
    sizes = []
    for count in (2, 12):
        send_groups(client, auth, count)
        with CaptureQueriesContext(connection) as captured:
            response = admin_client.get(GROUPS)
        assert response.status_code == 200
        sizes.append(len(captured))
    page = response.content.decode()
    assert "%s left" in page
    assert f'href="{LIST}?group=' in page
    assert sizes[0] == sizes[1]


def test_group_actions_resolve_mute_and_reopen(admin_client, client, auth):
    send_groups(client, auth, 2)
    ids = [str(pk) for pk in LogGroup.objects.values_list("pk", flat=True)]
    for action, status in (("resolve", "resolved"), ("mute", "muted"), ("reopen", "open")):
        response = admin_client.post(
            GROUPS, {"action": action, "_selected_action": ids}, follow=True
        )
        assert "2 group(s)" in response.content.decode()
        assert set(LogGroup.objects.values_list("status", flat=True)) == {status}
    filtered = admin_client.get(f"{GROUPS}?status__exact=muted")
    assert filtered.context["cl"].result_count == 0


def test_changing_a_group_saves_its_status_alone(admin_client, client, auth):
    send_groups(client, auth, 1)
    group = LogGroup.objects.get()
    url = f"{GROUPS}{group.pk}/change/"
    assert "%s left" in admin_client.get(url).content.decode()
    # A record arrives while the admin has the form open.
    send_groups(client, auth, 1)
    assert admin_client.post(url, {"status": "resolved"}).status_code == 302
    group.refresh_from_db()
    assert (group.status, group.count) == ("resolved", 2)
    assert group.resolved_at is not None


def test_a_record_links_to_its_group_and_the_group_to_its_records(admin_client, client, auth):
    send_groups(client, auth, 2)
    group = LogGroup.objects.order_by("pk").first()
    row = LogMessage.objects.get(group=group)
    detail = admin_client.get(f"{LIST}{row.pk}/change/").content.decode()
    assert f'href="{GROUPS}{group.pk}/change/"' in detail
    listed = admin_client.get(f"{LIST}?group={group.pk}")
    assert [record.pk for record in listed.context["cl"].result_list] == [row.pk]
    assert f"#{group.pk} " in listed.content.decode()  # the active filter shows


def test_groups_cannot_be_added_or_deleted_in_the_admin(admin_client, client, auth):
    send_groups(client, auth, 1)
    group = LogGroup.objects.get()
    assert admin_client.get(f"{GROUPS}add/").status_code == 403
    assert admin_client.get(f"{GROUPS}{group.pk}/delete/").status_code == 403


def test_deleting_an_application_deletes_its_groups(admin_client, client, auth, application):
    send_groups(client, auth, 3)
    url = f"/admin/remotelog/application/{application.pk}/delete/"
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    assert not LogGroup.objects.exists()
    assert not LogGroupCount.objects.exists()
    assert not LogMessage.objects.exists()
