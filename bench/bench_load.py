"""Load benchmark: a burst of requests from many users, through the real bot and pool.

    .venv/bin/python bench/bench_load.py                      # 200 requests from 50 users
    .venv/bin/python bench/bench_load.py --max-queue 20 --json out.json

The scenario is bench/load.py, which tests/test_resilience_load.py runs too: the real
DreamBot and a real DreamPool (one warm worker by default) against discordlocal in
this process; every user posts at once; a small queue refuses the overflow as "busy".

Reported: acknowledgement latency p50/p99 (request -> first answer), event-loop lag p99
and max, throughput (answers and dreams per second), the largest queue seen, and the peak
resident memory of this process (bot + fake server + bench: an upper bound for the bot).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--max-queue", type=int, default=8)
    parser.add_argument("--per-user", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--dream", default="size=96 octaves=1 steps=2 layer=mixed2")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    figures = asyncio.run(bench(args))
    for key, value in figures.items():
        print(f"{key:24} {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


async def bench(args: argparse.Namespace) -> dict:
    from bench.dreambot import BotStarter, World, bot_config, photo
    from bench.load import burst
    from bot.app import make_pool
    from discordlocal import FakeDiscord

    config = bot_config(pool={"workers": args.workers, "max_queue": args.max_queue, "per_user": args.per_user,
                              "job_timeout": 600.0})
    pool = make_pool(config)
    await pool.start()
    try:
        async with FakeDiscord() as fake:
            world = World.create(fake)
            starter = BotStarter(fake)
            bot = await starter(pool, config)
            run = await burst(world, bot, pool, requests=args.requests, users=args.users, options=args.dream,
                              photo=photo("coffee", 400))
            await starter.stop_all()
    finally:
        await pool.close(grace=0)
    lost = sum(o.answers != 1 for o in run.outcomes) + run.stray_results
    return {
        "requests": args.requests, "users": args.users, "workers": args.workers, "max_queue": args.max_queue,
        "dream": args.dream, "delivered": run.delivered, "busy": args.requests - run.delivered,
        "lost_or_twice": lost, "max_queued_seen": run.max_queued,
        "ack_p50_ms": round(run.quantile("ack_s", 0.50) * 1000, 1),
        "ack_p99_ms": round(run.quantile("ack_s", 0.99) * 1000, 1),
        "loop_lag_p99_ms": round(run.lag.quantile(0.99) * 1000, 1), "loop_lag_max_ms": round(run.lag.max * 1000, 1),
        "wall_s": round(run.wall_s, 2), "answers_per_s": round(args.requests / run.wall_s, 1),
        "dreams_per_s": round(run.delivered / run.wall_s, 2),
        "rss_peak_mib": round(run.rss_peak_kib / 1024, 1),
        "rss_growth_mib": round((run.rss_peak_kib - run.rss_baseline_kib) / 1024, 1),
    }


if __name__ == "__main__":
    main()
