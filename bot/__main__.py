"""`python -m bot --config config.yaml`: run the Discord bot.

Exit code 2 with one line on stderr for a missing token, a bad config, a database that
can't be trusted (corrupt, not Dreambot's, or newer), an API that cannot be reached or a
gateway that refuses the bot (after retries, where they can help); the token is never printed.
"""
from __future__ import annotations

import argparse
import asyncio
import sys

import aiohttp
import discord

from dreaming.errors import DreamError

from bot.config import ConfigError, load_config
from bot.gateway import GatewayUnavailable
from bot.ops.logs import setup_logging
from bot.store import StoreError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Run the Dreambot Discord bot.")
    parser.add_argument("--config", default=None, help="config.yaml (see config.yaml.example)")
    parser.add_argument("--log-level", default="INFO", type=str.upper,
                        choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        if not config.discord.token:
            raise ConfigError("no Discord token: set DISCORD_TOKEN or discord.token in the config")
        setup_logging(args.log_level, secrets=[config.discord.token])
        from bot.app import run
        asyncio.run(run(config))
    except (ConfigError, DreamError, StoreError, GatewayUnavailable) as exc:
        return _fail(str(exc))
    except discord.LoginFailure:
        return _fail("Discord refused the token: check DISCORD_TOKEN")
    except discord.PrivilegedIntentsRequired:
        return _fail("enable the Message Content intent for this bot in the Discord developer portal")
    except discord.ConnectionClosed as exc:
        return _fail(f"Discord closed the gateway connection (code {exc.code})")
    except discord.HTTPException as exc:
        return _fail(f"the Discord API answered HTTP {exc.status}: check discord.api_base")
    except (aiohttp.ClientConnectionError, discord.GatewayNotFound, OSError) as exc:
        return _fail(f"cannot reach the Discord API ({type(exc).__name__}): check discord.api_base and the network")
    except KeyboardInterrupt:
        return 0
    return 0


def _fail(message: str) -> int:
    print(f"bot: error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
