#!/usr/bin/env bash
# Creates .venv with Python 3.10 (Rasa 3.6 refuses 3.11+) and .venv-actions, the action server's own
# environment on a supported Python (docs/platform.md), and installs the pinned dependencies of each.
# Idempotent: a stamp holding the hash of each requirements + constraints pair skips an install when
# nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# The Python 3.10 patch the set-up pins: the newest one pyenv here can build or has (3.10.19+ exist,
# but their sources are not reachable from this machine, and Debian bookworm has no 3.10)
PINNED_PYTHON310=3.10.13
# The action server's Python: the newest supported minor found, newest first (docs/platform.md)
ACTIONS_PYTHONS=(3.13 3.12)

find_python() {  # find_python <major.minor>: that interpreter, the newest patch first
  local minor=$1 candidates=()
  if command -v pyenv >/dev/null 2>&1; then
    candidates+=($(ls -d "$(pyenv root)"/versions/"$minor".*/bin/python 2>/dev/null | sort -rV))
  fi
  candidates+=($(ls -d "$HOME"/.pyenv/versions/"$minor".*/bin/python 2>/dev/null | sort -rV))
  command -v "python$minor" >/dev/null 2>&1 && candidates+=("$(command -v "python$minor")")
  for candidate in "${candidates[@]}"; do
    if [ -x "$candidate" ] && "$candidate" -c "import sys; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$minor' else 1)" 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}
find_python310() { find_python 3.10; }

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
  if ! python=$(find_python310); then
    echo "error: Rasa 3.6 needs Python 3.10 (it refuses 3.11+). Install it (pyenv install 3.10, or apt's python3.10) and run again." >&2
    exit 1
  fi
  version=$("$python" -c 'import platform; print(platform.python_version())')
  [ "$version" = "$PINNED_PYTHON310" ] || echo "note: .venv gets Python $version; the set-up pins $PINNED_PYTHON310 (docs/platform.md)" >&2
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

# .venv-actions: the action server (rasa_sdk, consignment/, actions/; never rasa) on a supported Python
actions_python_ok() {
  [ -x .venv-actions/bin/python ] && .venv-actions/bin/python -c "import sys; sys.exit(0 if '%d.%d' % sys.version_info[:2] in '${ACTIONS_PYTHONS[*]}'.split() else 1)" 2>/dev/null
}
if ! actions_python_ok; then
  python=""
  for minor in "${ACTIONS_PYTHONS[@]}"; do
    python=$(find_python "$minor") && break
  done
  if [ -z "$python" ]; then
    echo "error: the action server needs Python ${ACTIONS_PYTHONS[*]// / or } (docs/platform.md). Install one (pyenv install 3.13, or apt's python3.13 on Debian trixie) and run again." >&2
    exit 1
  fi
  echo "creating .venv-actions with $python"
  rm -rf .venv-actions
  "$python" -m venv .venv-actions
fi
stamp=.venv-actions/.requirements.sha256
wanted=$(cat requirements-actions.txt constraints-actions.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "installing the action server's pinned dependencies into .venv-actions (first time: about 30 s)"
  .venv-actions/bin/pip install --quiet --disable-pip-version-check -r requirements-actions.txt -c constraints-actions.txt
  # the action server must not need Rasa: fail here rather than at its first action
  .venv-actions/bin/python -c 'import importlib.util, sys; sys.exit("rasa is installed in .venv-actions" if importlib.util.find_spec("rasa") else 0)'
  echo "$wanted" > "$stamp"
fi
