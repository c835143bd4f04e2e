"""The pool's redis backend against the local pool, in the same run on the same machine.

    .venv/bin/python bench/bench_redis.py                 # all three parts
    .venv/bin/python bench/bench_redis.py --json out.json

1. **Overhead per job**: the same tiny dream, one at a time, through a local `DreamPool`
   (one worker process) and through a `RedisPool` (one remote worker process, a real
   redis-server on loopback); the overhead is the difference of the medians, submit to result.
2. **Throughput** with 1 and with 2 remote worker processes: a batch of small dreams from
   many users at once, dreams per minute (on a 2-core machine, two processes share the cores).
3. **Event-loop lag** of the bot with 200 members sending `!dream` at once, through Redis and,
   as the baseline, through the local pool, one worker process each (bench/load.py's burst,
   the real bot against discordlocal in this process): p99 and max.

Redis and the workers are started here (bench/redis_stack.py) and stopped at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import io
import json
import logging
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TINY = "size=96 octaves=1 steps=2 layer=mixed2"
#: the overhead's dream: as small as a dream gets, so that the pool's own time shows
TINY_PARAMS = {"octaves": 1, "steps": 2, "max_side": 96}
#: the throughput's dream: small, but real work per job (2 octaves up to 256 px, 5 steps)
SMALL_PARAMS = {"octaves": 2, "steps": 5, "max_side": 256}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=30, help="sequential jobs per backend (overhead)")
    parser.add_argument("--batch", type=int, default=24, help="jobs per throughput run")
    parser.add_argument("--members", type=int, default=200, help="members sending at once (loop lag)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    figures = asyncio.run(bench(args))
    for key, value in figures.items():
        print(f"{key:32} {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


async def bench(args: argparse.Namespace) -> dict:
    from bench.redis_stack import RedisServer, RemoteWorkers

    from dreaming.pool import DreamPool
    from dreaming.pool.redis_pool import RedisPool

    figures: dict = {}
    image = _jpeg()
    SMALL = _params(SMALL_PARAMS)
    local = DreamPool(workers=1, max_queue=1000, per_user=1000, job_timeout=600)
    await local.start()
    try:
        local_s = await _sequential(local, image, args.jobs)
    finally:
        await local.close(grace=0)
    figures.update({f"local_{k}": v for k, v in (await _loop_lag(None, args.members)).items()})

    work = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    server = RedisServer(work)
    server.start()
    try:
        for count in (1, 2):
            workers = RemoteWorkers(server.url, count=count, log=work / f"workers-{count}.log")
            try:
                workers.wait_alive(count)
                pool = RedisPool(url=server.url, max_queue=1000, per_user=1000, job_timeout=600)
                await pool.start()
                await _until(lambda: pool.stats().alive == count)
                try:
                    if count == 1:
                        redis_s = await _sequential(pool, image, args.jobs)
                        figures.update(_overhead(local_s, redis_s))
                    await _batch(pool, image, count, SMALL)  # warm: every worker has dreamt once
                    wall = await _batch(pool, image, args.batch, SMALL)
                    figures[f"throughput_{count}_worker_dreams_per_min"] = round(args.batch / wall * 60, 1)
                finally:
                    await pool.close(grace=0)
                if count == 1:  # as the local baseline: one worker process on the 2 cores
                    figures.update({f"redis_{k}": v for k, v in
                                    (await _loop_lag(server.url, args.members)).items()})
            finally:
                workers.stop()
    finally:
        server.stop()
    return figures


def _overhead(local_s: list[float], redis_s: list[float]) -> dict:
    local_ms, redis_ms = statistics.median(local_s) * 1000, statistics.median(redis_s) * 1000
    return {"local_median_ms": round(local_ms, 1), "redis_median_ms": round(redis_ms, 1),
            "redis_overhead_median_ms": round(redis_ms - local_ms, 1),
            "redis_overhead_ratio": round(redis_ms / local_ms, 3)}


async def _sequential(pool, image: bytes, jobs: int) -> list[float]:
    """Submit-to-result seconds of `jobs` tiny dreams, one at a time, after two warm-up runs."""
    times = []
    for i in range(jobs + 2):
        started = time.perf_counter()
        await pool.submit(_job("solo", image)).result()
        if i >= 2:
            times.append(time.perf_counter() - started)
    return times


async def _batch(pool, image: bytes, count: int, params) -> float:
    started = time.perf_counter()
    await asyncio.gather(*(pool.submit(_job(f"user{i}", image, params)).result() for i in range(count)))
    return time.perf_counter() - started


async def _loop_lag(url: str | None, members: int) -> dict:
    """The real bot, `members` people sending `!dream` at once; its pool on Redis (`url`, one
    remote worker), or the local pool (None: one worker process, the baseline)."""
    from bench.dreambot import BotStarter, World, bot_config, photo
    from bench.load import burst
    from bot.app import make_pool
    from discordlocal import FakeDiscord

    backend = {"backend": "redis", "redis_url": url} if url else {"workers": 1}
    config = bot_config(pool={**backend, "max_queue": 20, "per_user": 2, "job_timeout": 600.0})
    pool = make_pool(config)
    await pool.start()
    await _until(lambda: pool.stats().alive == 1)
    try:
        async with FakeDiscord() as fake:
            world = World.create(fake)
            starter = BotStarter(fake)
            bot = await starter(pool, config)
            run = await burst(world, bot, pool, requests=members, users=members, options=TINY,
                              photo=photo("coffee", 400), timeout=120)
            await starter.stop_all()
    finally:
        await pool.close(grace=0)
    lost = sum(o.answers != 1 for o in run.outcomes) + run.stray_results
    return {"burst_members": members, "burst_delivered": run.delivered,
            "burst_busy": members - run.delivered, "burst_lost_or_twice": lost,
            "burst_ack_p99_ms": round(run.quantile("ack_s", 0.99) * 1000, 1),
            "burst_loop_lag_p99_ms": round(run.lag.quantile(0.99) * 1000, 1),
            "burst_loop_lag_max_ms": round(run.lag.max * 1000, 1)}


def _job(user: str, image: bytes, params=None):
    from dreaming.jobs import DreamJob
    return DreamJob(uuid.uuid4().hex[:12], user, image, params or _params(TINY_PARAMS))


def _params(fields: dict):
    from dreaming.params import DreamParams, LayerTerm
    return DreamParams(layers=(LayerTerm("mixed2"),), seed=7, **fields)


def _jpeg() -> bytes:
    import skimage.data
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(skimage.data.coffee()).save(buf, "JPEG", quality=90)
    return buf.getvalue()


async def _until(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the pool did not see its workers")
        await asyncio.sleep(0.05)


if __name__ == "__main__":
    main()
