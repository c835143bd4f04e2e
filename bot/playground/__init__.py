"""The playground: Dreambot in the browser, with no Discord account, token or server.

`python -m bot.playground` (also `dreambot-playground`, `bash scripts/playground.sh`) starts,
on 127.0.0.1: a `discordlocal.FakeDiscord` holding one server with two channels, a member
and a moderator (world.py); the real bot, by the production path (`bot.app.run` with a
config whose `discord.api_base` is that server: launcher.py); and `discordlocal.web`'s page
to use it from a browser.

Why it lives here, in `bot/`, while the page lives in `discordlocal/web/`: the page and the
server are generic (any discord.py bot could stand behind them, and `discordlocal` must not
know Dreambot), but choosing *this* bot, its config, its moderator permissions and its
upload cap is Dreambot's business. So `bot.playground` is the one place where the bot side
meets `discordlocal`; nothing else in `bot/` imports it (tests/test_playground.py checks),
and a production bot never loads it.
"""
