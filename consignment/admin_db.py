"""The admin's driver data: drivers, suspension history (계정정지정보) and customer blocks.

One repository class, SQLAlchemy Core with bound parameters. The embedded default is a SQLite
file under var/, filled from fixtures/admin/ on first use; ADMIN_DB_URL points the same code at
PostgreSQL (or the real admin database). Every failure to reach the database surfaces as
AdminDataUnavailable, so callers answer "we cannot check now" and never guess.
"""
from __future__ import annotations

import csv
import datetime as dt
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from consignment import settings
from consignment.clock import ADMIN_RECORDS_ZONE, aware

logger = logging.getLogger(__name__)

metadata = sa.MetaData()

drivers = sa.Table(
    "drivers",
    metadata,
    sa.Column("driver_id", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("phone", sa.String(20), nullable=False, index=True),
    sa.Column("kakao_status", sa.String(16), nullable=False),
    sa.Column("joined_on", sa.Date),
)

account_suspensions = sa.Table(
    "account_suspensions",
    metadata,
    sa.Column("suspension_id", sa.String(16), primary_key=True),
    sa.Column("driver_id", sa.String(16), sa.ForeignKey("drivers.driver_id"), index=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ends_at", sa.DateTime(timezone=True)),
    sa.Column("lifted_at", sa.DateTime(timezone=True)),
    sa.Column("reason", sa.Text, nullable=False),
)

customer_blocks = sa.Table(
    "customer_blocks",
    metadata,
    sa.Column("block_id", sa.String(16), primary_key=True),
    sa.Column("driver_id", sa.String(16), sa.ForeignKey("drivers.driver_id"), index=True),
    sa.Column("customer_id", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


class AdminDataUnavailable(Exception):
    """The admin database could not be reached or answered in time."""


@dataclass(frozen=True)
class Driver:
    driver_id: str
    name: str
    phone: str
    kakao_status: str


@dataclass(frozen=True)
class Suspension:
    suspension_id: str
    started_at: dt.datetime
    ends_at: Optional[dt.datetime]
    lifted_at: Optional[dt.datetime]
    reason: str


@dataclass(frozen=True)
class Restriction:
    """What blocks a driver's consignment calls now (article Q3 ⓐ / ⓑ / nothing)."""

    status: str  # "suspended" | "customer_blocked" | "none"
    reason: Optional[str] = None  # the suspension's reason, for ⓐ
    blocked_customers: int = 0  # how many customers blocked the driver (never who), for ⓑ
    # when the suspension in force ends, as the record says; None: open-ended (정지 해제 예정일 없음)
    ends_at: Optional[dt.datetime] = None

    SUSPENDED = "suspended"
    CUSTOMER_BLOCKED = "customer_blocked"
    NONE = "none"


def suspension_in_force(suspension: Suspension, now: dt.datetime) -> bool:
    """In force: started, not lifted, and open-ended or ending later (fixtures/admin/README)."""
    if suspension.lifted_at is not None:
        return False
    if aware(suspension.started_at, ADMIN_RECORDS_ZONE) > now:
        return False
    return suspension.ends_at is None or aware(suspension.ends_at, ADMIN_RECORDS_ZONE) > now


def restriction_from(
    suspensions: List[Suspension], blocked_customers: int, now: dt.datetime
) -> Restriction:
    in_force = [s for s in suspensions if suspension_in_force(s, now)]
    if in_force:
        latest = max(in_force, key=lambda s: aware(s.started_at, ADMIN_RECORDS_ZONE))
        ends = latest.ends_at and aware(latest.ends_at, ADMIN_RECORDS_ZONE)
        return Restriction(Restriction.SUSPENDED, reason=latest.reason, ends_at=ends)
    if blocked_customers:
        return Restriction(Restriction.CUSTOMER_BLOCKED, blocked_customers=blocked_customers)
    return Restriction(Restriction.NONE)


class AdminRepository:
    def __init__(
        self,
        url: Optional[str] = None,
        clock: settings.Clock = settings.system_clock,
        load_demo_data: Optional[bool] = None,
    ) -> None:
        configured = url or settings.admin_db_url()
        self.url = configured or f"sqlite:///{settings.DEFAULT_ADMIN_DB_PATH}"
        self.clock = clock
        # Demo data goes only into the embedded default, never into a configured database.
        if load_demo_data is None:
            load_demo_data = configured is None or settings.load_demo_into_configured_db()
        self._load_demo_data = load_demo_data
        self._ready = False
        self._ready_lock = threading.Lock()
        self.engine = _engine(self.url, settings.admin_db_timeout_seconds())

    # ── queries ────────────────────────────────────────────────
    def driver(self, driver_id: str) -> Optional[Driver]:
        return self._one_driver(drivers.c.driver_id == driver_id)

    def driver_by_phone(self, phone: str) -> Optional[Driver]:
        return self._one_driver(drivers.c.phone == phone)

    def restriction(self, driver_id: str, now: Optional[dt.datetime] = None) -> Restriction:
        now = now or self.clock()
        with self._connect() as conn:
            rows = conn.execute(
                sa.select(account_suspensions).where(account_suspensions.c.driver_id == driver_id)
            ).mappings()
            suspensions = [
                Suspension(
                    suspension_id=r["suspension_id"],
                    started_at=r["started_at"],
                    ends_at=r["ends_at"],
                    lifted_at=r["lifted_at"],
                    reason=r["reason"],
                )
                for r in rows
            ]
            blocked = conn.execute(
                sa.select(sa.func.count(sa.distinct(customer_blocks.c.customer_id))).where(
                    customer_blocks.c.driver_id == driver_id
                )
            ).scalar_one()
        return restriction_from(suspensions, blocked, now)

    def _one_driver(self, condition) -> Optional[Driver]:
        with self._connect() as conn:
            row = conn.execute(sa.select(drivers).where(condition)).mappings().first()
        if row is None:
            return None
        return Driver(row["driver_id"], row["name"], row["phone"], row["kakao_status"])

    # ── connection and set-up ──────────────────────────────────
    def _connect(self):
        self.ensure_ready()
        return _Connection(self.engine)

    def ensure_ready(self) -> None:
        """Creates the tables and loads the demo data the first time (embedded default)."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            try:
                if self.url.startswith("sqlite:///"):
                    Path(self.url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
                if self._load_demo_data:
                    metadata.create_all(self.engine)
                    with self.engine.begin() as conn:
                        if conn.execute(sa.select(sa.func.count()).select_from(drivers)).scalar_one() == 0:
                            load_fixtures(conn, settings.DEMO_FIXTURES_DIR)
            except SQLAlchemyError as error:
                raise AdminDataUnavailable(_describe(error)) from error
            self._ready = True


class _Connection:
    """engine.connect() that turns every database error into AdminDataUnavailable."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine

    def __enter__(self):
        try:
            self.conn = self.engine.connect()
        except SQLAlchemyError as error:
            raise AdminDataUnavailable(_describe(error)) from error
        return self

    def execute(self, statement):
        try:
            return self.conn.execute(statement)
        except SQLAlchemyError as error:
            raise AdminDataUnavailable(_describe(error)) from error

    def __exit__(self, *exc) -> None:
        self.conn.close()


def _describe(error: Exception) -> str:
    # the class and first line only: a full message may carry the URL (with a password)
    return f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"


def _engine(url: str, timeout: float) -> sa.engine.Engine:
    if url.startswith("sqlite"):
        return sa.create_engine(url, connect_args={"timeout": timeout}, future=True)
    if url.startswith("postgresql"):
        return sa.create_engine(
            url,
            future=True,
            pool_pre_ping=True,
            pool_size=5,
            pool_timeout=timeout,
            connect_args={
                "connect_timeout": max(1, int(timeout)),
                "options": f"-c statement_timeout={int(timeout * 1000)}",
            },
        )
    return sa.create_engine(url, future=True, pool_pre_ping=True)


def load_fixtures(conn, folder: Path) -> None:
    """Loads drivers.csv, account_suspensions.csv, customer_blocks.csv (fixtures/admin/)."""

    def rows(name: str):
        with open(folder / name, encoding="utf-8", newline="") as handle:
            return list(csv.DictReader(handle))

    def when(value: str):
        # in KST, so that SQLite (which drops the offset) stores the admin's wall-clock time
        return dt.datetime.fromisoformat(value).astimezone(settings.KST) if value else None

    conn.execute(
        drivers.insert(),
        [
            {**r, "joined_on": dt.date.fromisoformat(r["joined_on"]) if r["joined_on"] else None}
            for r in rows("drivers.csv")
        ],
    )
    conn.execute(
        account_suspensions.insert(),
        [
            {
                **r,
                "started_at": when(r["started_at"]),
                "ends_at": when(r["ends_at"]),
                "lifted_at": when(r["lifted_at"]),
            }
            for r in rows("account_suspensions.csv")
        ],
    )
    conn.execute(
        customer_blocks.insert(),
        [{**r, "created_at": when(r["created_at"])} for r in rows("customer_blocks.csv")],
    )


_default: Optional[AdminRepository] = None


def default_repository() -> AdminRepository:
    """The process's repository (one engine and pool per process)."""
    global _default
    if _default is None:
        _default = AdminRepository()
    return _default


if __name__ == "__main__":  # python -m consignment.admin_db load-fixtures
    import sys

    if sys.argv[1:] == ["load-fixtures"]:
        repo = AdminRepository(load_demo_data=True)
        repo.ensure_ready()
        print(f"demo data ready in {repo.engine.url.render_as_string(hide_password=True)}")
    else:
        sys.exit("usage: python -m consignment.admin_db load-fixtures")
