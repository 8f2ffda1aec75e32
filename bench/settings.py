"""
The production settings of crm.settings, as bench/ingest.py's servers run them.

Two changes only: the URLs add bench/naive_ingest.py's reference view, and
``REMOTELOG_GROUPING`` is read from the environment (default on), so that one
run measures ingest with grouping on and off.
"""

from crm.settings import *  # noqa: F403
from crm.settings import env

ROOT_URLCONF = "bench.naive_ingest"
REMOTELOG_GROUPING = env.bool("REMOTELOG_GROUPING", True)
