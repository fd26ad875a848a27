"""One way to open the project's SQL stores (agent assist, conversation holders).

An embedded SQLite file in its default rollback-journal mode lets nobody read while a write
commits: under concurrent turns every per-turn read (is this conversation handed over? who
holds it?) waits in SQLite's busy handler, which sleeps between tries, behind every new
conversation's claim. With a write-ahead log readers never wait for the writer; commits still
sync the log (`synchronous=FULL`: a claim or a handoff that returned survives a crash of the
process or the machine). Other databases are opened as SQLAlchemy does by default.
"""
from __future__ import annotations

import sqlalchemy as sa


def create_engine(url: str) -> sa.engine.Engine:
    engine = sa.create_engine(url, future=True)
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        sa.event.listen(engine, "connect", _write_ahead_log)
    return engine


def _write_ahead_log(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()
