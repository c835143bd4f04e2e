"""The bot: `DreamBot` holds its dependencies; `run()` wires config, store, pool and Discord.

Startup in one place (discord.py's advanced_startup example): the database opens first
(a corrupt or too-new file stops the bot before anything else), then the bot logs in, so
a bad token or an unreachable API fails in a second, not after the model loaded; then the
pool of dream workers starts (the only processes that import TensorFlow), then the bot
connects to the gateway. Once ready, jobs left unanswered by the last run are recovered.

The gateway is asked for its HELLO before the pool starts, and the first connection is
retried where that can help (`bot/gateway.py`); a gateway that can't be used ends the run
with `GatewayUnavailable`, one line for the operator.
Shutdown (SIGINT/SIGTERM) runs in stages while Discord is still connected: the pool stops
taking dreams and gives running ones a grace period, queued ones are told they were
interrupted, those replies go out, and only then does the bot disconnect.
"""
from __future__ import annotations

import asyncio
import logging
import signal
from datetime import datetime, timedelta, timezone

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

from dreaming.pool import DreamPool
from dreaming.pool.interface import Pool
from dreaming.pool.redis_pool import RedisPool
from dreaming.presets import Preset, load_presets

from bot import i18n
from bot.api_base import discover_gateway, use_api_base
from bot.config import Config, ConfigError
from bot.gateway import connect, wait_for_gateway
from bot.errors import reply_for
from bot.ops.health import HealthServer, state_of
from bot.ops.metrics import Metrics
from bot.dream.recovery import recover_jobs
from bot.dream.runner import DreamRunner
from bot.dream.views import DYNAMIC_ITEMS
from bot.i18n.commands import CommandTranslator
from bot.moderation.pickers import DYNAMIC_ITEMS as PICKERS
from bot.store import Store, StoredJob

log = logging.getLogger(__name__)

EXTENSIONS = ("bot.dream.cog", "bot.dream.info", "bot.moderation.cog")
#: seconds running dreams get to finish on shutdown
SHUTDOWN_GRACE = 30.0
#: seconds the last replies (results, "interrupted") get to go out before disconnecting
REPLY_GRACE = 10.0
#: how long finished jobs (attachment URL, user and channel ids) stay in the database
JOB_RETENTION = timedelta(days=7)
#: how often finished jobs past `JOB_RETENTION` are deleted while the bot runs
PRUNE_EVERY = timedelta(hours=1)
class DreamTree(app_commands.CommandTree):
    """The bot's slash commands: each interaction is answered in its member's language."""

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        i18n.use(interaction.locale)  # before the command, its checks and its error handler
        return True


class DreamBot(commands.Bot):
    """A commands.Bot that owns the dream pool, the store, presets and an HTTP session for downloads.

    The caller opens and closes the store (`run()` does); the bot only uses it.
    """

    def __init__(self, config: Config, pool: DreamPool, presets: dict[str, Preset], store: Store):
        # A text-only bot needs no voice libraries: don't warn operators about them.
        discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
        intents = discord.Intents.default()
        # `!dream key=value` needs the text of messages: a privileged intent. Slash-only bots
        # (prefix null) go without it; a mention still carries its text (`@Dreambot dream`).
        intents.message_content = config.discord.prefix is not None
        super().__init__(command_prefix=config.discord.prefix or commands.when_mentioned, intents=intents,
                         allowed_mentions=discord.AllowedMentions(everyone=False, roles=False, users=False,
                                                                  replied_user=True),
                         help_command=None, tree_cls=DreamTree)
        self.config, self.pool, self.presets, self.store = config, pool, presets, store
        self.metrics = Metrics(pool.stats)
        self.http_session: aiohttp.ClientSession | None = None
        self.runner: DreamRunner | None = None  #: made in `setup_hook`, with the HTTP session
        self.recovered: set[asyncio.Task] = set()  #: jobs from before a restart, running again
        self._recovery: asyncio.Task | None = None
        self._pruning: asyncio.Task | None = None

    async def setup_hook(self) -> None:
        self.http_session = aiohttp.ClientSession()
        self.runner = DreamRunner(config=self.config, pool=self.pool, store=self.store, presets=self.presets,
                                  metrics=self.metrics, http=self.http_session)
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.add_dynamic_items(*DYNAMIC_ITEMS, *PICKERS)  # buttons from before a restart keep working
        self.tree.on_error = self.on_app_command_error
        await self.tree.set_translator(CommandTranslator())  # Discord shows commands in each member's language
        if self.config.discord.sync_commands:
            await self._sync_commands()
        # Finished jobs hold attachment URLs and ids: keep them only as long as they help,
        # now and every `PRUNE_EVERY` for a bot that stays up for weeks.
        await self.store.prune_jobs(datetime.now(timezone.utc) - JOB_RETENTION)
        self._pruning = asyncio.create_task(self._prune_forever(), name="job-pruning")
        # Read before connecting: jobs this run accepts are not the last run's to recover.
        unfinished = await self.store.unfinished_jobs()
        self._recovery = asyncio.create_task(self._recover(unfinished), name="job-recovery")

    async def _prune_forever(self) -> None:
        while True:
            await asyncio.sleep(PRUNE_EVERY.total_seconds())
            try:
                await self.store.prune_jobs(datetime.now(timezone.utc) - JOB_RETENTION)
            except Exception:  # a full disk now and then must not end the pruning for good
                log.exception("pruning finished jobs failed; trying again in %s", PRUNE_EVERY)

    async def _recover(self, unfinished: list[StoredJob]) -> None:
        try:
            await recover_jobs(self, unfinished)
        except Exception:
            log.exception("recovering unfinished jobs failed; they stay in the database for the next start")

    async def _sync_commands(self) -> None:
        dev_guild = self.config.discord.dev_guild
        if dev_guild:
            guild = discord.Object(id=dev_guild)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    async def invoke(self, ctx: commands.Context) -> None:
        """A prefix command answers in its server's language (a hybrid command used as a slash
        command speaks its member's, set by `DreamTree`); in DMs, English."""
        i18n.use(ctx.interaction.locale if ctx.interaction else getattr(ctx.guild, "preferred_locale", None))
        await super().invoke(ctx)

    async def on_command_error(self, ctx: commands.Context, error: commands.CommandError) -> None:
        if isinstance(error, commands.CommandNotFound):
            return  # other bots' commands share the prefix
        await ctx.reply(reply_for(error), mention_author=False, ephemeral=True)  # ephemeral: slash only

    async def on_app_command_error(self, interaction: discord.Interaction, error) -> None:
        text = reply_for(error)
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)

    async def shutdown(self, grace: float = SHUTDOWN_GRACE) -> None:
        """Stop in stages: the pool (running dreams get `grace` s, queued ones are told they
        were interrupted), then the replies that produced, then Discord."""
        await self.pool.close(grace=grace)
        if self.runner is not None and not await self.runner.wait_idle(REPLY_GRACE):
            log.warning("closing with replies still unsent")
        await self.close()

    async def close(self) -> None:
        for task in (self._recovery, self._pruning):
            if task is not None:
                task.cancel()
        await super().close()
        if self.http_session is not None:
            await self.http_session.close()


def make_pool(config: Config) -> Pool:
    """The pool `pool.backend` names: worker processes here (`local`), or workers on any
    host through Redis (`redis`). Both keep the `Pool` contract; nothing else differs."""
    pool = config.pool
    if pool.backend == "redis":
        return RedisPool(url=pool.redis_url, max_queue=pool.max_queue, per_user=pool.per_user,
                         job_timeout=pool.job_timeout)
    return DreamPool(workers=pool.workers, max_queue=pool.max_queue, per_user=pool.per_user,
                     job_timeout=pool.job_timeout, weights=pool.model_weights)


async def run(config: Config) -> None:
    """Log in, start the pool, serve until SIGINT/SIGTERM or a lost connection, shut down.

    Raises what stopped it: `StoreError`, `discord.LoginFailure`, a connection error, the pool's load error.
    """
    presets = load_presets(*config.dream.presets_files)
    if config.dream.default_preset not in presets:
        raise ConfigError(f"config key 'dream.default_preset' names no preset: "
                          f"{config.dream.default_preset!r} (presets: {', '.join(presets)})")
    if config.discord.api_base:
        use_api_base(config.discord.api_base, await _gateway_of(config.discord.api_base))
    pool = await asyncio.to_thread(make_pool, config)  # finding GPUs may run nvidia-smi: off the loop
    async with await Store.open(config.store.path) as store, DreamBot(config, pool, presets, store) as bot:
        await bot.login(config.discord.token)
        health = await _start_health(config, bot)
        try:
            await wait_for_gateway(bot)  # before the model loads: a wrong address fails in seconds
            await pool.start()
            connection = asyncio.create_task(connect(bot), name="discord-connection")
            try:
                await _until_stopped(connection)
            finally:
                await bot.shutdown(SHUTDOWN_GRACE)
                await asyncio.gather(connection, return_exceptions=True)
        finally:
            if health is not None:
                await health.stop()


async def _gateway_of(api_base: str) -> str | None:
    """Where a Discord-compatible server's gateway is, as it says (self-hosted servers such
    as Spacebar may put it on another port); None = the same-host convention."""
    try:
        return await discover_gateway(api_base)
    except (aiohttp.ClientError, TimeoutError, KeyError, TypeError, ValueError) as exc:
        log.info("no gateway address from %s/gateway (%s); assuming the same host", api_base, exc)
        return None


async def _start_health(config: Config, bot: DreamBot) -> HealthServer | None:
    """The /healthz and /metrics endpoint, when `http.port` is set; 503 until ready."""
    if config.http.port is None:
        return None
    server = HealthServer(config.http.port, host=config.http.host, state=lambda: state_of(bot),
                          metrics=bot.metrics)
    try:
        await server.start()
    except OSError as exc:  # the port is taken, or the host is not this machine's
        raise ConfigError(f"config key 'http.port': can't serve health and metrics on "
                          f"{config.http.host}:{config.http.port} ({exc.strerror or exc}); "
                          "choose a free port, or null to turn it off") from None
    log.info("health and metrics on http://%s:%d/", config.http.host, server.port)
    return server


async def _until_stopped(connection: asyncio.Task) -> None:
    """Return on SIGINT or SIGTERM; raise if the connection ends first."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({connection, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        for sig in signals:
            loop.remove_signal_handler(sig)
    if stop.is_set():
        log.info("stopping: finishing running dreams (up to %.0f s)", SHUTDOWN_GRACE)
    else:
        connection.result()  # raises why the connection ended
