"""One way to open the project's SQL stores (agent assist, conversation holders).

An embedded SQLite file in its default rollback-journal mode lets nobody read while a write
commits: under concurrent turns every per-turn read (is this conversation handed over? who
holds it?) waits in SQLite's busy handler, which sleeps between tries, behind every new
conversation's claim. With a write-ahead log readers never wait for the writer; commits still
sync the log (`synchronous=FULL`: a claim or a handoff that returned survives a crash of the
process or the machine). Other databases are opened as SQLAlchemy does by default.

SQLAlchemy 1.4 opens a file's SQLite connection anew for every use (NullPool), and each new
connection runs the pragmas again: under load ~3 % of the Rasa process's time went into opening
connections for the per-turn holder and handoff reads (py-spy). A file's connections are kept
in a small pool instead (sqlite3 objects may move between threads once `check_same_thread` is off:
the pool hands each to one user at a time).
"""
from __future__ import annotations

import sqlalchemy as sa


# connections kept open; as many again may open under a burst (overflow), and beyond that a read
# waits up to SQLAlchemy's 30 s pool_timeout, then fails (the turn gets the apology, nothing is made up)
POOL_SIZE = 4


def create_engine(url: str) -> sa.engine.Engine:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        engine = sa.create_engine(url, future=True, poolclass=sa.pool.QueuePool, pool_size=POOL_SIZE,
                                  max_overflow=POOL_SIZE, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _write_ahead_log)
        return engine
    return sa.create_engine(url, future=True)


def _write_ahead_log(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()
