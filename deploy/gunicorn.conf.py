"""gunicorn settings for the CRM: ``gunicorn -c deploy/gunicorn.conf.py crm.wsgi``.

Under systemd (deploy/systemd/) the listening socket comes from
crm-gunicorn.socket and ``bind`` is not used. The GUNICORN_* variables below
exist for running without systemd (and for the test suite, which starts
gunicorn with this file); the site's own settings come from DJANGO_*.
"""

import os
from pathlib import Path

# Where to listen without systemd's socket: host:port or unix:/path.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# gunicorn's rule of thumb, counting the CPUs this process may run on.
workers = int(os.environ.get("GUNICORN_WORKERS") or 2 * len(os.sched_getaffinity(0)) + 1)
# Each worker reads whole requests in an event loop, then runs the site on its
# threads (deploy/buffering_worker.py): a client that stalls mid-upload holds
# a connection, never a thread (deploy/README.md, "Slow clients").
# PostgreSQL connections needed: workers x threads (deploy/postgresql/).
pythonpath = str(Path(__file__).resolve().parent)
worker_class = "buffering_worker.BufferingWorker"
threads = int(os.environ.get("GUNICORN_THREADS") or 2)

# A worker silent for 30 s is restarted; on reload or stop, running requests
# get 30 s to finish (systemd's TimeoutStopSec is a little longer).
timeout = 30
graceful_timeout = 30
# Idle kept-alive connections close after 5 s; a new connection has 5 s to
# send its request's headers.
keepalive = 5
# Recycle workers now and then, at different times, to bound memory growth.
# Not often: a new worker costs ~0.3 s of CPU (imports, first request), and
# programs logging with the stock HTTPHandler send one request per record, so
# every 2,000 requests cost ~150 µs a request, a third of a record's work
# (bench/ingest.py). Every 20,000 keeps that near 15 µs.
max_requests = 20000
max_requests_jitter = 2000

# Access log to stdout, errors to stderr: journald (or the caller) keeps them.
accesslog = "-"
errorlog = "-"

# Reload and stop go through signals (systemctl reload/stop), so no control
# socket for gunicornc: it would land in $HOME, which the service cannot write.
control_socket_disable = True

# Only Django decides whether a request is secure: with a proxy in front it
# trusts the header named by DJANGO_SECURE_PROXY_SSL_HEADER, and nothing else.
secure_scheme_headers = {}

# TLS when gunicorn faces clients itself, without Apache in front.
certfile = os.environ.get("GUNICORN_CERTFILE") or None
keyfile = os.environ.get("GUNICORN_KEYFILE") or None
