#!/usr/bin/env bash
# The whole test suite, slow real-model tests included. Sets itself up first.
# Extra arguments go to pytest (e.g. `-m "not slow"` for a quick local loop).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
# pytest exits 5 when it collected no tests: that must never look like success.
if [[ $status -eq 5 ]]; then
    echo "test: pytest collected no tests; failing" >&2
    exit 1
fi
exit $status
