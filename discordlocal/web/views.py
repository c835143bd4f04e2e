"""What the page is sent: the server's records as the browser client reads them.

Not Discord's wire format (that is `payloads.py`, for bots) but a flat view for people:
names instead of ids where a person reads them, file URLs on the web server's own origin,
and every id as a string (snowflakes do not fit in a JavaScript number).
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from ..models import EPHEMERAL, StoredFile, StoredMessage
from ..state import FakeState

#: Image types the page shows inline; any other file is only offered as a download.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
#: How much of a replied-to message the reply line quotes.
QUOTE_CHARS = 120


@dataclass(frozen=True)
class Person:
    """Someone the page can act as: a member of the guild, with a word for what they may do."""

    user_id: int
    role: str  #: shown beside the name, e.g. "member" or "moderator"


def file_url(f: StoredFile, *, download: bool = False) -> str:
    return f"/files/{f.id}/{quote(f.filename)}" + ("?download=1" if download else "")


def attachment(f: StoredFile) -> dict:
    return {
        "id": str(f.id), "filename": f.filename, "size": f.size, "content_type": f.content_type,
        "width": f.width, "height": f.height, "url": file_url(f), "download_url": file_url(f, download=True),
        "image": f.content_type in INLINE_TYPES, "spoiler": f.filename.startswith("SPOILER_"),
    }


def message(state: FakeState, m: StoredMessage) -> dict:
    """One message; `visible_to` is set for ephemeral ones: only that user sees them."""
    author = state.users[m.author_id]
    interaction = state.interactions.get(m.interaction_id) if m.interaction_id else None
    data = {
        "id": str(m.id), "channel_id": str(m.channel_id),
        "author": {"id": str(author.id), "name": author.global_name or author.username, "bot": author.bot},
        "content": m.content, "timestamp": m.timestamp, "edited": m.edits > 0 and not _filled_in(m, interaction),
        "embeds": m.embeds, "components": m.components, "attachments": [attachment(f) for f in m.files],
        "ephemeral": bool(m.flags & EPHEMERAL), "loading": m.loading, "deleted": m.deleted,
        "visible_to": str(interaction.user_id) if interaction and m.flags & EPHEMERAL else None,
        "interaction": None, "reference": None,
        "reactions": [{"emoji": e, "count": len(who)} for e, who in m.reactions.items() if who],
    }
    if interaction is not None and interaction.type == 2:  # an application command, not a button
        user = state.users[interaction.user_id]
        name = _command_path(interaction.payload.get("data") or {})
        data["interaction"] = {"user": user.global_name or user.username, "name": name}
    if m.reference_id:
        ref = state.messages.get(m.reference_id)
        if ref is not None and not ref.deleted:
            ref_author = state.users[ref.author_id]
            data["reference"] = {"id": str(ref.id), "author": ref_author.global_name or ref_author.username,
                                 "content": ref.content[:QUOTE_CHARS], "files": len(ref.files)}
        else:
            data["reference"] = {"id": str(m.reference_id), "author": None, "content": "", "files": 0}
    return data


def guild(state: FakeState, guild_id: int, people: list[Person]) -> dict:
    """The guild as the sidebar shows it, and the names mentions resolve to."""
    g = state.guilds[guild_id]
    users = {str(uid): state.users[uid].global_name or state.users[uid].username for uid in g.members}
    return {
        "id": str(g.id), "name": g.name,
        "channels": [{"id": str(c), "name": state.channels[c].name} for c in g.channel_ids],
        "people": [{"id": str(p.user_id), "name": users[str(p.user_id)], "role": p.role} for p in people],
        "names": {"users": users, "channels": {str(c): state.channels[c].name for c in g.channel_ids},
                  "roles": {str(r.id): r.name for r in g.roles.values()}},
    }


def commands(state: FakeState, guild_id: int) -> list[dict]:
    """Slash commands usable in the guild, as the bot synced them: guild ones override global ones."""
    merged = {**state.commands.get(None, {}), **state.commands.get(guild_id, {})}
    return sorted((c for c in merged.values() if c.get("type", 1) == 1), key=lambda c: c["name"])


def _filled_in(m: StoredMessage, interaction) -> bool:
    """A deferred response's first edit fills it in; Discord shows no "(edited)" for that."""
    return interaction is not None and m.edits == 1 and m.id == interaction.original_message_id


def _command_path(data: dict) -> str:
    """'dreamconfig set' from an interaction's nested subcommand options."""
    parts = [data.get("name", "")]
    options = data.get("options") or []
    while options and options[0].get("type") in (1, 2):
        parts.append(options[0]["name"])
        options = options[0].get("options") or []
    return " ".join(parts)
