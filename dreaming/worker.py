"""`python -m dreaming.worker --redis URL [--workers auto|N] [--weights SOURCE] [--model NAME[=SOURCE] ...]`:
dream workers for a bot whose pool runs on Redis (`pool.backend: redis`), on this host or any other.

`--model` (repeatable) lists the networks these workers offer, each with its weights (its
usual source when none is given): start them with the same networks as the bot's
`pool.models`. Without it they offer InceptionV3 with `--weights`.

Also installed as `dreambot-worker`. It starts `--workers` processes (`auto`: one per
visible GPU, else one on the CPU), each an arq worker with the model kept warm
(`dreaming.pool.redis_worker`), and watches them: one that dies is started again, with a
growing pause if it keeps dying; one that cannot load the model stops them all (exit 2).
Start and stop workers at any time: the bot sees them come and go by their heartbeats.
SIGTERM or SIGINT (Ctrl-C): no new jobs; a running dream gets `--grace` seconds to finish,
then goes back to the queue for another worker; exit 0.

The URL may also come from `DREAMBOT_REDIS_URL` (better than the command line, which other
users of the host can read): `redis://:PASSWORD@host:6379/0`, or `rediss://` for TLS.

(This module is the command; `dreaming.pool.worker` is the local pool's worker process.)
"""
from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import signal
import sys
import time
from multiprocessing.connection import wait

from dreaming.networks import DEFAULT_MODEL, NETWORKS
from dreaming.pool.process import visible_gpus
from dreaming.pool.redis_worker import FATAL_EXIT, run_remote_worker
from dreaming.pool.remote import check_url, redact

log = logging.getLogger("dreaming.worker")

#: longest pause before starting again a worker that keeps dying
MAX_BACKOFF_S = 60.0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    url = args.redis or os.environ.get("DREAMBOT_REDIS_URL", "")
    problem = "is missing (--redis or DREAMBOT_REDIS_URL)" if not url else check_url(url)
    if problem:
        print(f"dreambot-worker: the Redis URL {redact(url)} {problem}".replace("  ", " "),
              file=sys.stderr)
        return 2
    gpus = visible_gpus()
    count = max(1, len(gpus)) if args.workers == "auto" else int(args.workers)
    slots = [gpus[i % len(gpus)] if gpus else None for i in range(count)]
    options = dict(weights=_offered(args.models, args.weights), log_level=logging.getLogger().level,
                   poll_delay=args.poll_delay, grace=args.grace, job_timeout=args.job_timeout)
    return Supervisor(url, slots, options).run()


class Supervisor:
    """Keeps one worker process per slot running until a signal, then stops them in order."""

    def __init__(self, url: str, slots: list[str | None], options: dict) -> None:
        self.url, self.slots, self.options = url, slots, options
        self.ctx = multiprocessing.get_context("spawn")  # no TensorFlow in this process
        self.processes: dict[int, multiprocessing.Process] = {}
        self.failures = [0] * len(slots)
        self.stopping = False

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        # Slots only: each worker logs the devices its framework really computes with.
        log.info("starting %d worker(s) (%s) for Redis %s", len(self.slots),
                 ", ".join(f"CUDA_VISIBLE_DEVICES={g}" if g is not None else "no GPU asked"
                           for g in self.slots), redact(self.url))
        for slot in range(len(self.slots)):
            self._start(slot)
        code = 0
        while self.processes:
            ready = wait([p.sentinel for p in self.processes.values()], timeout=1.0)
            for slot, process in list(self.processes.items()):
                if process.sentinel not in ready:
                    continue
                process.join()
                del self.processes[slot]
                if self.stopping:
                    continue
                if process.exitcode == FATAL_EXIT:
                    log.error("worker %d cannot start; stopping", slot)
                    code = 2
                    self._stop(signal.SIGTERM, None)
                    continue
                self.failures[slot] += 1
                pause = min(MAX_BACKOFF_S, 2.0 ** (self.failures[slot] - 1) - 1)
                log.warning("worker %d (pid %d) ended with code %s; starting it again in %.0fs",
                            slot, process.pid, process.exitcode, pause)
                time.sleep(pause)  # the other workers run on by themselves meanwhile
                if not self.stopping:
                    self._start(slot)
        return code

    def _start(self, slot: int) -> None:
        process = self.ctx.Process(target=run_remote_worker, args=(self.url,), name=f"dream-remote-{slot}",
                                   kwargs={**self.options, "gpu": self.slots[slot]})
        process.start()
        self.processes[slot] = process

    def _stop(self, signum, frame) -> None:
        if not self.stopping:
            log.info("stopping: running dreams get %ss to finish", self.options["grace"])
        self.stopping = True
        for process in self.processes.values():
            if process.is_alive():
                os.kill(process.pid, signal.SIGTERM)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dreambot-worker", description=__doc__.split("\n\n")[1])
    p.add_argument("--redis", metavar="URL", help="redis://[:password@]host[:port][/db] or rediss:// "
                   "(default: env DREAMBOT_REDIS_URL)")
    p.add_argument("--workers", default="auto", type=_workers,
                   help="worker processes: auto (one per visible GPU, else 1) or a number")
    p.add_argument("--weights", default="inception-2015", metavar="SOURCE",
                   help="model weights: inception-2015, imagenet or a .weights.h5 path")
    p.add_argument("--model", dest="models", action="append", type=_model, metavar="NAME[=SOURCE]",
                   help="a network these workers offer, with its weights (repeat for more): "
                        "inception_v3, vgg16=/path/vgg16.weights.h5 (default: inception_v3 with --weights)")
    p.add_argument("--grace", type=float, default=30.0,
                   help="seconds a running dream may finish on SIGTERM (default 30)")
    p.add_argument("--poll-delay", type=float, default=0.05,
                   help="seconds between two looks at the queue (default 0.05)")
    p.add_argument("--job-timeout", type=float, default=3600.0,
                   help="backstop: a dream running this long is stopped (the bot's own limit "
                        "is usually shorter)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return p


def _model(text: str) -> tuple[str, str | None]:
    """`vgg16=/path/weights.h5` -> ("vgg16", path); a bare name takes its network's usual weights."""
    name, _, source = text.partition("=")
    if name not in NETWORKS:
        raise argparse.ArgumentTypeError(f"unknown network {name!r}: one of {', '.join(NETWORKS)}")
    return name, source or None


def _offered(models: list[tuple[str, str | None]] | None, weights: str) -> dict[str, str | None]:
    """The networks offered, the first loaded at start-up: `--model`s, else InceptionV3 with `--weights`."""
    return dict(models) if models else {DEFAULT_MODEL: weights}


def _workers(text: str) -> str:
    if text == "auto" or (text.isdigit() and int(text) >= 1):
        return text
    raise argparse.ArgumentTypeError(f"must be 'auto' or a number of at least 1, not {text!r}")


if __name__ == "__main__":
    sys.exit(main())
