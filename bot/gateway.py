"""The first connection to the gateway, which discord.py can't retry.

discord.py reconnects a bot that was connected, but when its *first* connection fails (the
gateway is down, restarting, or answers the upgrade with an error) it fails on the socket
it never got (`AttributeError: 'NoneType' object has no attribute 'sequence'`). So:

- `wait_for_gateway` opens the gateway and waits for HELLO before the bot connects: a
  gateway that is down, answers 5xx/429, or closes before HELLO is tried again with backoff;
  one that can't be right (4xx on the upgrade, a fatal close code), or stays down for
  `GATEWAY_ATTEMPTS` tries, raises `GatewayUnavailable`, one line for the operator.
- `connect` runs `bot.connect()` and starts over on exactly that first-connection failure
  (the gateway went down after `wait_for_gateway` saw it).
"""
from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import discord
from discord.ext import commands

log = logging.getLogger(__name__)

#: tries at a gateway that is down before giving up, the first pause between them (doubling,
#: up to `GATEWAY_MAX_DELAY`), and how long one try may take (about 1 minute in all)
GATEWAY_ATTEMPTS = 6
GATEWAY_FIRST_DELAY = 2.0
GATEWAY_MAX_DELAY = 30.0
GATEWAY_TIMEOUT = 20.0
#: close codes after which trying again can't help (Discord's: authentication, sharding, intents...)
FATAL_CLOSE_CODES = frozenset({4004, 4010, 4011, 4012, 4013, 4014})
#: what discord.py's connect loop catches; on a first connection it then fails on `self.ws`
_CONNECT_ERRORS = (OSError, discord.HTTPException, discord.GatewayNotFound, discord.ConnectionClosed,
                   aiohttp.ClientError, asyncio.TimeoutError, discord.gateway.ReconnectWebSocket)


class GatewayUnavailable(Exception):
    """The gateway can't be used: its one-line reason, for the operator."""


async def wait_for_gateway(bot: commands.Bot) -> None:
    """Return once the gateway answers with HELLO; retry (with backoff) a gateway that is down,
    refuses the upgrade with 5xx/429, or closes before HELLO; raise `GatewayUnavailable` for
    one that can't be right, or after `GATEWAY_ATTEMPTS` tries."""
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    url = gateway.with_query(v=discord.http.INTERNAL_API_VERSION, encoding="json")
    delay = GATEWAY_FIRST_DELAY
    for attempt in range(1, GATEWAY_ATTEMPTS + 1):
        reason, may_retry = await _hello_from(bot, str(url))
        if reason is None:
            return
        if not may_retry:
            raise GatewayUnavailable(f"the Discord gateway at {gateway} refused the connection ({reason}): "
                                     "check discord.api_base")
        if attempt == GATEWAY_ATTEMPTS:
            raise GatewayUnavailable(f"cannot connect to the Discord gateway at {gateway} ({reason}; "
                                     f"{attempt} tries): check discord.api_base and the network")
        log.warning("the Discord gateway is not answering (%s); trying again in %.0f s", reason, delay)
        await asyncio.sleep(delay)
        delay = min(delay * 2, GATEWAY_MAX_DELAY)


async def _hello_from(bot: commands.Bot, url: str) -> tuple[str | None, bool]:
    """Open the gateway and wait for HELLO: (None, _) when it came, else (why, whether to retry)."""
    try:
        ws = await asyncio.wait_for(bot.http.ws_connect(url), GATEWAY_TIMEOUT)
    except aiohttp.WSServerHandshakeError as exc:
        return f"HTTP {exc.status}", exc.status >= 500 or exc.status in (408, 429)
    except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
        return type(exc).__name__, True
    try:
        msg = await asyncio.wait_for(ws.receive(), GATEWAY_TIMEOUT)
    except asyncio.TimeoutError:
        return "no HELLO", True
    finally:
        await ws.close()
    if msg.type is aiohttp.WSMsgType.TEXT and _opcode(msg.data) == discord.gateway.DiscordWebSocket.HELLO:
        return None, False
    if msg.type is aiohttp.WSMsgType.CLOSE:
        return f"closed with code {msg.data} before HELLO", msg.data not in FATAL_CLOSE_CODES
    return f"{msg.type.name.lower()} before HELLO", True


def _opcode(text: str) -> int | None:
    try:
        return json.loads(text).get("op")
    except (ValueError, AttributeError):
        return None


async def connect(bot: commands.Bot) -> None:
    """`bot.connect()`, started over when its first connection fails (the gateway went down
    after `wait_for_gateway` saw it): discord.py then fails on the socket it never got."""
    for attempt in range(1, GATEWAY_ATTEMPTS + 1):
        try:
            await bot.connect()
            return
        except AttributeError as exc:
            cause = exc.__context__
            if bot.ws is not None or not isinstance(cause, _CONNECT_ERRORS):
                raise
            if attempt == GATEWAY_ATTEMPTS:
                raise GatewayUnavailable(f"cannot connect to the Discord gateway ({type(cause).__name__}; "
                                         f"{attempt} tries): check discord.api_base and the network") from None
            log.warning("the first gateway connection failed (%s); trying again", type(cause).__name__)
        await wait_for_gateway(bot)
