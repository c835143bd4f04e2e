"""A Discord-compatible test server: the real discord.py client runs against it unmodified.

See `server.FakeDiscord` for the entry point and `pytest_plugin` for the fixtures.
"""
from __future__ import annotations

from .models import InteractionRecord, StoredFile, StoredMessage
from .server import FakeDiscord
from .web_utils import Fault

__all__ = ["FakeDiscord", "Fault", "InteractionRecord", "StoredFile", "StoredMessage"]
