"""Start the server, the page and the real bot, and stop them again: `serve(PlaygroundOptions)`.

The bot runs exactly as in production: `bot.app.run(config)` logs in, starts the pool, syncs
its commands, connects to the gateway and stops in stages on SIGINT/SIGTERM. What differs
is only the config: `discord.api_base` points at the local server (which accepts the one
random token made here), one worker on the CPU, the database in a throwaway folder (or
`--data DIR`) and no health endpoint. The operator's config file, when given, still sets
everything else (limits, presets, the privacy reminder...), so a moderator can rehearse
with the real settings.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import os
import secrets
import signal
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from discordlocal import FakeDiscord
from discordlocal.web import WebClient

from bot.app import run
from bot.config import Config, load_config
from bot.playground.world import create_world

#: The page's port unless told otherwise; taken, any free port is used instead.
DEFAULT_PORT = 8765
TITLE = "Dreambot playground"


@dataclass(frozen=True)
class PlaygroundOptions:
    host: str = "127.0.0.1"
    port: int | None = None  #: None: DEFAULT_PORT, or any free port when that is taken
    data: Path | None = None  #: keep the database here; None: a temporary folder, deleted on exit
    config: Path | None = None  #: an operator's config.yaml for limits, presets and texts
    gpu: bool = False  #: let the worker use a visible GPU (default: CPU only)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def playground_config(base: Config, *, api_base: str, token: str, data_dir: Path) -> Config:
    """`base` pointed at the local server: its token, one local worker (never Redis), the store in
    `data_dir`, no health port."""
    return dataclasses.replace(
        base,
        discord=dataclasses.replace(base.discord, token=token, api_base=api_base, dev_guild=None,
                                    sync_commands=True),
        pool=dataclasses.replace(base.pool, backend="local", workers=1),
        store=dataclasses.replace(base.store, path=str(data_dir / "dreambot.db")),
        http=dataclasses.replace(base.http, port=None),
    )


async def serve(options: PlaygroundOptions, announce: Callable[[str], None]) -> None:
    """Run until SIGINT/SIGTERM; `announce(url)` once the page is up (the bot is still starting then).

    Raises what stops it early: `ConfigError`, `StoreError`, the pool's `DreamError`, `OSError` (port).
    """
    # Environment overrides are for a production bot: none of DISCORD_TOKEN, DISCORD_API_BASE
    # or the store path may leak in, so the playground never talks to discord.com.
    base = load_config(options.config, env={})
    if not options.gpu:
        os.environ["CUDA_VISIBLE_DEVICES"] = "-1"  # the worker processes inherit it
    _cancel_on_sigterm()
    token = secrets.token_urlsafe(32)
    with _data_dir(options.data) as data_dir:
        async with FakeDiscord(token=token, bot_name="Dreambot") as fake:
            world = create_world(fake)
            web = WebClient(fake, world.guild_id, people=world.people, title=TITLE,
                            max_upload=int(base.limits.max_attachment_mb * 2**20))
            try:
                url = await _start_web(web, options)
                announce(url)
                await run(playground_config(base, api_base=fake.api_base, token=token, data_dir=data_dir))
            finally:
                await web.stop()


async def _start_web(web: WebClient, options: PlaygroundOptions) -> str:
    if options.port is not None:
        return await web.start(options.host, options.port)
    try:
        return await web.start(options.host, DEFAULT_PORT)
    except OSError:
        return await web.start(options.host, 0)


def _cancel_on_sigterm() -> None:
    """Until `bot.app.run` installs its own handlers (once the model loaded), SIGTERM stops the
    start-up as Ctrl-C does, by cancelling it, so nothing is left behind."""
    task = asyncio.current_task()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)


@contextlib.contextmanager
def _data_dir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="dreambot-playground-") as tmp:
        yield Path(tmp)
