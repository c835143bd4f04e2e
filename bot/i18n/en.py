"""English: every reply the bot writes, keyed by message id, and the fallback for every other language.

Values are `str.format` templates; a dict of `one`/`other` is chosen by its `count`.
Command names and descriptions need no English entries: the code's own are English.
"""

MESSAGES: dict[str, str | dict[str, str]] = {
    # -- asking for a dream --------------------------------------------------------------
    "usage": ("Attach an image (or reply to one) and type `{prefix}dream`, e.g. "
              "`{prefix}dream layer=mixed4c strength=0.02` or `{prefix}dream preset=nightmare`. "
              "`{prefix}dream help` lists every option."),
    "slash_usage": ("Give `/dream` an image (its `image` option), or post one in this channel first, e.g. "
                    "`/dream image:` with `layer:mixed4c` or `preset:nightmare`. `/dream-help` lists every option."),
    "help": ("**Dream an image** — attach it (or reply to a message with one) and send "
             "`{prefix}dream [key=value ...]`, or use `/dream`.\n"
             "Keys (any case): `preset` · `layer` (e.g. `mixed5`, `mixed4c`, blend `mixed3:1,mixed5:1.5`, channel "
             "`mixed4/97`) · `strength` (step size, e.g. 0.015) · `octaves` · `steps` · `jitter` · `seed` · `size` "
             "(longest side, px).\n"
             "`{prefix}dream presets` and `{prefix}dream layers` list the choices; "
             "`{prefix}dream cancel` stops your dream.\n"
             "**Zoom animation:** `{prefix}dream zoom frames=24` (`zoom=1.05` per frame, `format=gif` or `mp4`), "
             "or `/dream-animate`. **From noise**, no image needed: `{prefix}dream noise preset=neuron` or "
             "`layer=mixed4/97`.\n"
             "**Guide:** attach a second image (or reply to an image with your own) and the dream grows "
             "toward its features; `/dream guide:` does the same.\n"
             "With no image attached, your last image in this channel (within {recent_minutes:g} minutes) is used."),
    "presets_title": "**Presets**",
    "layers_title": "**Layers** (early layers paint textures, deep ones creatures)",
    # -- a dream's life --------------------------------------------------------------------
    "queued": "🌀 Queued: you are #{position} in line{eta}. {cancel_hint}",
    "queued_eta": ", done about {when}",
    "starting": "🌀 Dreaming… starting. {cancel_hint}",
    "progress": "🌀 Dreaming… octave {octave}/{octaves} · {percent}%{eta}",
    "progress_eta": " · done {when}",
    "cancel_hint": "Press Cancel or send `{prefix}dream cancel` to stop it.",
    "slash_cancel_hint": "Press Cancel or use `/dream-cancel` to stop it.",
    "cancelled": "Cancelled your dream.",
    "nothing_to_cancel": "You have no dream waiting or running.",
    "place_getting_ready": "getting ready (fetching the image)",
    "place_in_line": "#{position} in line",
    "place_dreaming": "dreaming{done}",
    "queue_waiting": {"one": "{count} dream waiting for a worker.", "other": "{count} dreams waiting for a worker."},
    "queue_none": "You have no dream waiting or running. {waiting}",
    "queue_mine": {"one": "Your dream: {places}. {waiting} {hint}", "other": "Your dreams: {places}. {waiting} {hint}"},
    "clamped": "Limited by this bot's settings: {shown}.",
    "late_result": "{mention} your dream is ready.\n{result}",
    "privacy_reminder": ("Privacy: please don't upload photos of yourself or of other people. "
                         "Pets, landscapes and buildings dream best."),
    "recovered_late": "your dream (sent before the bot restarted) is ready.",
    "interrupted_by_restart": ("⚠️ Your dream was interrupted when the bot restarted and could not be "
                               "finished. Send it again."),
    "paused_for_restart": "⏸️ Dreambot is restarting: your dream is saved and will continue when the bot is back.",
    "maybe_undelivered": ("⚠️ Your dream was finished, but the bot restarted while posting it. "
                          "If you don't see it here, send it again."),
    # -- buttons and the Tweak form ----------------------------------------------------------
    "button_cancel": "Cancel",
    "button_again": "Dream again",
    "button_reroll": "Reroll",
    "button_tweak": "Tweak",
    "button_compare": "Compare",
    "button_delete": "Delete",
    "not_yours": "Only the person who asked for this dream (or a moderator) can do that.",
    "compare": "Before and after (only you see this).",
    "source_gone": "The original image is no longer available; try Dream again instead.",
    "compare_noise": "This dream started from noise, so there is no before to compare; try Reroll for another.",
    "no_image_in_message": "That message has no image to dream; use Dream this image on a message with one.",
    "tweak_title": "Tweak this dream",
    "tweak_label_strength": "Strength",
    "tweak_label_preset": "Preset",
    "tweak_label_layers": "Layer",
    "tweak_label_steps": "Steps per octave",
    "tweak_hint_strength": "Step size: higher is stronger, e.g. 0.015",
    "tweak_hint_preset": "A named style, e.g. nightmare (blank: keep these settings)",
    "tweak_hint_layers": "e.g. mixed4c, or a blend: mixed3:1,mixed5:1.5",
    "tweak_hint_steps": "Gradient steps per octave, e.g. 12",
    # -- refusals and errors, in the bot's voice ---------------------------------------------
    "try_again": "Slow down: try again {when}.",
    "not_here": "You can't use that here.",
    "generic_failure": "Something went wrong on our side while dreaming. Please try again.",
    "store_unavailable": ("Dreambot can't save anything right now (its database refuses writes), so it "
                          "can't take dreams or settings. Try again later; the operator has been told."),
    "missing_permissions": ("I'm not allowed to post that here: I need Send Messages and Attach Files "
                            "in this channel. Ask a moderator."),
    "you_cannot_post": "You can't post in this channel, so I won't post a dream for you here.",
    "you_cannot_attach": "You can't attach files in this channel, so I won't post your image here.",
    "no_channel": "No channel {name} on this server: pick one from the list or mention it, e.g. #general.",
    "no_role": "No role {name} on this server: pick one from the list or mention it, e.g. @Helpers.",
    "disabled": "Dreambot is turned off on this server.",
    "no_dms": "Dreams aren't made in direct messages with this bot; use /dream in a server instead.",
    "outside_channels": "Dreams are only made in {channels} on this server.",
    "quota_exempt": "Your role is exempt from this server's cooldown and daily quota.",
    "quota_unlimited": {"one": "You dreamt {count} time today; this server sets no daily quota.",
                        "other": "You dreamt {count} times today; this server sets no daily quota."},
    "quota_used": {"one": "You used {used} of {count} dream today; {left} left. The quota resets {resets}.",
                   "other": "You used {used} of {count} dreams today; {left} left. The quota resets {resets}."},
    "quota_cooldown": " Cooldown: your next dream {when}.",
    "busy": {"one": "The queue is full ({count} dream waiting). Try again in a few minutes.",
             "other": "The queue is full ({count} dreams waiting). Try again in a few minutes."},
    "user_limit": {"one": "You already have {count} dream waiting or running. Wait for it to finish, or cancel it.",
                   "other": ("You already have {count} dreams waiting or running. "
                             "Wait for one to finish, or cancel one.")},
    "cooling_down": "Slow down: this server allows one dream every so often; try again {when}.",
    "daily_quota_used": {"one": "You used this server's daily quota of {count} dream; it resets {resets}.",
                         "other": "You used this server's daily quota of {count} dreams; it resets {resets}."},
    "layer_not_allowed": "Layer '{layer}' is not allowed on this server. Allowed layers: {allowed}.",
    "model_not_offered": "This bot doesn't offer the model '{model}'. Pick one of: {offered}.",
    "class_not_offered": ("This bot can't dream of a class: none of its models has the classifier it needs. "
                          "Dream with layers instead, e.g. layer=mixed5."),
    # -- /dreamconfig ---------------------------------------------------------------------------
    "not_moderator": "Only members with the Manage Server permission can change Dreambot's settings on this server.",
    "not_moderator_roles": ("Only members with the Manage Server permission or the roles {roles} can change "
                            "Dreambot's settings on this server."),
    "show_title": "**Dreambot settings on this server** (changed ones in bold)",
    "show_limits": "Dreams run within: {limits} (the lower of the operator's caps and this server's).",
    "show_presets": "Server presets: {presets}",
    "none": "none",
    "all": "all",
    "default": "default",
    "unlimited": "unlimited",
    "operators": "the operator's",
    "on": "on",
    "off": "off",
    "seconds": "{seconds:g} s",
    "history_empty": "No changes recorded on this server.",
    "history_title": "**Latest changes**",
    "history_reset_all": "reset every setting",
    "presets_empty": "This server has no presets of its own yet: `/dreamconfig preset create NAME key=value ...`.",
    "presets_server_title": "**Server presets**",
    "more_lines": {"one": "… and {count} more line", "other": "… and {count} more lines"},
    "set_done": "Set {key} to {value}.",
    "reset_done": "Reset {key} to {value}.",
    "reset_every": "Reset every setting to its default (server presets and history are kept).",
    "deleted_all": ("Deleted all of Dreambot's data for this server: settings, presets, "
                    "history, quotas and pending jobs."),
    "channels_allowed": "Dreams allowed in: {channels}.",
    "channel_not_listed": "{channel} is not in the list of allowed channels.",
    "channel_presets": "Default presets by channel: {pairs}.",
    "preset_created": "Created server preset `{name}`: use it with `/dream preset:{name}` or `{prefix}dream {name}`.",
    "preset_replaced": "Replaced server preset `{name}`: use it with `/dream preset:{name}` or `{prefix}dream {name}`.",
    "preset_deleted": "Deleted server preset `{name}`.",
    "no_such_preset": "This server has no preset named {name}; /dreamconfig preset list shows them.",
    "pick_prompt": "Pick {what} (none: {empty}). Now: {value}.",
    "pick_allowed_channels": "the channels where the bot dreams",
    "pick_exempt_roles": "the roles without cooldown and quota",
    "pick_moderator_roles": "the roles that may change these settings",
    "pick_placeholder": "Choose…",
    "reset_all_choice": "all — delete all of this server's data",
    # what each setting does, as `show` and the key autocomplete say
    "setting_enabled": "whether the bot dreams in this server",
    "setting_allowed_channels": "where the bot dreams",
    "setting_outside_channel_reply": "what the bot says in other channels",
    "setting_max_side": "largest image side in pixels",
    "setting_max_octaves": "most octaves per dream",
    "setting_max_steps": "most steps per octave",
    "setting_max_strength": "highest strength (step size)",
    "setting_max_frames": "most frames of a zoom animation",
    "setting_allowed_presets": "presets members may use",
    "setting_default_preset": "the preset when a member names none",
    "setting_channel_presets": "a channel's own default preset",
    "setting_allowed_layers": "layers members may use",
    "setting_per_user_pending": "dreams one member may have waiting",
    "setting_cooldown_s": "wait between one member's dreams",
    "setting_daily_quota": "dreams per member per day (UTC)",
    "setting_privacy_reminder": "the privacy note shown with results",
    "setting_spoiler_results": "post results as spoilers",
    "setting_exempt_roles": "roles without cooldown and quota",
    "setting_moderator_roles": "roles that may change these settings",
    # -- guided dreams (bot/dream/guide.py) ----------------------------------------------------
    "guided": "🧭 Guided: the dream grew toward your guide image's features.",
    # -- zoom animations and dreams from noise (bot/dream/animation.py) --------------------------
    "progress_frames": "🌀 Dreaming… frame {frame}/{frames} · {percent}%{eta}",
    "animation_lowered": "Lowered to fit this server's upload limit: {shown}.",
    "lowered_size": "size",
    "lowered_quality": "quality",
    "lowered_frames": "frames",
}
