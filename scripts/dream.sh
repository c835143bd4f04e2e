#!/usr/bin/env bash
# Dream one image on the default preset: `bash scripts/dream.sh [IMAGE] [options]`.
# With no IMAGE it dreams the sample photo shipped in docs/. Sets itself up first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [[ $# -eq 0 || "$1" == -* ]]; then
    set -- docs/sample-cat.jpg -o out/sample-cat.dream.png "$@"
    mkdir -p out
fi
exec .venv/bin/dreaming "$@"
