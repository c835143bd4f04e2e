"""Finding the image a command is about, and downloading it with a size cap.

The bot holds only compressed bytes, and checks the size Discord reports before it
downloads, then again while reading, so an oversized file is refused early.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from collections import OrderedDict
from dataclasses import dataclass

import aiohttp
import discord

from dreaming.errors import BadImage, ImageTooLarge

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=60, sock_read=20)


@dataclass(frozen=True)
class ImageRef:
    """An attachment to dream: where it is and what Discord says about it."""

    url: str
    filename: str
    size: int  #: bytes, as Discord reports it
    content_type: str | None = None

    @classmethod
    def of(cls, attachment: discord.Attachment) -> "ImageRef":
        return cls(attachment.url, attachment.filename, attachment.size, attachment.content_type)

    def looks_like_image(self) -> bool:
        return (self.content_type or "").startswith("image/") or self.filename.lower().endswith(IMAGE_EXTENSIONS)


def first_attachment(message: discord.Message | None) -> ImageRef | None:
    """The message's first image attachment, else its first attachment of any kind.

    Any file is taken, so that a text file named .png gets "that is not an image"
    rather than silence.
    """
    if message is None or not message.attachments:
        return None
    refs = [ImageRef.of(a) for a in message.attachments]
    return next((r for r in refs if r.looks_like_image()), refs[0])


class RecentImages:
    """The last image each user posted in each channel, for `!dream` with no image.

    Only references are kept (no bytes), at most `capacity` of them, oldest dropped first.
    """

    def __init__(self, window_s: float, capacity: int = 5000):
        self.window_s, self.capacity = window_s, capacity
        self._seen: OrderedDict[tuple[int, int], tuple[float, ImageRef]] = OrderedDict()

    def remember(self, message: discord.Message) -> None:
        ref = first_attachment(message)
        if ref is None or not ref.looks_like_image():
            return
        key = (message.channel.id, message.author.id)
        self._seen[key] = (time.monotonic(), ref)
        self._seen.move_to_end(key)
        while len(self._seen) > self.capacity:
            self._seen.popitem(last=False)

    def last(self, channel_id: int, user_id: int) -> ImageRef | None:
        seen = self._seen.get((channel_id, user_id))
        if seen is None or time.monotonic() - seen[0] > self.window_s:
            return None
        return seen[1]


class ByteBudget:
    """Bytes the bot may hold in downloads at once, across all users: a request waits for
    its share (the most its file may be) before it downloads, and gives it back after.

    With the queue full nobody gets this far (`DreamPool.place` refuses first), so the
    budget bounds what a burst of accepted requests holds: memory stays flat under load.
    """

    def __init__(self, total: int):
        self.total, self.free = total, total
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def share(self, size: int) -> AsyncIterator[None]:
        size = min(size, self.total)
        async with self._changed:
            await self._changed.wait_for(lambda: self.free >= size)
            self.free -= size
        try:
            yield
        finally:
            async with self._changed:
                self.free += size
                self._changed.notify_all()


async def download(session: aiohttp.ClientSession, ref: ImageRef, max_bytes: int) -> bytes:
    """The attachment's bytes; `ImageTooLarge` past `max_bytes`, `BadImage` if unreachable."""
    if ref.size > max_bytes:
        raise ImageTooLarge(size_bytes=ref.size, limit_bytes=max_bytes)
    try:
        async with session.get(ref.url, timeout=DOWNLOAD_TIMEOUT) as response:
            if response.status != 200:
                raise BadImage(f"could not download the attachment (HTTP {response.status})")
            if (response.content_length or 0) > max_bytes:
                raise ImageTooLarge(size_bytes=response.content_length, limit_bytes=max_bytes)
            data = bytearray()
            async for chunk in response.content.iter_chunked(1 << 16):
                data += chunk
                if len(data) > max_bytes:  # the header may lie or be missing
                    raise ImageTooLarge(size_bytes=len(data), limit_bytes=max_bytes)
            return bytes(data)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise BadImage(f"could not download the attachment ({type(exc).__name__})") from None
