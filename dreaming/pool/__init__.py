"""A bounded, fair pool of warm dream workers, for an asyncio program.

- `pool`: `DreamPool`, the one interface (`submit`, `cancel`, `close`, `stats`);
- `handle`: `JobHandle`, the submitter's view of one job;
- `fair_queue`: `FairQueue`, fair turns across users, weighted by each job's estimated work (pure, no processes);
- `protocol`: the typed messages between the pool and its workers, and `WorkerState`;
- `worker`: the worker process's entry (model kept warm, jobs dreamt one at a time);
- `process`: `WorkerProcess`, the parent's side of one worker (pipe, threads, kill);
- `interface`: `Pool`, the contract both backends keep (`DreamPool` is `local`);
- `redis_pool`: `RedisPool`, the `redis` backend: workers on any host, through arq;
- `remote`: what the bot and remote workers agree on (Redis names, events, limits);
- `redis_worker`: one remote worker process (`python -m dreaming.worker` starts them).

Nothing here imports TensorFlow; only the worker processes do.
"""
from __future__ import annotations

from dreaming.pool.handle import JobHandle
from dreaming.pool.pool import DreamPool, PoolStats

__all__ = ["DreamPool", "JobHandle", "PoolStats"]
