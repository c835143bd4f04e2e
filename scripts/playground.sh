#!/usr/bin/env bash
# Try the bot in your browser, no Discord needed: `bash scripts/playground.sh [options]`.
# Starts a local Discord-like server, the real bot and a web page on 127.0.0.1, and prints
# the page's URL; Ctrl-C stops it. Options: --data DIR (keep the bot's database), --port N,
# --config config.yaml, --host ADDR (warns: anyone who reaches it can use the page).
# Sets itself up first, as scripts/dream.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/dreambot-playground "$@"
