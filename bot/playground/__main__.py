"""`python -m bot.playground` (or `dreambot-playground`): try Dreambot in a browser, no Discord needed.

Prints the page's URL, then runs until Ctrl-C (SIGINT) or SIGTERM. Exit code 2 with one
line on stderr for a bad config, an untrustworthy database, missing model weights or a
port that can't be used.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from dreaming.errors import DreamError

from bot.config import ConfigError
from bot.ops.logs import setup_logging
from bot.playground.launcher import DEFAULT_PORT, PlaygroundOptions, is_loopback, serve
from bot.store import StoreError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="dreambot-playground",
        description="Try Dreambot in your browser: a local Discord-like server, the real bot and a web page.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to serve the page on (default 127.0.0.1: this computer only)")
    parser.add_argument("--port", type=int, default=None,
                        help=f"port for the page (default {DEFAULT_PORT}, or any free port if it is taken)")
    parser.add_argument("--data", type=Path, default=None,
                        help="keep the bot's database in this folder (default: a temporary one, deleted on exit)")
    parser.add_argument("--config", type=Path, default=None,
                        help="a config.yaml for limits, presets and texts (its Discord settings are ignored)")
    parser.add_argument("--gpu", action="store_true", help="let the dream worker use a GPU (default: CPU)")
    parser.add_argument("--log-level", default="WARNING", type=str.upper,
                        choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    args = parser.parse_args(argv)
    setup_logging(args.log_level)
    if not is_loopback(args.host):
        print(f"playground: WARNING: serving on {args.host}, not 127.0.0.1: anyone who can reach this "
              "address can use the page and act as its members, with no login. Use it only on a network "
              "you trust.", file=sys.stderr, flush=True)
    options = PlaygroundOptions(host=args.host, port=args.port, data=args.data, config=args.config, gpu=args.gpu)
    try:
        asyncio.run(serve(options, announce=lambda url: _announce(url, options)))
    except (ConfigError, DreamError, StoreError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot serve on {args.host}:{args.port or DEFAULT_PORT}: {exc.strerror or exc}")
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    print("playground: stopped", flush=True)
    return 0


def _announce(url: str, options: PlaygroundOptions) -> None:
    data = f"in {options.data}" if options.data else "in a temporary folder, deleted on exit (keep it: --data DIR)"
    print(f"Dreambot playground: {url}\n"
          f"  Open it in your browser, drop a photo and type !dream (the bot is online once its model has loaded).\n"
          f"  The bot's database is {data}. Ctrl-C stops.", flush=True)


def _fail(message: str) -> int:
    print(f"playground: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
