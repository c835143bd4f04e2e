"""The connection under `Store`: opening it safely, one transaction at a time.

One aiosqlite connection, used by one coroutine at a time (an asyncio lock), so a
transaction never interleaves with another, and a read never sees another's
half-done writes. Every write is one `BEGIN IMMEDIATE ... COMMIT`.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Self

import aiosqlite

from bot.store.migrations import StoreError, check_file, prepare


class Database:
    """An open, migrated database; `Store` adds what Dreambot keeps in it."""

    def __init__(self, db: aiosqlite.Connection, path: Path):
        self._db, self.path = db, path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> Self:
        """Open (or create) the database and upgrade its schema; `StoreError` if it can't be trusted."""
        path = Path(path)
        check_file(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = await aiosqlite.connect(path, isolation_level=None)  # we issue BEGIN/COMMIT
        except (OSError, sqlite3.Error) as err:
            raise StoreError(f"can't open database {path}: {err}") from None
        try:
            await prepare(db, path)
        except BaseException:
            await db.close()
            raise
        db.row_factory = aiosqlite.Row
        return cls(db, path)

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection inside one write transaction: committed on success, else rolled back."""
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                await self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                raise

    async def _fetch(self, sql: str, *args: object) -> list[aiosqlite.Row]:
        """Rows of one query, read while no transaction of ours is open."""
        async with self._lock:
            return list(await self._db.execute_fetchall(sql, args))
