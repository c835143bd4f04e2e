"""Prometheus metrics for the bot: what it did (jobs, errors) and what it is doing (queue, workers).

Counters and the histogram are bumped by the bot as things happen (`job_finished`,
`discord_api_error`); so is the work done (units of `dreaming.cost`), with the recent rate of one
worker, `dreambot_work_units_per_worker_second` (units per second of dream time: what the
queue's estimates divide by); the pool's figures (queue depth, workers alive and by host, restarts,
the pool's jobs by outcome and backend) are read from the pool's `stats()` when Prometheus
scrapes, so they can never drift from the pool, whichever backend runs it.

Every metric lives in this object's own `CollectorRegistry`, not the process-wide default:
two bots in one process (the tests) don't collide, and nothing else leaks into /metrics.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from dreaming.cost import RECENT, WorkRate
from dreaming.pool import PoolStats

#: Dreams take from about a second (tiny, GPU) to the job timeout (minutes, big on CPU).
DREAM_SECONDS_BUCKETS = (1, 2, 5, 10, 20, 30, 60, 120, 300, 600, float("inf"))


class Metrics:
    """The bot's metrics, rendered in Prometheus' text format by `render()`.

    Args:
        stats: returns the pool's current `PoolStats` (e.g. `pool.stats`); called at every
            scrape. None leaves the pool's gauges out (a bot without a pool yet).
    """

    def __init__(self, stats: Callable[[], PoolStats] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.jobs = Counter("dreambot_jobs", "Dream requests finished, by outcome "
                            "(done, failed, cancelled, timed_out, refused...)",
                            ["outcome"], registry=self.registry)
        self.dream_seconds = Histogram("dreambot_dream_seconds", "Seconds a worker spent on a job, by outcome",
                                       ["outcome"], buckets=DREAM_SECONDS_BUCKETS, registry=self.registry)
        self.discord_errors = Counter("dreambot_discord_api_errors", "Failed Discord API calls, by HTTP status",
                                      ["status"], registry=self.registry)
        self.work = Counter("dreambot_work_units", "Units of work (dreaming.cost) of finished dreams",
                            registry=self.registry)
        self.rate = WorkRate()
        work_rate = Gauge("dreambot_work_units_per_worker_second", "Units of work one worker dreams per "
                          f"second, over the last {RECENT} finished dreams (0 before any)", registry=self.registry)
        work_rate.set_function(self._units_per_second)
        if stats is not None:
            self.registry.register(_PoolCollector(stats))

    def job_finished(self, outcome: str, seconds: float, work: float = 0.0) -> None:
        """Count one finished request; `seconds` is time on a worker (0 if it never ran),
        `work` the units it dreamt (a finished dream's estimate; 0 if it never ran)."""
        self.jobs.labels(outcome=outcome).inc()
        if seconds > 0:  # refused or cancelled while queued: no dream time to record
            self.dream_seconds.labels(outcome=outcome).observe(seconds)
        if work > 0:
            self.work.inc(work)
            self.rate.record(seconds, work)

    def _units_per_second(self) -> float:
        per_unit = self.rate.seconds_per_unit()
        return 1 / per_unit if per_unit else 0.0

    def discord_api_error(self, status: int) -> None:
        """Count one Discord API call that failed with HTTP `status` (429, 5xx, 403...)."""
        self.discord_errors.labels(status=str(status)).inc()

    def render(self) -> bytes:
        """Every metric in Prometheus' text exposition format (`prometheus_client.CONTENT_TYPE_LATEST`)."""
        return generate_latest(self.registry)


class _PoolCollector(Collector):
    """Reads the pool's figures at scrape time: one `stats()` call gives a consistent set."""

    def __init__(self, stats: Callable[[], PoolStats]) -> None:
        self.stats = stats

    def describe(self) -> list[Metric]:
        return []  # families are built per scrape; describing them would call the pool early

    def collect(self) -> Iterator[Metric]:
        stats = self.stats()
        yield GaugeMetricFamily("dreambot_queue_depth", "Jobs waiting for a worker", value=stats.queued)
        yield GaugeMetricFamily("dreambot_workers_alive", "Worker processes with a warm model", value=stats.alive)
        yield GaugeMetricFamily("dreambot_workers", "Worker processes configured", value=stats.workers)
        yield GaugeMetricFamily("dreambot_workers_busy", "Workers dreaming a job", value=stats.busy)
        yield CounterMetricFamily("dreambot_worker_restarts", "Worker processes started again after one ended",
                                  value=stats.restarts)
        by_host = GaugeMetricFamily("dreambot_workers_alive_by_host", "Workers with a warm model, by host "
                                    "(heartbeats, with the redis backend)", labels=["host", "backend"])
        for host, count in sorted(stats.hosts.items()):
            by_host.add_metric([host, stats.backend], count)
        yield by_host
        outcomes = CounterMetricFamily("dreambot_pool_jobs", "Jobs the pool finished, by outcome and backend",
                                       labels=["outcome", "backend"])
        for outcome, count in sorted(stats.outcomes.items()):
            outcomes.add_metric([outcome, stats.backend], count)
        yield outcomes
