"""Times read back from a database, made comparable with the assistant's "now".

SQLite keeps no offset: it hands back naive datetimes, PostgreSQL's `timestamptz` aware ones.
What a naive time means depends on who wrote it — the admin database's records are Korean time
(the company's admin writes KST), the agents' store writes UTC — so the one helper below takes
that zone from its caller, each store naming its own (`ADMIN_RECORDS_ZONE`, `ASSIST_STORE_ZONE`),
and no reader can assume the other's.
"""
from __future__ import annotations

import datetime as dt

from consignment.settings import KST

# the admin database's times are Korean time (fixtures/admin/README: "ISO 8601 with offset (KST)")
ADMIN_RECORDS_ZONE = KST
# the assist store writes every time in UTC (consignment/assist_store.py)
ASSIST_STORE_ZONE = dt.timezone.utc


def aware(value: dt.datetime, naive_means: dt.tzinfo) -> dt.datetime:
    """`value` as an aware time: unchanged when it carries an offset, else read in `naive_means`."""
    return value if value.tzinfo else value.replace(tzinfo=naive_means)
