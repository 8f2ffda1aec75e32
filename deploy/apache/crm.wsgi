"""mod_wsgi entry point: read the site's environment file, then load the site.

mod_wsgi daemon processes get Apache's environment, not the site's. The
settings live in one KEY=value file that systemd also gives gunicorn
(EnvironmentFile=/etc/crm/crm.env), so Apache reads the same file here.
"""

import os
from pathlib import Path

ENV_FILE = Path(os.environ.get("CRM_ENV_FILE", "/etc/crm/crm.env"))

for line in ENV_FILE.read_text().splitlines():
    line = line.strip()
    if not line or line.startswith(("#", ";")):
        continue
    key, _, value = line.partition("=")
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    os.environ[key.strip()] = value

from crm.wsgi import application  # noqa: E402,F401
