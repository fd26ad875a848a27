#!/usr/bin/env python3
"""Validate the Zendesk app and write its upload zip: dist/zendesk-app.zip (project root).

    ZENDESK_ASSISTANT_HOST=assistant.example.com .venv/bin/python integrations/zendesk/build.py [--out PATH]
    .venv/bin/python integrations/zendesk/build.py --domain assistant.example.com [--out PATH]

Checks the manifest (required keys, locations, parameters), the translations (the default
locale's file, a label for every parameter), that every asset a location or a page refers to
exists, that the icons Zendesk asks for are there in their sizes (assets/logo.png 320×320,
assets/logo-small.png 128×128), and that the pages stay CSP-friendly (no inline script, no inline
event handler, no inline style). The zip has manifest.json, assets/ and translations/ at its root, in sorted order
with fixed dates and modes: the same sources give the same bytes.

The app shares the agent console's JavaScript helpers (server/console/common.js: DOM helpers,
Korean errors, fetch with a timeout). Zendesk serves only the app's own files, so the build
bundles a copy of that file as assets/common.js (BUNDLED); the sources keep one copy.

--domain (or ZENDESK_ASSISTANT_HOST) is required: it writes "domainWhitelist" into the zipped
manifest, and Zendesk then puts the secure agent token only into requests to that host. Without
it the token would go to whatever host the assistant_url setting names, so no zip is written.
Standard library only.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import sys
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlsplit

APP_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = APP_DIR.parents[1]
DEFAULT_OUT = PROJECT_ROOT / "dist" / "zendesk-app.zip"
INCLUDED = ("assets", "translations")
# files of the project the app loads, copied in at build time: name in the zip → source
BUNDLED = {"assets/common.js": PROJECT_ROOT / "server" / "console" / "common.js"}
# ZIP's earliest date: a fixed stamp keeps the archive byte-for-byte reproducible
FIXED_DATE = (1980, 1, 1, 0, 0, 0)

REQUIRED_KEYS = ("name", "author", "defaultLocale", "location", "frameworkVersion", "version")
SUPPORT_LOCATIONS = {
    "ticket_sidebar", "new_ticket_sidebar", "ticket_editor", "user_sidebar", "organization_sidebar",
    "top_bar", "nav_bar", "background", "modal",
}
PARAMETER_TYPES = {"text", "password", "checkbox", "url", "number", "multiline", "hidden", "oauth"}
# what this app itself needs from its settings (app.js, docs/zendesk.md)
APP_PARAMETERS = {
    "assistant_url": {"type": "url", "secure": False},
    "agent_token": {"type": "text", "secure": True},
}
# the icons Zendesk's app listing and management pages need (developer docs, "Styles and assets")
LOGOS = {"assets/logo.png": (320, 320), "assets/logo-small.png": (128, 128)}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", re.I)


class BuildError(Exception):
    pass


class PageScan(HTMLParser):
    """The local files a page loads, and what would break a strict Content-Security-Policy."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.references: List[str] = []
        self.problems: List[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, _ in attrs:
            if name.lower().startswith("on"):
                self.problems.append(f"inline event handler {name!r} on <{tag}>")
            if name.lower() == "style":
                self.problems.append(f"inline style attribute on <{tag}>")
        if tag == "script":
            self._in_script = True
            if not values.get("src"):
                self.problems.append("inline <script> (no src)")
            else:
                self.references.append(values["src"])
        elif tag == "link" and values.get("href"):
            self.references.append(values["href"])
        elif tag in ("img", "iframe", "source") and values.get("src"):
            self.references.append(values["src"])
        elif tag == "style":
            self.problems.append("inline <style> element")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append("inline script text")


def _load_json(path: Path, what: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BuildError(f"{what}: {path} is missing") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BuildError(f"{what}: {path} is not valid UTF-8 JSON ({error})") from None
    if not isinstance(data, dict):
        raise BuildError(f"{what}: {path} must hold a JSON object")
    return data


def _is_remote(url: str) -> bool:
    return bool(urlsplit(url).scheme) or url.startswith("//")


def _local_file(base_dir: Path, reference: str, source: str) -> Path:
    path = urlsplit(reference).path
    if not path or path.startswith("/"):
        raise BuildError(f"{source}: {reference!r} must be a relative path inside the app")
    target = (base_dir / path).resolve()
    if APP_DIR.resolve() not in target.parents:
        raise BuildError(f"{source}: {reference!r} points outside the app")
    bundled = BUNDLED.get(target.relative_to(APP_DIR.resolve()).as_posix())
    if bundled is not None:
        if not bundled.is_file():
            raise BuildError(f"{source}: {reference!r} is bundled from {bundled}, which is missing")
        return bundled
    if not target.is_file():
        raise BuildError(f"{source}: {reference!r} does not exist ({target.relative_to(APP_DIR)})")
    return target


def check_page(page: Path) -> List[Path]:
    """The files the page loads (all must exist); raises on anything CSP would block."""
    scan = PageScan()
    scan.feed(page.read_text(encoding="utf-8"))
    name = str(page.relative_to(APP_DIR))
    if scan.problems:
        raise BuildError(f"{name}: not CSP-friendly: " + "; ".join(sorted(set(scan.problems))))
    files = []
    for reference in scan.references:
        if _is_remote(reference):
            raise BuildError(f"{name}: {reference!r} is loaded from outside the app (vendor it under assets/)")
        files.append(_local_file(page.parent, reference, name))
    return files


def check_manifest(manifest: dict) -> List[Path]:
    """Problems raise BuildError; returns the pages the locations open."""
    missing = [key for key in REQUIRED_KEYS if key not in manifest]
    if missing:
        raise BuildError("manifest.json: missing " + ", ".join(missing))
    if manifest["frameworkVersion"] != "2.0":
        raise BuildError(f"manifest.json: frameworkVersion must be \"2.0\", not {manifest['frameworkVersion']!r}")
    author = manifest["author"]
    if not isinstance(author, dict) or not author.get("name") or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", str(author.get("email", ""))):
        raise BuildError("manifest.json: author needs a name and an email address")
    if not isinstance(manifest["name"], str) or not manifest["name"].strip():
        raise BuildError("manifest.json: name must be a non-empty string")

    location = manifest["location"]
    if not isinstance(location, dict) or not location:
        raise BuildError("manifest.json: location must name at least one product")
    pages: List[Path] = []
    for product, places in location.items():
        if product != "support":
            raise BuildError(f"manifest.json: unexpected product {product!r} in location (this app is for Zendesk Support)")
        if not isinstance(places, dict) or not places:
            raise BuildError("manifest.json: location.support must name at least one location")
        for place, value in places.items():
            if place not in SUPPORT_LOCATIONS:
                raise BuildError(f"manifest.json: unknown Support location {place!r}")
            url = value if isinstance(value, str) else value.get("url") if isinstance(value, dict) else None
            if not isinstance(url, str) or not url:
                raise BuildError(f"manifest.json: location.support.{place} needs a url")
            if _is_remote(url):
                raise BuildError(f"manifest.json: location.support.{place} must open a page of the app, not {url!r}")
            pages.append(_local_file(APP_DIR, url, f"manifest.json location.support.{place}"))
    if "ticket_sidebar" not in location.get("support", {}):
        raise BuildError("manifest.json: this app belongs in location.support.ticket_sidebar")

    parameters = manifest.get("parameters", [])
    if not isinstance(parameters, list):
        raise BuildError("manifest.json: parameters must be a list")
    seen: Dict[str, dict] = {}
    for parameter in parameters:
        name = parameter.get("name") if isinstance(parameter, dict) else None
        if not isinstance(name, str) or not re.match(r"^[a-z][a-z0-9_]*$", name):
            raise BuildError(f"manifest.json: parameter without a valid name: {parameter!r}")
        if name in seen:
            raise BuildError(f"manifest.json: parameter {name!r} is listed twice")
        if parameter.get("type", "text") not in PARAMETER_TYPES:
            raise BuildError(f"manifest.json: parameter {name!r} has unknown type {parameter.get('type')!r}")
        seen[name] = parameter
    for name, wanted in APP_PARAMETERS.items():
        parameter = seen.get(name)
        if parameter is None:
            raise BuildError(f"manifest.json: app.js needs the parameter {name!r}")
        if parameter.get("type", "text") != wanted["type"] or bool(parameter.get("secure")) != wanted["secure"] or parameter.get("required") is not True:
            raise BuildError(
                f"manifest.json: parameter {name!r} must be type {wanted['type']!r}, required, "
                + ("secure" if wanted["secure"] else "not secure")
            )

    whitelist = manifest.get("domainWhitelist", [])
    if not isinstance(whitelist, list) or not all(isinstance(host, str) and HOST.match(host) for host in whitelist):
        raise BuildError("manifest.json: domainWhitelist must be a list of host names")
    return pages


def check_logos() -> None:
    for name, wanted in LOGOS.items():
        path = APP_DIR / name
        if not path.is_file():
            raise BuildError(f"{name} is missing ({wanted[0]}×{wanted[1]} PNG; integrations/zendesk/make_logos.py draws it)")
        header = path.read_bytes()[:24]
        # a PNG starts with its signature and the IHDR chunk: width and height, 4 bytes each
        if header[:8] != PNG_SIGNATURE or header[12:16] != b"IHDR":
            raise BuildError(f"{name} is not a PNG file")
        size = (int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big"))
        if size != wanted:
            raise BuildError(f"{name} is {size[0]}×{size[1]}; Zendesk needs {wanted[0]}×{wanted[1]}")


def check_translations(manifest: dict) -> None:
    folder = APP_DIR / "translations"
    default = folder / f"{manifest['defaultLocale']}.json"
    if not default.is_file():
        raise BuildError(f"translations: no file for the default locale ({default.relative_to(APP_DIR)})")
    names = [parameter["name"] for parameter in manifest.get("parameters", [])]
    for path in sorted(folder.glob("*.json")):
        app = _load_json(path, "translations").get("app")
        if not isinstance(app, dict) or not app.get("name"):
            raise BuildError(f"translations/{path.name}: needs app.name")
        labels = app.get("parameters", {})
        for name in names:
            if not isinstance(labels.get(name), dict) or not labels[name].get("label"):
                raise BuildError(f"translations/{path.name}: needs app.parameters.{name}.label")


def app_files() -> List[Tuple[str, Path]]:
    """(name in the zip, source file), sorted by name: the app's own files and the bundled ones."""
    files = {"manifest.json": APP_DIR / "manifest.json"}
    for folder in INCLUDED:
        for path in (APP_DIR / folder).rglob("*"):
            relative = path.relative_to(APP_DIR)
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                files[relative.as_posix()] = path
    for name, source in BUNDLED.items():
        if name in files:
            raise BuildError(f"{name}: bundled from {source.relative_to(PROJECT_ROOT)}; remove the copy in the app")
        files[name] = source
    return sorted(files.items())


def _name_of(path: Path) -> str:
    for name, source in BUNDLED.items():
        if path == source:
            return name
    return path.relative_to(APP_DIR).as_posix()


class HostRequired(BuildError):
    pass


def domain_whitelist(domain: Optional[str]) -> List[str]:
    value = (domain if domain is not None else os.environ.get("ZENDESK_ASSISTANT_HOST", "")).strip()
    if not value:
        raise HostRequired(
            "the assistant's host is required: ZENDESK_ASSISTANT_HOST=assistant.example.com make zendesk-app "
            "(or --domain). It becomes the manifest's domainWhitelist, so that Zendesk sends the agent token "
            "to that host only; see docs/zendesk.md")
    hosts = []
    for item in value.split(","):
        host = item.strip().lower()
        if "://" in host:
            host = urlsplit(host).hostname or ""
        if not HOST.match(host):
            raise BuildError(f"--domain: {item.strip()!r} is not a host name (e.g. assistant.example.com)")
        hosts.append(host)
    return sorted(set(hosts))


def build(out: Path, domain: Optional[str] = None) -> dict:
    manifest = _load_json(APP_DIR / "manifest.json", "manifest")
    pages = check_manifest(manifest)
    check_translations(manifest)
    check_logos()
    loaded = set()
    for page in pages:
        loaded.update(check_page(page))
    whitelist = domain_whitelist(domain)
    manifest = {**manifest, "domainWhitelist": whitelist}

    files = app_files()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in files:
            data = path.read_bytes()
            if name == "manifest.json":
                data = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3  # unix, so the mode above is read as such
            archive.writestr(info, data, compresslevel=9)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(buffer.getvalue())
    partial.replace(out)
    return {
        "out": out, "files": [name for name, _ in files],
        "pages": [page.relative_to(APP_DIR).as_posix() for page in pages],
        "loaded": sorted(_name_of(path) for path in loaded),
        "domain_whitelist": whitelist, "version": manifest["version"],
    }


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Validate the Zendesk app and write its upload zip.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"zip to write (default: {DEFAULT_OUT.relative_to(PROJECT_ROOT)})")
    parser.add_argument("--domain", help="assistant host(s) for domainWhitelist, comma-separated (default: $ZENDESK_ASSISTANT_HOST; one is required)")
    args = parser.parse_args(argv)
    try:
        result = build(args.out.resolve(), args.domain)
    except BuildError as error:
        print(f"zendesk app: {error}", file=sys.stderr)
        return 1
    out = result["out"]
    shown = out.relative_to(PROJECT_ROOT) if PROJECT_ROOT in out.parents else out
    print(f"zendesk app {result['version']}: manifest, translations and {len(result['loaded'])} page assets checked")
    print(f"wrote {shown} ({out.stat().st_size:,} bytes, {len(result['files'])} files)")
    print("domainWhitelist: " + ", ".join(result["domain_whitelist"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
