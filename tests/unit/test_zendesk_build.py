"""The Zendesk app's upload zip (integrations/zendesk/build.py): ready for a real account only
with the assistant's host pinned (domainWhitelist) and the icons Zendesk asks for."""
from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
import zipfile

import pytest
from PIL import Image

from tests.conftest import PROJECT_ROOT

BUILD = PROJECT_ROOT / "integrations" / "zendesk" / "build.py"


def build_module():
    spec = importlib.util.spec_from_file_location("zendesk_build", BUILD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_build(tmp_path, **env):
    environment = {k: v for k, v in os.environ.items() if k != "ZENDESK_ASSISTANT_HOST"} | env
    out = tmp_path / "app.zip"
    done = subprocess.run([sys.executable, str(BUILD), "--out", str(out)], env=environment,
                          capture_output=True, text=True, timeout=60)
    return done, out


def test_without_the_assistant_host_no_zip_is_written_and_the_reason_is_said(tmp_path):
    done, out = run_build(tmp_path)
    assert done.returncode == 1
    assert "ZENDESK_ASSISTANT_HOST" in done.stderr and "domainWhitelist" in done.stderr
    assert not out.exists()


def test_the_zip_pins_the_agent_token_to_the_assistant_host(tmp_path):
    done, out = run_build(tmp_path, ZENDESK_ASSISTANT_HOST="https://assistant.example.com")
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["domainWhitelist"] == ["assistant.example.com"]


def test_the_zip_carries_both_icons_in_the_documented_sizes(tmp_path):
    done, out = run_build(tmp_path, ZENDESK_ASSISTANT_HOST="assistant.example.com")
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(out) as archive:
        large = Image.open(io.BytesIO(archive.read("assets/logo.png")))
        small = Image.open(io.BytesIO(archive.read("assets/logo-small.png")))
    assert (large.format, large.size) == ("PNG", (320, 320))
    assert (small.format, small.size, small.mode) == ("PNG", (128, 128), "RGBA")  # PNG-24 with transparency


def test_an_icon_of_the_wrong_size_stops_the_build(tmp_path, monkeypatch):
    build = build_module()
    wrong = tmp_path / "logo.png"
    Image.new("RGBA", (100, 100)).save(wrong)
    monkeypatch.setattr(build, "APP_DIR", tmp_path.parent)
    monkeypatch.setattr(build, "LOGOS", {f"{tmp_path.name}/logo.png": (320, 320)})
    with pytest.raises(build.BuildError, match="100×100; Zendesk needs 320×320"):
        build.check_logos()
