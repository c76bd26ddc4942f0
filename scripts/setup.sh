#!/usr/bin/env bash
# Creates the project's Python 3.10 virtual environment (.venv) and installs the pinned
# dependencies: requirements.lock (runtime) and requirements-dev.lock (tests, lint, types), both
# with hashes, checked (--require-hashes). Rasa 3.6 runs on Python 3.8-3.10 only. Re-installs
# only when either lock file changes.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python() {
  for candidate in "${PYTHON310:-}" python3.10 "$HOME"/.pyenv/versions/3.10.*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
  python=$(find_python) || { echo "error: Python 3.10 is needed (Rasa 3.6 supports 3.8-3.10); install it, e.g. with pyenv, or set PYTHON310" >&2; exit 1; }
  echo "Creating .venv with $python"
  rm -rf .venv
  "$python" -m venv .venv
fi

stamp=.venv/.installed
want=$(cat requirements.lock requirements-dev.lock | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing pinned dependencies (a few minutes the first time)"
  # The pip that requirements-dev.lock pins too; an older one may not read the locks' hashes.
  .venv/bin/python -m pip install --quiet --upgrade pip==24.2
  .venv/bin/python -m pip install --quiet --require-hashes -r requirements.lock -r requirements-dev.lock
  .venv/bin/python -m pip check
  echo "$want" > "$stamp"
fi
