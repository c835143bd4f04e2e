"""Dreambot's Discord front end: the bot process (no TensorFlow here; dreams run in worker processes)."""
