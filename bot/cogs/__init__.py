"""One Cog per feature: `dream` (the commands that dream), `info` (presets, layers, help)."""
