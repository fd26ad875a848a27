"""`make purge`: delete (or anonymise) what is past its retention (consignment/retention.py).

The tracker store is the one the servers use: `--endpoints` (default: the file `make run` or
`make cluster` wrote into ASSISTANT_VAR_DIR, else the project's endpoints.yml; ${VAR}s filled in
from the environment, as Rasa does), or `--tracker-db-url`. The assist store is ASSIST_DB_URL.
Prints how many rows of each kind went, and the time it took.

    python scripts/purge.py [--endpoints FILE | --tracker-db-url URL]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from consignment import settings  # noqa: E402


def tracker_db_url(endpoints: Path) -> str:
    """The SQLAlchemy URL of the SQL tracker store an endpoints file configures."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    config = read_endpoint_config(str(endpoints), "tracker_store")
    if config is None:
        sys.exit(f"{endpoints}: no tracker_store")
    kwargs = dict(config.kwargs)
    dialect = kwargs.get("dialect") or "sqlite"
    db = str(kwargs.get("db") or "rasa.db")
    if dialect == "sqlite" and not Path(db).is_absolute():
        # the project's endpoints.yml names var/…: the run's folder, as `make run` uses it
        db = str(settings.VAR_DIR / Path(db).name) if Path(db).parts[:1] == ("var",) else str(ROOT / db)
    port = kwargs.get("port")
    return str(SQLTrackerStore.get_db_url(
        dialect, config.url, int(port) if port else None, db, kwargs.get("username"), kwargs.get("password"),
        query=kwargs.get("query")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=Path, help="the servers' endpoints.yml")
    parser.add_argument("--tracker-db-url", help="SQLAlchemy URL of the tracker store (instead of --endpoints)")
    args = parser.parse_args()

    import sqlalchemy as sa

    from consignment.assist_store import AssistStore
    from consignment.conversation_holders import ConversationHolders
    from consignment.retention import purge

    if args.tracker_db_url:
        url = args.tracker_db_url
    else:
        endpoints = args.endpoints or next(
            (p for p in (settings.VAR_DIR / "endpoints.yml", ROOT / "endpoints.yml") if p.exists()))
        url = tracker_db_url(endpoints)
    engine = sa.create_engine(url, future=True)
    started = time.monotonic()
    counts = purge(engine, AssistStore(), ConversationHolders())
    print(json.dumps({"deleted": counts, "seconds": round(time.monotonic() - started, 2)}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
