"""The admin's list of imports: read only, a fixed number of queries."""

import pytest
from django.urls import reverse

from crm.models import Import

pytestmark = pytest.mark.django_db


def test_the_admin_lists_imports_and_changes_none(client, staff_user, user):
    for i in range(3):
        Import.objects.create(author=user, file_name=f"file{i}.csv", counts={"create": i})
    run = Import.objects.create(author=user, file_name="<b>people</b>.csv")
    client.force_login(staff_user)
    response = client.get(reverse("admin:crm_import_changelist"))
    assert response.status_code == 200
    assert f"Import #{run.pk} of &lt;b&gt;people&lt;/b&gt;.csv" in response.content.decode()
    assert reverse("admin:crm_import_add") not in response.content.decode()

    page = client.get(reverse("admin:crm_import_change", args=[run.pk]))
    assert page.status_code == 200
    assert b'name="status"' not in page.content  # shown, not a form field
    response = client.post(reverse("admin:crm_import_change", args=[run.pk]), {"status": "failed"})
    assert response.status_code == 403
    response = client.post(reverse("admin:crm_import_delete", args=[run.pk]), {"post": "yes"})
    assert response.status_code == 403
    run.refresh_from_db()
    assert run.status == Import.Status.UPLOADING
