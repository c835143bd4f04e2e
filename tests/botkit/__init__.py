"""Helpers of the bot's end-to-end tests (tests/test_bot_*.py) that only tests need.

- `files`: what users upload: real photos, and the bad files people really send.
- `moderators`: people with rights in the test guild; a server's rows read back from SQLite.

The fixtures (`fake`, `world`, `start_bot`, `dream_pool`, `pool`, `idle_pool`...) are in
tests/conftest.py: ask for them by name. Starting the real bot and reading what it posts is
shared with the benchmarks, in bench/dreambot.py; the server itself is discordlocal/.
"""
