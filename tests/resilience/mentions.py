"""What the bot asked Discord to do with mentions in every message it sent or edited.

Discord pings whatever `allowed_mentions` lets it parse; the content alone does not say
whether `@everyone` in an echoed option would ping the server. `MentionLog` records the
payload of every bot message as the fake server receives it.
"""
from __future__ import annotations

from dataclasses import dataclass

from discordlocal import FakeDiscord


@dataclass(frozen=True)
class Sent:
    message_id: int
    content: str
    allowed_mentions: dict | None


class MentionLog:
    """Wraps the fake's message creation and edits (the real ones still run) to keep payloads."""

    def __init__(self, fake: FakeDiscord, monkeypatch) -> None:
        self.sent: list[Sent] = []
        messaging = fake.messaging
        create, edit = messaging.create, messaging.edit

        async def recording_create(channel_id, upload, *, author_id=None, **kwargs):
            msg = await create(channel_id, upload, author_id=author_id, **kwargs)
            if author_id is None:  # the bot's own message
                self._record(msg.id, upload.payload)
            return msg

        async def recording_edit(msg, upload):
            edited = await edit(msg, upload)
            self._record(edited.id, upload.payload)
            return edited

        monkeypatch.setattr(messaging, "create", recording_create)
        monkeypatch.setattr(messaging, "edit", recording_edit)

    def _record(self, message_id: int, payload: dict) -> None:
        if payload.get("content"):
            self.sent.append(Sent(message_id, payload["content"], payload.get("allowed_mentions")))

    def could_mass_ping(self) -> list[Sent]:
        """Messages whose text Discord would be allowed to turn into @everyone/@here or role pings."""
        def unsafe(allowed: dict | None) -> bool:
            if allowed is None:  # Discord's default parses everything in the content
                return True
            return "everyone" in allowed.get("parse", []) or "roles" in allowed.get("parse", []) \
                or bool(allowed.get("roles"))
        return [s for s in self.sent if unsafe(s.allowed_mentions)]

    def could_ping_named_users(self) -> list[Sent]:
        """Messages that echo a `<@id>` from user text and let Discord ping whoever it names."""
        def unsafe(sent: Sent) -> bool:
            allowed = sent.allowed_mentions
            return "<@" in sent.content and (allowed is None or "users" in allowed.get("parse", []))
        return [sent for sent in self.sent if unsafe(sent)]
