"""The operator's HTTP endpoint: /healthz and /metrics, read with a real HTTP client from a
real HealthServer, and `state_of` read from a real DreamBot connected to the fake Discord."""
from __future__ import annotations

import json
import socket

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.ops.health import HealthServer, HealthState, state_of
from bot.ops.metrics import Metrics
from tests.botkit.files import coffee

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

HEALTHY = HealthState(gateway_connected=True, workers_alive=1, workers_total=2, queue_depth=3)


async def get(server: HealthServer, path: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{server.port}{path}") as response:
            return response.status, response.headers["Content-Type"], await response.text()


def samples(text: str) -> dict[str, float]:
    """`name{label="v"}` -> value, from the Prometheus text format (parsed by prometheus_client)."""
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return out


@pytest.fixture
async def serve():
    servers = []

    async def start(state, metrics: Metrics | None = None) -> HealthServer:
        server = HealthServer(0, state=state, metrics=metrics or Metrics())
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.mark.parametrize("state, status", [
    (HEALTHY, 200),
    (HealthState(gateway_connected=False, workers_alive=2, workers_total=2, queue_depth=0), 503),
    (HealthState(gateway_connected=True, workers_alive=0, workers_total=2, queue_depth=5), 503),
])
async def test_healthz_reports_the_state_and_its_verdict(serve, state, status):
    server = await serve(lambda: state)

    code, content_type, body = await get(server, "/healthz")

    assert code == status and content_type.startswith("application/json")
    assert json.loads(body) == {"gateway_connected": state.gateway_connected, "workers_alive": state.workers_alive,
                                "workers_total": state.workers_total, "queue_depth": state.queue_depth,
                                "healthy": status == 200}


async def test_healthz_asks_for_the_state_on_every_request(serve):
    states = iter([HEALTHY, HealthState(False, 1, 1, 0)])
    server = await serve(lambda: next(states))

    assert (await get(server, "/healthz"))[0] == 200
    assert (await get(server, "/healthz"))[0] == 503


async def test_metrics_in_prometheus_format_with_the_pools_figures_read_at_scrape_time(serve, idle_pool):
    metrics = Metrics(idle_pool.stats)
    server = await serve(lambda: HEALTHY, metrics)
    metrics.job_finished("done", 4.0, work=2.0)
    metrics.job_finished("done", 40.0, work=8.0)
    metrics.job_finished("failed", 0.0)
    metrics.discord_api_error(429)
    metrics.discord_api_error(429)
    metrics.discord_api_error(503)

    code, content_type, body = await get(server, "/metrics")

    assert code == 200 and content_type.startswith("text/plain; version=")
    got = samples(body)
    assert got['dreambot_jobs_total{outcome="done"}'] == 2 and got['dreambot_jobs_total{outcome="failed"}'] == 1
    assert got['dreambot_dream_seconds_count{outcome="done"}'] == 2
    assert got['dreambot_dream_seconds_bucket{le="5.0",outcome="done"}'] == 1
    assert got['dreambot_dream_seconds_sum{outcome="done"}'] == 44.0
    assert 'dreambot_dream_seconds_count{outcome="failed"}' not in got, "a job that never ran has no dream time"
    assert got["dreambot_work_units_total"] == 10.0
    assert got["dreambot_work_units_per_worker_second"] == pytest.approx(10.0 / 44.0)  # units / dream seconds
    assert got['dreambot_discord_api_errors_total{status="429"}'] == 2
    assert got['dreambot_discord_api_errors_total{status="503"}'] == 1
    # The pool was never started: no worker alive, one configured, nothing queued.
    assert (got["dreambot_workers_alive"], got["dreambot_workers"], got["dreambot_queue_depth"]) == (0, 1, 0)
    assert got["dreambot_worker_restarts_total"] == 0


async def test_two_metrics_objects_do_not_share_counters():
    first, second = Metrics(), Metrics()
    first.job_finished("done", 1.0)

    assert 'outcome="done"' in first.render().decode() and 'outcome="done"' not in second.render().decode()


async def test_a_taken_port_raises_and_leaves_nothing_running():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = HealthServer(taken.getsockname()[1], state=lambda: HEALTHY, metrics=Metrics())
        with pytest.raises(OSError):
            await server.start()
        await server.stop()  # a no-op after the failed start


async def test_state_of_a_connected_bot_whose_pool_never_started(world, start_bot, idle_pool, serve):
    bot = await start_bot(idle_pool)

    state = state_of(bot)

    assert state == HealthState(gateway_connected=True, workers_alive=0, workers_total=1, queue_depth=0)
    server = await serve(lambda: state_of(bot), Metrics(idle_pool.stats))
    assert (await get(server, "/healthz"))[0] == 503, "no worker can dream"
    await bot.close()
    assert not state_of(bot).gateway_connected


async def test_state_of_counts_queued_jobs(world, start_bot, idle_pool):
    bot = await start_bot(idle_pool)
    command = await world.say(world.alice, "!dream size=96 octaves=1 steps=2", coffee())
    await world.status_of(command)  # queued: the pool never starts

    assert state_of(bot).queue_depth == 1


@pytest.mark.slow
async def test_healthy_with_a_started_pool_and_connected_gateway(world, start_bot, pool, serve):
    bot = await start_bot(pool)
    server = await serve(lambda: state_of(bot), Metrics(pool.stats))

    code, _, body = await get(server, "/healthz")

    assert code == 200, body
    assert state_of(bot) == HealthState(gateway_connected=True, workers_alive=1, workers_total=1, queue_depth=0)
    assert samples((await get(server, "/metrics"))[2])["dreambot_workers_alive"] == 1
