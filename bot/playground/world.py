"""The playground's server: two channels, a member and a moderator, with ids fixed across starts.

Fixed ids matter with `--data DIR`: the bot keeps per-server settings by guild id, so a
moderator's `/dreamconfig` survives a restart only if the server comes back with its id.
"""
from __future__ import annotations

from dataclasses import dataclass

from discordlocal import FakeDiscord
from discordlocal.models import DEFAULT_FILESIZE_LIMIT, DISCORD_EPOCH_MS
from discordlocal.web import Person

#: Manage Server (what `/dreamconfig` requires) and Manage Messages (delete others' results).
MANAGE_GUILD, MANAGE_MESSAGES = 1 << 5, 1 << 13
#: Snowflakes for 2025-01-01, so the ids look like Discord's and never collide with fresh ones.
_BASE = (1735689600000 - DISCORD_EPOCH_MS) << 22


def _id(n: int) -> int:
    return _BASE + n


@dataclass(frozen=True)
class PlaygroundWorld:
    guild_id: int
    channel_ids: tuple[int, int]
    member_id: int
    moderator_id: int

    @property
    def people(self) -> list[Person]:
        """Who the page may act as, in the member picker's order."""
        return [Person(self.member_id, "member"), Person(self.moderator_id, "moderator")]


def create_world(fake: FakeDiscord, filesize_limit: int = DEFAULT_FILESIZE_LIMIT) -> PlaygroundWorld:
    """Populate `fake` before the bot connects (it learns about the server when it identifies).

    `filesize_limit`: the server's upload limit in bytes, what the bot may post.
    """
    guild = fake.add_guild("Dream Playground", guild_id=_id(1), filesize_limit=filesize_limit)
    general = fake.add_channel(guild.id, "general", channel_id=_id(2))
    art = fake.add_channel(guild.id, "art", channel_id=_id(3))
    member = fake.add_user("alice", guilds=[guild.id], user_id=_id(4))
    moderator = fake.add_user("mod", guilds=[guild.id], user_id=_id(5))
    role = fake.add_role(guild.id, "Moderators", MANAGE_GUILD | MANAGE_MESSAGES, role_id=_id(6))
    fake.add_member(guild.id, moderator.id, [role.id])
    return PlaygroundWorld(guild.id, (general.id, art.id), member.id, moderator.id)
