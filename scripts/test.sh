#!/usr/bin/env bash
# The whole test suite, slow real-model tests included. Sets itself up first.
# Extra arguments go to pytest (e.g. `-m "not slow"` for a quick local loop).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev

# The playground's browser tests (tests/test_playground_browser.py) drive Debian's chromium
# through chromium-driver. Install them when missing (CI runs as root, with the package
# registries); only when that is impossible do those tests skip, saying why.
ensure_chromium() {
    unset DREAMBOT_NO_BROWSER
    if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
        return 0
    fi
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo="sudo -n"
        else
            export DREAMBOT_NO_BROWSER="chromium and chromium-driver are missing, and installing them needs root"
            return 0
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        export DREAMBOT_NO_BROWSER="chromium and chromium-driver are missing, and this system has no apt-get"
        return 0
    fi
    echo "test: installing chromium and chromium-driver for the browser tests (apt-get)" >&2
    local log
    log=$(mktemp)
    if $sudo apt-get update -qq >"$log" 2>&1 \
        && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >>"$log" 2>&1 \
        && command -v chromedriver >/dev/null 2>&1; then
        rm -f "$log"
    else
        tail -n 5 "$log" >&2
        rm -f "$log"
        export DREAMBOT_NO_BROWSER="apt-get could not install chromium and chromium-driver (its last lines are above)"
        echo "test: $DREAMBOT_NO_BROWSER; the browser tests will be skipped" >&2
    fi
}
ensure_chromium

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
