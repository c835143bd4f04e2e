"""An optional HTTP endpoint for operators: `/healthz` for probes, `/metrics` for Prometheus.

It runs on the bot's event loop (aiohttp, like discord.py) and only reads state: a
`state()` callable says how the bot is, `Metrics.render()` gives the metrics. It binds
to 127.0.0.1 unless told otherwise, since the figures are for the host, not the world.
"""
from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.ops.metrics import Metrics

if TYPE_CHECKING:
    from bot.app import DreamBot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthState:
    """What `/healthz` reports."""

    gateway_connected: bool  #: the websocket to Discord is open and the bot is ready
    workers_alive: int  #: workers with a warm model
    workers_total: int  #: workers configured
    queue_depth: int  #: jobs waiting for a worker
    #: details for operators, shown when known (the verdict does not depend on them)
    backend: str | None = field(default=None, compare=False)  #: the pool's: "local" or "redis"
    workers_by_host: dict[str, int] | None = field(default=None, compare=False)  #: workers alive, by host

    @property
    def healthy(self) -> bool:
        """The bot can take and finish a dream: connected, and at least one worker alive."""
        return self.gateway_connected and self.workers_alive >= 1


def state_of(bot: "DreamBot") -> HealthState:
    """The health of a running `DreamBot`: its gateway connection and its pool."""
    ws = bot.ws
    connected = bot.is_ready() and not bot.is_closed() and ws is not None and ws.open
    stats = bot.pool.stats()
    return HealthState(gateway_connected=connected, workers_alive=stats.alive,
                       workers_total=stats.workers, queue_depth=stats.queued,
                       backend=stats.backend, workers_by_host=stats.hosts)


class HealthServer:
    """`/healthz` (JSON; 200 when healthy, else 503) and `/metrics` on `host:port`.

    Args:
        port: TCP port; 0 picks a free one (see `port` after `start()`).
        host: address to bind; the default keeps the endpoint on this machine.
        state: called per request for the current `HealthState`.
        metrics: rendered for `/metrics`.
    """

    def __init__(self, port: int, *, host: str = "127.0.0.1", state: Callable[[], HealthState],
                 metrics: Metrics) -> None:
        self.host, self.port = host, port
        self.state, self.metrics = state, metrics
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        """Listen; `self.port` then holds the real port. Raises `OSError` if it is taken."""
        app = web.Application()
        app.add_routes([web.get("/healthz", self._healthz), web.get("/metrics", self._metrics)])
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError:
            await self.stop()
            raise
        self.port = self._runner.addresses[0][1]
        log.info("health and metrics on http://%s:%d/healthz and /metrics", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        state = self.state()
        body = {key: value for key, value in dataclasses.asdict(state).items() if value is not None}
        body["healthy"] = state.healthy
        return web.json_response(body, status=200 if state.healthy else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        response = web.Response(body=self.metrics.render())
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST  # has a version parameter aiohttp won't set
        return response
