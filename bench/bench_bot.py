"""Bot load benchmark: many users dreaming at once, through the real bot and pool.

    .venv/bin/python bench/bench_bot.py                       # 50 requests from 10 users
    .venv/bin/python bench/bench_bot.py --requests 100 --rate 20 --json out.json

The real DreamBot (discord.py) and a real DreamPool (worker processes with the real
InceptionV3) run against discordlocal in this process. Users post real photos
(the cat in docs/, scikit-image's chelsea, coffee, rocket and Hubble deep field, scaled
to `--photo-side`) with `!dream` at tiny settings, taking turns, at `--rate` requests/s.

Reported:
- acknowledgement latency: request sent -> the bot's first reply to it (p50, p99);
- result latency: request sent -> the result (p50, p99), which is mostly queueing;
- event-loop lag p99 and max: how late a 20 ms ticker on the bot's loop wakes up;
- throughput: dreams delivered per minute, first request to last result;
- peak memory (VmHWM) of this process (bot + fake server + bench) and of each worker.
The fake server shares the bot's loop and process, so lag and memory are upper bounds.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PHOTOS = ("docs:sample-cat.jpg", "chelsea", "coffee", "rocket", "hubble_deep_field")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second, all users together")
    parser.add_argument("--dream", default="size=256 octaves=2 steps=10 layer=mixed3",
                        help="the options every request sends")
    parser.add_argument("--photo-side", type=int, default=480, help="longest side of the uploaded photos")
    parser.add_argument("--workers", default="auto")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    figures = asyncio.run(bench(args))
    report(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


async def bench(args: argparse.Namespace) -> dict:
    from bench.dreambot import BotStarter, World, bot_config, photo
    from bot.app import make_pool
    from discordlocal import FakeDiscord, LoopLag

    per_user = -(-args.requests // args.users)
    workers = args.workers if args.workers == "auto" else int(args.workers)
    config = bot_config(pool={"workers": workers, "max_queue": args.requests, "per_user": per_user,
                              "job_timeout": 600.0})
    photos = [photo(name, args.photo_side) for name in PHOTOS]
    rss_before_bot = vm_hwm_kib(os.getpid())
    pool = make_pool(config)
    started = time.monotonic()
    await pool.start()
    pool_start_s = time.monotonic() - started
    async with FakeDiscord() as fake:
        world = World.create(fake)
        users = [world.fake.add_user(f"user{i}", guilds=[world.guild_id]).id for i in range(args.users)]
        starter = BotStarter(fake)
        await starter(pool, config)
        async with LoopLag(interval=0.02) as lag:
            first_sent = time.monotonic()
            outcomes = await asyncio.gather(*(
                one_request(world, users[i % args.users], args.dream, photos[i % len(photos)], i / args.rate)
                for i in range(args.requests)))
            last_result = time.monotonic()
        peaks = {"bench_process_kib": vm_hwm_kib(os.getpid()),
                 "workers_kib": [vm_hwm_kib(p.pid) for p in worker_processes()]}
        await starter.stop_all()
    await pool.close(grace=0)
    acks = [o["ack_s"] for o in outcomes]
    results = [o["result_s"] for o in outcomes if o["result_s"] is not None]
    return {
        "requests": args.requests, "users": args.users, "rate_per_s": args.rate, "dream": args.dream,
        "workers": pool.size, "photo_side": args.photo_side, "pool_start_s": round(pool_start_s, 1),
        "delivered": len(results), "refused": [o["refused"] for o in outcomes if o["refused"]],
        "ack_p50_s": quantile(acks, 0.50), "ack_p99_s": quantile(acks, 0.99), "ack_max_s": round(max(acks), 3),
        "result_p50_s": quantile(results, 0.50), "result_p99_s": quantile(results, 0.99),
        "loop_lag_p99_s": round(lag.quantile(0.99), 4), "loop_lag_max_s": round(lag.max, 4), "loop_lag_samples": len(lag.samples),
        "wall_s": round(last_result - first_sent, 1),
        "dreams_per_min": round(len(results) / (last_result - first_sent) * 60, 1),
        "rss_peak_before_bot_kib": rss_before_bot, "rss_peak_bot_process_kib": peaks["bench_process_kib"],
        "rss_peak_workers_kib": peaks["workers_kib"],
    }


async def one_request(world, user: int, options: str, upload: tuple[str, bytes, str], delay: float) -> dict:
    """Post one `!dream` after `delay` s; time the first reply and the result."""
    from bench.dreambot import is_status

    await asyncio.sleep(delay)
    sent = time.monotonic()
    command = await world.say(user, f"!dream {options}", upload)
    first = await world.reply_to(command, timeout=600)
    ack_s = time.monotonic() - sent
    if not is_status(first):  # refused at once (queue full, limit): that is its answer
        return {"ack_s": ack_s, "result_s": None, "refused": first.content}
    await world.result_of(command, timeout=600)
    return {"ack_s": ack_s, "result_s": time.monotonic() - sent, "refused": None}


def worker_processes():
    import multiprocessing
    return [p for p in multiprocessing.active_children() if p.name.startswith("dream-worker")]


def vm_hwm_kib(pid: int) -> int:
    """Peak resident memory of a process (Linux /proc), KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for pid {pid}")


def quantile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return round(values[0], 3) if values else float("nan")
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1], 3)


def report(f: dict) -> None:
    mib = 1024
    print(f"{f['requests']} requests from {f['users']} users at {f['rate_per_s']:g}/s, "
          f"`!dream {f['dream']}`, photos {f['photo_side']} px, {f['workers']} worker(s) "
          f"(pool start {f['pool_start_s']} s)")
    print(f"delivered {f['delivered']}, refused {len(f['refused'])} {sorted(set(f['refused']))}")
    print(f"ack latency      p50 {f['ack_p50_s'] * 1000:7.1f} ms   p99 {f['ack_p99_s'] * 1000:7.1f} ms"
          f"   max {f['ack_max_s'] * 1000:7.1f} ms")
    print(f"result latency   p50 {f['result_p50_s']:7.2f} s    p99 {f['result_p99_s']:7.2f} s")
    print(f"event-loop lag   p99 {f['loop_lag_p99_s'] * 1000:7.1f} ms   max {f['loop_lag_max_s'] * 1000:7.1f} ms"
          f"   ({f['loop_lag_samples']} samples)")
    print(f"throughput       {f['dreams_per_min']} dreams/min over {f['wall_s']} s")
    print(f"peak RSS         bot process {f['rss_peak_bot_process_kib'] / mib:.0f} MiB "
          f"(before the bot started: {f['rss_peak_before_bot_kib'] / mib:.0f} MiB); workers "
          + ", ".join(f"{k / mib:.0f} MiB" for k in f["rss_peak_workers_kib"]))


if __name__ == "__main__":
    main()
