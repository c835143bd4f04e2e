"""Per-server settings for moderators: the `/dreamconfig` commands (`cog`), who may use
them and what they show (`checks`), the settings' declaration (`guild_settings`), and
what moderators type (`setting_text`)."""
