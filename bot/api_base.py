"""Point discord.py at a Discord-compatible server instead of discord.com.

Used for the config option `discord.api_base` (env `DISCORD_API_BASE`): self-hosted servers
such as Spacebar, and the local server in `discordlocal/` (tests, benchmarks). discord.py has no setting for
this, but it reads two class attributes at call time, so setting them is enough:

- `discord.http.Route.BASE`: every REST URL is `Route.BASE + path`, built when a request is
  made. Interaction callbacks (`/interactions/{id}/{token}/callback`) and follow-ups and
  `@original` edits (`/webhooks/{app_id}/{token}/...`) go through `Route` as well (see
  `discord/webhook/async_.py`), so they follow too. `Webhook.url` still prints discord.com; it
  is display only and the bot does not use it.
- `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`: where `Client`/`commands.Bot` open the
  websocket (they do not ask `/gateway`). After READY they reconnect to the
  `resume_gateway_url` the server gave, so resumes follow the server's lead.
  `AutoShardedClient` asks `GET {api_base}/gateway/bot` for the address instead.

Attachment URLs come from the server's payloads, so downloads need nothing set here.
"""
from __future__ import annotations

import logging

import aiohttp
import discord.gateway
import discord.http
import yarl

log = logging.getLogger(__name__)

#: discord.py's own defaults, for `reset_api_base()`.
DISCORD_API_BASE = discord.http.Route.BASE
DISCORD_GATEWAY = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY


def use_api_base(api_base: str, gateway_url: str | None = None) -> None:
    """Send discord.py's REST calls to `api_base` (".../api/v10") and its websocket to `gateway_url`.

    Without `gateway_url`, the gateway is assumed at the root of the same host
    (`gateway_url_for`); use `discover_gateway()` first for servers that put it elsewhere.
    Process-wide: it changes class attributes, so set it before the bot logs in.
    """
    base = api_base.rstrip("/")
    gateway = yarl.URL(gateway_url) if gateway_url else gateway_url_for(base)
    discord.http.Route.BASE = base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway
    log.info("Using Discord API at %s, gateway at %s", base, gateway)


def reset_api_base() -> None:
    """Back to discord.com (tests call this so one test's server does not leak into the next)."""
    discord.http.Route.BASE = DISCORD_API_BASE
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = DISCORD_GATEWAY


def gateway_url_for(api_base: str) -> yarl.URL:
    """The websocket URL by convention: same host and port, ws/wss scheme, root path.

    >>> str(gateway_url_for("http://127.0.0.1:8080/api/v10"))
    'ws://127.0.0.1:8080/'
    """
    url = yarl.URL(api_base)
    scheme = {"http": "ws", "https": "wss"}.get(url.scheme, url.scheme)
    return url.with_scheme(scheme).with_path("/").with_query(None).with_fragment(None)


async def discover_gateway(api_base: str, *, timeout: float = 10.0) -> str:
    """Ask the server where its gateway is (`GET {api_base}/gateway`, no token needed)."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        async with session.get(api_base.rstrip("/") + "/gateway") as response:
            response.raise_for_status()
            data = await response.json(content_type=None)
    return data["url"]
