"""
deploy/systemd: the log's daily partitions and purge, its alert worker, the
import worker, the daily purge of the contacts' trash.
"""

import os
import shutil
import subprocess

import pytest
from servers import DEPLOY, VENV

UNITS = [
    "crm-remotelog-daily.service",
    "crm-remotelog-daily.timer",
    "crm-remotelog-notify.service",
    "crm-worker.service",
    "crm-purge-trash.service",
    "crm-purge-trash.timer",
]
APP = "/srv/crm/app"


@pytest.fixture
def units(tmp_path):
    """Copy the units with this checkout in place of /srv/crm/app; return their directory."""
    for unit in UNITS:
        text = (DEPLOY / "systemd" / unit).read_text()
        (tmp_path / unit).write_text(text.replace(APP, str(DEPLOY.parent)))
    return tmp_path


def exec_starts(unit):
    """Return the ExecStart= command lines of a unit file, in order."""
    lines = unit.read_text().splitlines()
    return [line.split("=", 1)[1].split() for line in lines if line.startswith("ExecStart=")]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="needs systemd-analyze")
def test_systemd_accepts_the_units(units):
    result = subprocess.run(
        ["systemd-analyze", "verify", *(str(units / unit) for unit in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def run_as_systemd(command, env_file):
    """Run a unit's command line with only the environment systemd would give it."""
    result = subprocess.run(
        command,
        env={"PATH": os.environ["PATH"], "CRM_ENV_FILE": str(env_file), "CRM_VENV": str(VENV)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_service_makes_partitions_then_purges(units, env_file):
    outputs = [
        run_as_systemd(command, env_file)
        for command in exec_starts(units / "crm-remotelog-daily.service")
    ]
    partitions, purge = outputs
    # The site's database was migrated today: the week ahead has its partitions already.
    assert "Made 0 day partition(s)." in partitions or "not partitioned" in partitions
    assert "Deleted 0 log message(s) in all." in purge


def test_the_alert_worker_runs_its_passes_with_the_site_settings(units, env_file):
    (command,) = exec_starts(units / "crm-remotelog-notify.service")
    assert command[-1] == "remotelog_notify"
    # The unit's command line, for one pass only: the service itself loops.
    output = run_as_systemd([*command, "--once"], env_file)
    assert "0 notification(s) made; 0 sent, 0 to retry, 0 given up." in output


def test_the_import_worker_runs_with_the_site_settings(units, env_file):
    (command,) = exec_starts(units / "crm-worker.service")
    assert command[-1] == "crm_worker"
    # One pass only: the service itself polls every second.
    output = run_as_systemd([*command, "--once"], env_file)
    assert "0 import step(s) and 0 bulk job(s) run." in output


def test_the_trash_purge_runs_with_the_site_settings(units, env_file):
    (command,) = exec_starts(units / "crm-purge-trash.service")
    assert command[-3:] == ["crm_purge_trash", "-v", "0"]
    output = run_as_systemd(command, env_file)
    assert output == "Purged 0 contacts in the trash for more than 30 days.\n"
