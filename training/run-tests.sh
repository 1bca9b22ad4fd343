#!/usr/bin/env bash
# Runs the trainer's pytest suite in a virtual environment under target/trainer-venv.
# Called by Maven's test phase (exec-maven-plugin, id trainer-tests); skip with -Dtrainer.skip=true.
# The venv is reinstalled only when training/requirements.txt changes (hash stamp).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
training="$root/training"
venv="$root/target/trainer-venv"
stamp="$venv/.requirements.sha256"

python="${PYTHON:-python3}"
if ! command -v "$python" >/dev/null 2>&1; then
  echo "trainer tests: '$python' was not found. Install Python 3.10+ (Debian: apt-get install -y python3 python3-venv)," >&2
  echo "or skip the trainer tests with -Dtrainer.skip=true." >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
  echo "trainer tests: $("$python" --version 2>&1) is too old; Python 3.10 or newer is needed." >&2
  exit 1
fi

want="$(sha256sum "$training/requirements.txt" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "trainer tests: creating $venv (requirements changed or venv missing)"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  if ! "$python" -m venv "$venv"; then
    echo "trainer tests: '$python -m venv' failed; install the venv module (Debian: apt-get install -y python3-venv)." >&2
    exit 1
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$training/requirements.txt"
  echo "$want" > "$stamp"
fi

cd "$training"
# exec: pytest's exit status is the script's exit status, so Maven fails when a test fails.
exec "$venv/bin/python" -m pytest -q -p no:cacheprovider tests "$@"
