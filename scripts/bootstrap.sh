#!/usr/bin/env bash
# Creates .venv with Python 3.10 and installs the pinned dependencies. Idempotent: a stamp
# holding the hash of requirements.txt + constraints.txt skips the install when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python310() {
  local candidates=()
  if command -v pyenv >/dev/null 2>&1; then
    candidates+=("$(pyenv root)"/versions/3.10.*/bin/python)
  fi
  candidates+=("$HOME"/.pyenv/versions/3.10.*/bin/python)
  command -v python3.10 >/dev/null 2>&1 && candidates+=("$(command -v python3.10)")
  for candidate in "${candidates[@]}"; do
    if [ -x "$candidate" ] && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
  if ! python=$(find_python310); then
    echo "error: Rasa 3.6 needs Python 3.10 (it refuses 3.11+). Install it (pyenv install 3.10, or apt's python3.10) and run again." >&2
    exit 1
  fi
  echo "creating .venv with $python"
  rm -rf .venv
  "$python" -m venv .venv
fi

stamp=.venv/.requirements.sha256
wanted=$(cat requirements.txt constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "installing pinned dependencies into .venv (first time: about 2 minutes)"
  .venv/bin/pip install --quiet --disable-pip-version-check "pip==24.0" "setuptools==70.3.0" "wheel==0.45.1"
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
  # `import rasa` breaks with a newer packaging; fail here rather than at run time
  .venv/bin/python -c 'import packaging, sys; sys.exit(0 if packaging.__version__.startswith("20.") else "packaging " + packaging.__version__ + " breaks rasa")'
  echo "$wanted" > "$stamp"
fi
