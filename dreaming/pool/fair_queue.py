"""A fair queue: jobs leave in turns across users, weighted by their work, not first come,
first served, and not one job per turn whatever its size.

Pure data structure (no processes, no asyncio), so its ordering is tested on its own.

Fairness is start-time fair queuing (SFQ) weighted by each job's estimated work
(`dreaming.cost`). Every job gets a start tag: a user's first waiting job starts at the
queue's virtual time (the start tag of the job popped last), each further job of the same
user where their previous one finishes (its start plus its work). Jobs leave by (start,
arrival). So users share the workers by work done, not by jobs: a member whose one dream is
20 times the work of another's waits while the other's twenty small ones run, rather than
the huge dreams taking every other turn; with equal work it is plain round-robin (one user
queues ten jobs, another one: the second's waits for at most one of the first's). A user who
comes back after a pause starts at the current virtual time, with no credit saved up.
"""
from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field
from typing import Generic, Hashable, TypeVar

T = TypeVar("T")


@dataclass(order=True)
class _Entry(Generic[T]):
    start: float
    seq: int
    key: Hashable = field(compare=False)
    user: Hashable = field(compare=False)
    item: T = field(compare=False)
    work: float = field(compare=False, default=1.0)


class FairQueue(Generic[T]):
    """Items keyed by a unique `key`, owned by a `user`; `pop()` serves users in turn by work.

    Limits (queue size, per-user counts) are the caller's policy: this class only orders.
    """

    def __init__(self) -> None:
        self._entries: list[_Entry[T]] = []  # sorted by (start, seq); a few dozen at most
        self._seq = itertools.count()
        self._now = 0.0  # virtual time: the start tag of the last item popped
        self._finish: dict[Hashable, float] = {}  # user -> where their last job (queued or served) ends

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return any(e.key == key for e in self._entries)

    def push(self, key: Hashable, user: Hashable, item: T, work: float = 1.0) -> None:
        """Queue `item` for `user`, `work` being its estimated cost (any unit, the same for
        all; positive); `key` must not be queued already."""
        if key in self:
            raise KeyError(f"{key!r} is already queued")
        if not work > 0:
            raise ValueError(f"work must be positive, not {work!r}")
        start = max(self._now, self._finish.get(user, 0.0))
        self._finish[user] = start + work
        bisect.insort(self._entries, _Entry(start, next(self._seq), key, user, item, work))

    def pop(self) -> T:
        """Remove and return the next item to run. Raises `IndexError` when empty."""
        entry = self._entries.pop(0)
        self._now = entry.start
        # A user whose work ends before now has no advantage left to remember.
        waiting = {e.user for e in self._entries}
        self._finish = {u: f for u, f in self._finish.items() if f > self._now or u in waiting}
        return entry.item

    def remove(self, key: Hashable) -> T | None:
        """Take the item `key` out of the queue (a cancel); None if it isn't queued.

        The user's later items move up by its work: cancelling one job gives its turn
        to the user's next one.
        """
        for i, removed in enumerate(self._entries):
            if removed.key == key:
                del self._entries[i]
                for entry in self._entries:
                    if entry.user == removed.user and entry.start > removed.start:
                        entry.start = max(removed.start, entry.start - removed.work)
                if removed.user in self._finish:
                    self._finish[removed.user] = max(self._now, self._finish[removed.user] - removed.work)
                self._entries.sort()
                return removed.item
        return None

    def drain(self) -> list[T]:
        """Remove and return every queued item, in the order they would have run."""
        items = [e.item for e in self._entries]
        self._entries.clear()
        return items

    def position(self, key: Hashable) -> int | None:
        """1-based place of `key` in the running order (1 = next), or None if not queued.

        A newcomer can be placed ahead of a user's later jobs, so positions may grow.
        """
        for i, entry in enumerate(self._entries):
            if entry.key == key:
                return i + 1
        return None

    def work_ahead(self, key: Hashable) -> float:
        """The work of the items queued ahead of `key` (all of them if it isn't queued)."""
        total = 0.0
        for entry in self._entries:
            if entry.key == key:
                break
            total += entry.work
        return total

    def count(self, user: Hashable) -> int:
        """How many items `user` has waiting."""
        return sum(1 for e in self._entries if e.user == user)
