"""The agent console's static files and the API document, served without a token (the pages
ask for one; every API call they make is authenticated)."""
from __future__ import annotations

from pathlib import Path

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from server.assist.auth import Route, error

SERVER_DIR = Path(__file__).resolve().parent.parent
CONSOLE_DIR = SERVER_DIR / "console"
OPENAPI = SERVER_DIR / "assist_openapi.json"
CONSOLE_FILES = {".html": "text/html", ".js": "application/javascript", ".css": "text/css", ".svg": "image/svg+xml",
                 ".txt": "text/plain"}
# the console may load only its own files and talk only to this server
CONSOLE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
}


async def openapi(request: Request) -> HTTPResponse:
    return await response.file(OPENAPI, mime_type="application/json", headers={"Cache-Control": "no-cache"})


async def console(request: Request) -> HTTPResponse:
    return await response.file(CONSOLE_DIR / "index.html", mime_type="text/html; charset=utf-8",
                               headers=CONSOLE_HEADERS)


async def console_file(request: Request, name: str) -> HTTPResponse:
    path = (CONSOLE_DIR / name).resolve()
    if path.parent != CONSOLE_DIR or path.suffix not in CONSOLE_FILES or not path.exists():
        return error(404, "not_found")
    headers = CONSOLE_HEADERS if path.suffix == ".html" else {
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
    return await response.file(path, mime_type=CONSOLE_FILES[path.suffix] + "; charset=utf-8", headers=headers)


ROUTES = (
    Route("/openapi.json", "GET", openapi, role=None),
    Route("/console", "GET", console, role=None),
    Route("/console/<name>", "GET", console_file, role=None),
)
