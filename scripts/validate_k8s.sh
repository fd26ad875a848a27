#!/usr/bin/env bash
# `make validate-k8s`: every object in deploy/k8s/ (or the files given) checked, strictly, against
# the newest Kubernetes schemas kubernetes-validate holds (scripts/validate_k8s.py). Creates
# .venv-k8s (Python 3.13 or 3.12, requirements-k8s.txt) once; a stamp skips the install after that.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=.venv-k8s/.requirements.sha256
wanted=$(cat requirements-k8s.txt constraints-k8s.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  python=""
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13.*/bin/python "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12.*/bin/python \
                   "$(command -v python3.13 || true)" "$(command -v python3.12 || true)"; do
    [ -x "$candidate" ] && { python=$candidate; break; }
  done
  [ -n "$python" ] || { echo "error: validate-k8s needs Python 3.12 or 3.13 (pyenv install 3.13)" >&2; exit 1; }
  rm -rf .venv-k8s
  "$python" -m venv .venv-k8s
  .venv-k8s/bin/pip install --quiet --disable-pip-version-check -r requirements-k8s.txt -c constraints-k8s.txt
  echo "$wanted" > "$stamp"
fi
exec .venv-k8s/bin/python scripts/validate_k8s.py "$@"
