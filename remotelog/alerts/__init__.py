"""
Alerts: rules evaluated and notifications delivered by a worker, never by ingest.

`evaluate` reads groups and record counts and makes `Notification` rows, one
per rule and period (the unique (rule, key) constraint makes that race-free);
`delivery` sends them by e-mail and signed webhook, retrying with backoff;
`worker.notify_pass` does both, once (`manage.py remotelog_notify`).
"""
