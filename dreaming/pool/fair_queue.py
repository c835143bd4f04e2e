"""A fair queue: jobs leave round-robin across users, not first-come-first-served.

Pure data structure (no processes, no asyncio), so its ordering is tested on its own.

Fairness is start-time fair queuing in its simplest form. Every job gets a round
number: a user's first waiting job joins the current round, each further job of
the same user the round after their previous one. Jobs leave by (round, arrival).
So when one user queues ten jobs and another queues one, the second user's job
waits for at most one job of the first, and a user who comes back after a pause
joins the current round without having saved up credit.
"""
from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field
from typing import Generic, Hashable, TypeVar

T = TypeVar("T")


@dataclass(order=True)
class _Entry(Generic[T]):
    round: int
    seq: int
    key: Hashable = field(compare=False)
    user: Hashable = field(compare=False)
    item: T = field(compare=False)


class FairQueue(Generic[T]):
    """Items keyed by a unique `key`, owned by a `user`; `pop()` serves users in turn.

    Limits (queue size, per-user counts) are the caller's policy: this class only orders.
    """

    def __init__(self) -> None:
        self._entries: list[_Entry[T]] = []  # sorted by (round, seq); a few dozen at most
        self._seq = itertools.count()
        self._round = 0  # round of the last item popped
        self._served: dict[Hashable, int] = {}  # user -> round of their last popped item

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return any(e.key == key for e in self._entries)

    def push(self, key: Hashable, user: Hashable, item: T) -> None:
        """Queue `item` for `user`; `key` must not be queued already."""
        if key in self:
            raise KeyError(f"{key!r} is already queued")
        last = max([e.round for e in self._entries if e.user == user]
                   + [self._served.get(user, 0)])
        entry = _Entry(max(last + 1, self._round), next(self._seq), key, user, item)
        bisect.insort(self._entries, entry)

    def pop(self) -> T:
        """Remove and return the next item to run. Raises `IndexError` when empty."""
        entry = self._entries.pop(0)
        self._round = entry.round
        self._served[entry.user] = entry.round
        # A user served before the current round has no advantage left to remember.
        self._served = {u: r for u, r in self._served.items() if r >= self._round}
        return entry.item

    def remove(self, key: Hashable) -> T | None:
        """Take the item `key` out of the queue (a cancel); None if it isn't queued.

        The user's later items move up a round: cancelling one job gives its turn
        to the user's next one.
        """
        for i, removed in enumerate(self._entries):
            if removed.key == key:
                del self._entries[i]
                for entry in self._entries:
                    if entry.user == removed.user and entry.round > removed.round:
                        entry.round -= 1
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

    def count(self, user: Hashable) -> int:
        """How many items `user` has waiting."""
        return sum(1 for e in self._entries if e.user == user)
