"""Dreambot's database: server settings, presets, audit log, quotas and durable jobs.

SQLite through aiosqlite, one file (config: the database path). `Store.open` refuses a
file it can't trust with `StoreError` and upgrades an older schema (`migrations`).
WAL journal with `synchronous=FULL`: once a write's `await` returns, it survives a
crash of the bot or the machine.
"""
from __future__ import annotations

from bot.store.database import GUILD_TABLES, AuditEntry, ServerPreset, Store
from bot.store.jobs import MAX_ATTEMPTS, StoredJob, params_from_dict, params_to_dict, recovery_action
from bot.store.migrations import LATEST, StoreError
from bot.store.quotas import cooldown_left, quota_reset_at

__all__ = ["GUILD_TABLES", "LATEST", "MAX_ATTEMPTS", "AuditEntry", "ServerPreset",
           "Store", "StoreError", "StoredJob", "cooldown_left", "params_from_dict", "params_to_dict",
           "quota_reset_at", "recovery_action"]
