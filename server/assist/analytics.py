"""The CS lead's numbers: GET /analytics?from=YYYY-MM-DD&to=YYYY-MM-DD[&format=csv] (lead role).

Computed by consignment/analytics.py from the tracker store's events table and the assist store.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any, Dict

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from consignment import analytics
from consignment.agent_auth import LEAD_ROLE
from consignment.assist_store import default_store
from server.assist.auth import Route, blocking, error
from server.tracker_store import sql_engine_of

MAX_ANALYTICS_DAYS = 400


def events_engine(tracker_store):
    """The SQL engine of the tracker store, inside Rasa's wrappers (fail-safe, awaitable): their
    private `_tracker_store` is unwrapped in one place, checked at start (server/tracker_store.py)."""
    return sql_engine_of(tracker_store)


async def analytics_report(request: Request, agent_id: str, body: Dict[str, Any]) -> HTTPResponse:
    try:
        start = dt.date.fromisoformat(request.args.get("from", ""))
        end = dt.date.fromisoformat(request.args.get("to", ""))
    except ValueError:
        return error(400, "date_range_required")
    if end < start or (end - start).days > MAX_ANALYTICS_DAYS:
        return error(400, "date_range_required")
    engine = events_engine(request.app.ctx.agent.tracker_store)
    if engine is None:
        return error(503, "store_unavailable")
    result = await blocking(analytics.report, engine, default_store(), start, end)
    if request.args.get("format") == "csv":
        lines = io.StringIO()
        csv.writer(lines).writerows(analytics.csv_rows(result))
        return response.text(lines.getvalue(), content_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="assistant-{start}-{end}.csv"'})
    return response.json(result)


ROUTES = (Route("/analytics", "GET", analytics_report, role=LEAD_ROLE),)
