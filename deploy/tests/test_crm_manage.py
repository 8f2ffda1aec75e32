"""deploy/crm-manage: manage.py with the settings file, as ops run it."""

import os
import subprocess

from servers import DEPLOY, VENV


def test_crm_manage_runs_commands_with_the_settings_file(env_file):
    result = subprocess.run(
        [DEPLOY / "crm-manage", "check", "--deploy", "--fail-level", "WARNING"],
        env={
            "PATH": os.environ["PATH"],
            "CRM_ENV_FILE": str(env_file),
            "CRM_VENV": str(VENV),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
