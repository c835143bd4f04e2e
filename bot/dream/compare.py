"""Before and after, side by side: what the Compare button posts (only to who pressed it)."""
from __future__ import annotations

import asyncio
import io

import aiohttp
import discord

from dreaming import images

from bot.config import LimitsConfig
from bot.dream.fetch import ImageRef, download


async def comparison(http: aiohttp.ClientSession, source: ImageRef, result: ImageRef,
                     limits: LimitsConfig, upload_limit: int) -> discord.File:
    """Download both images (size-capped), put them side by side off the event loop, and
    encode the pair within `upload_limit`."""
    max_bytes, max_pixels = int(limits.max_attachment_mb * 2**20), int(limits.max_megapixels * 1e6)
    before, after = await asyncio.gather(download(http, source, max_bytes), download(http, result, max_bytes))
    data, fmt = await asyncio.to_thread(_pair, before, after, max_pixels, upload_limit)
    return discord.File(io.BytesIO(data), filename=f"compare{images.extension_for(fmt)}")


def _pair(before: bytes, after: bytes, max_pixels: int, upload_limit: int) -> tuple[bytes, str]:
    dreamed = images.decode(after, max_pixels=max_pixels)
    original = images.decode(before, max_pixels=max_pixels, max_side=max(dreamed.size))
    data, fmt, _size = images.encode_within(images.side_by_side(original, dreamed), int(upload_limit * 0.98))
    return data, fmt
