"""People with rights in the test guild, and reading a server's rows back from the SQLite file.

`Staff.create(world)` must run before the bot starts: roles and members reach the bot in
GUILD_CREATE, as in Discord.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.store import GUILD_TABLES
from discordlocal import World

MANAGE_GUILD = 1 << 5


@dataclass
class Staff:
    """admin: Manage Server. helper: a role without permissions (a moderator role once configured).
    vip: a role meant to be exempt from cooldowns and quotas."""

    admin: int
    helper: int
    helper_role: int
    vip: int
    vip_role: int

    @classmethod
    def create(cls, world: World) -> Staff:
        fake, gid = world.fake, world.guild_id
        admins = fake.add_role(gid, "Admins", MANAGE_GUILD)
        helpers = fake.add_role(gid, "Dream helpers")
        vips = fake.add_role(gid, "VIP")
        admin = fake.add_user("admin", guilds=[gid])
        fake.add_member(gid, admin.id, [admins.id])
        helper = fake.add_user("helper", guilds=[gid])
        fake.add_member(gid, helper.id, [helpers.id])
        vip = fake.add_user("vip", guilds=[gid])
        fake.add_member(gid, vip.id, [vips.id])
        return cls(admin.id, helper.id, helpers.id, vip.id, vips.id)


def guild_rows(db: Path, guild_id: int) -> dict[str, int]:
    """Rows per table that belong to the server, read straight from the database file."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return {table: conn.execute(f"SELECT COUNT(*) FROM {table} WHERE guild_id = ?", (guild_id,)).fetchone()[0]
                for table in GUILD_TABLES}


def job_statuses(db: Path) -> dict[str, str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return dict(conn.execute("SELECT job_id, status FROM jobs").fetchall())
