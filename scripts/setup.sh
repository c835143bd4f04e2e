#!/usr/bin/env bash
# Idempotent setup: .venv with the pinned packages and this project (so the console scripts
# `dreaming`, `dreambot` and `dreambot-weights` exist), then the model weights in the cache.
# Usage: bash scripts/setup.sh [--dev]   (--dev adds the test and benchmark packages)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
REQS=requirements.txt
[[ "${1:-}" == "--dev" ]] && REQS=requirements-dev.txt

if [[ ! -x .venv/bin/python ]]; then
    echo "setup: creating .venv" >&2
    "$PYTHON" -m venv .venv
fi
# Re-install only when the requirements or pyproject.toml changed since the last successful install.
stamp=".venv/.installed-$(cat requirements*.txt pyproject.toml | sha256sum | cut -c1-16)-$(basename "$REQS" .txt)"
if [[ ! -f "$stamp" ]]; then
    echo "setup: installing $REQS and this project (first run takes a few minutes)" >&2
    # The pins first, then the project itself, editable and without dependencies (the pins are
    # them); its build step fetches setuptools from PyPI once, as pyproject.toml asks.
    # (grep drops pip's notes about this machine's unused local indexes; pipefail keeps pip's status)
    { .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$REQS" \
        && .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e . ; } 2>&1 \
        | { grep -v "^WARNING: Location .* is ignored" || true; } >&2
    touch "$stamp"
fi
.venv/bin/python -m dreaming.weights
