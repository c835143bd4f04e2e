"""Turn the fake's records into the JSON Discord sends, with the keys discord.py insists on.

Keys that look optional but are read with `data[...]` in discord.py (and so must be present):
member `flags` and `roles`, user `discriminator` and `avatar`, message `type`, `content`,
`timestamp`, `edited_timestamp`, attachment `size`, `url`, `proxy_url`.
"""
from __future__ import annotations

from urllib.parse import quote

from .models import Channel, Guild, Role, StoredFile, StoredMessage, User
from .state import FakeState

#: Message types Discord uses for plain messages, replies and slash command responses.
DEFAULT, REPLY, CHAT_INPUT_COMMAND = 0, 19, 20


def user(u: User) -> dict:
    return {
        "id": str(u.id), "username": u.username, "global_name": u.global_name, "discriminator": "0",
        "avatar": None, "bot": u.bot, "public_flags": 0,
    }


def member(state: FakeState, guild: Guild, user_id: int, *, with_user: bool = True,
           with_permissions: bool = False, channel_id: int | None = None) -> dict:
    """A guild member; `with_permissions` adds what interactions carry: the member's
    permissions in `channel_id` with its overwrites (guild-wide when no channel is given)."""
    m = guild.members[user_id]
    data = {
        "roles": [str(r) for r in m.role_ids], "nick": m.nick, "avatar": None, "joined_at": m.joined_at,
        "premium_since": None, "deaf": False, "mute": False, "pending": False, "flags": 0,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user(state.users[user_id])
    if with_permissions:
        data["permissions"] = str(state.permissions_in(channel_id, user_id) if channel_id
                                  else guild.permissions_of(user_id))
    return data


def channel(c: Channel, recipient: User | None = None) -> dict:
    """A channel as Discord sends it; a thread adds its metadata, a DM its `recipient`."""
    if c.recipient_id is not None:
        return {"id": str(c.id), "type": c.type, "last_message_id": None, "flags": 0,
                "recipients": [user(recipient)] if recipient else []}
    data = {
        "id": str(c.id), "type": c.type, "name": c.name, "position": c.position,
        "permission_overwrites": [{"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
                                  for o in c.overwrites.values()],
        "nsfw": False, "parent_id": str(c.parent_id) if c.parent_id else None, "topic": None,
        "last_message_id": None, "rate_limit_per_user": 0, "flags": 0,
    }
    if c.guild_id:
        data["guild_id"] = str(c.guild_id)
    if c.is_thread:
        data.update(owner_id=str(c.owner_id or 0), message_count=0, member_count=1, total_message_sent=0,
                    thread_metadata={"archived": False, "auto_archive_duration": 1440, "locked": False,
                                     "archive_timestamp": "2024-01-01T00:00:00+00:00",
                                     "create_timestamp": "2024-01-01T00:00:00+00:00"})
        del data["permission_overwrites"], data["position"]
    return data


def role(r: Role) -> dict:
    return {"id": str(r.id), "name": r.name, "permissions": str(r.permissions), "position": r.position,
            "color": 0, "hoist": False, "managed": False, "mentionable": False, "flags": 0}


def guild_create(state: FakeState, guild: Guild, *, all_members: bool) -> dict:
    """A GUILD_CREATE payload; without the members intent Discord sends only the bot's own member."""
    member_ids = list(guild.members) if all_members else [state.bot.id]
    return {
        "id": str(guild.id), "name": guild.name, "icon": None, "owner_id": str(guild.owner_id),
        "unavailable": False, "member_count": len(guild.members), "large": False,
        "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
        "features": [], "mfa_level": 0, "premium_tier": 0, "preferred_locale": guild.preferred_locale,
        "system_channel_id": None, "afk_timeout": 300, "nsfw_level": 0, "emojis": [], "stickers": [],
        "roles": [role(r) for r in guild.roles.values()],
        "channels": [channel(state.channels[c]) for c in guild.channel_ids],
        "members": [member(state, guild, uid) for uid in member_ids],
        "threads": [channel(t) for t in state.threads_of(guild.id)], "presences": [], "voice_states": [], "stage_instances": [],
        "guild_scheduled_events": [], "soundboard_sounds": [], "joined_at": "2024-01-01T00:00:00+00:00",
    }


def attachment(state: FakeState, channel_id: int, f: StoredFile) -> dict:
    url = f"{state.root_url}/attachments/{channel_id}/{f.id}/{quote(f.filename)}"
    data = {"id": str(f.id), "filename": f.filename, "size": f.size, "url": url, "proxy_url": url,
            "content_type": f.content_type, "description": f.description, "flags": 0}
    if f.width is not None:
        data.update(width=f.width, height=f.height)
    return data


def message(state: FakeState, m: StoredMessage, *, with_member: bool = False, depth: int = 0) -> dict:
    """A message as REST returns it; `with_member` adds the partial member gateway events carry."""
    interaction = state.interactions.get(m.interaction_id) if m.interaction_id else None
    data = {
        "id": str(m.id), "channel_id": str(m.channel_id), "author": user(state.users[m.author_id]),
        "content": m.content, "timestamp": m.timestamp, "edited_timestamp": m.edited_at, "tts": m.tts,
        "mention_everyone": False, "mentions": [], "mention_roles": [], "pinned": False,
        "attachments": [attachment(state, m.channel_id, f) for f in m.files], "embeds": m.embeds,
        "components": m.components, "flags": m.flags,
        "type": CHAT_INPUT_COMMAND if interaction else (REPLY if m.reference else DEFAULT),
        "reactions": [{"emoji": {"id": None, "name": e}, "count": len(who), "me": state.bot.id in who,
                       "count_details": {"burst": 0, "normal": len(who)}, "burst_colors": [], "me_burst": False}
                      for e, who in m.reactions.items() if who],
    }
    if m.guild_id:
        data["guild_id"] = str(m.guild_id)
    if m.nonce is not None:
        data["nonce"] = m.nonce
    guild = state.guilds.get(m.guild_id) if m.guild_id else None
    if with_member and guild and m.author_id in guild.members:
        data["member"] = member(state, guild, m.author_id, with_user=False)
    if m.webhook_id:
        data["webhook_id"] = str(m.webhook_id)
        data["application_id"] = str(state.application_id)
    if interaction:
        data["interaction_metadata"] = {
            "id": str(interaction.id), "type": interaction.type, "user": user(state.users[interaction.user_id]),
            "authorizing_integration_owners": {}, "name": (interaction.payload.get("data") or {}).get("name", ""),
        }
    if m.reference:
        data["message_reference"] = m.reference
        ref = state.messages.get(m.reference_id or 0)
        if depth == 0:  # Discord resolves one level of replies, never a chain.
            data["referenced_message"] = message(state, ref, depth=1) if ref and not ref.deleted else None
    return data
