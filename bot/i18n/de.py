"""Deutsch: every reply (`MESSAGES`, the same keys and placeholders as `en.py`), and the names and
descriptions Discord shows for the slash commands and their options (`COMMANDS`).

`COMMANDS` keys: a command's qualified name (`dreamconfig channels add`, or a context menu's
name), or `command.option` for an option; values: (name, description). Names follow Discord's
rules for command names: lowercase, no spaces, at most 32 characters. Typed words the bot parses
(`!dream layer=...`, setting keys, preset and layer names) stay as they are in every language.
"""

MESSAGES: dict[str, str | dict[str, str]] = {
    # -- asking for a dream --------------------------------------------------------------
    "usage": ("Hänge ein Bild an (oder antworte auf eins) und schreibe `{prefix}dream`, z. B. "
              "`{prefix}dream layer=mixed4c strength=0.02` oder `{prefix}dream preset=nightmare`. "
              "`{prefix}dream help` zeigt alle Optionen."),
    "slash_usage": ("Gib `/traum` ein Bild (die Option `bild`) oder poste zuerst eins in diesem Kanal, z. B. "
                    "`/traum bild:` mit `schicht:mixed4c` oder `vorlage:nightmare`. `/traum-hilfe` zeigt alle Optionen."),
    "help": ("**Ein Bild träumen** — hänge es an (oder antworte auf eine Nachricht mit Bild) und sende "
             "`{prefix}dream [key=value ...]`, oder nutze `/traum`.\n"
             "Schlüssel (Groß-/Kleinschreibung egal): `preset` · `layer` (z. B. `mixed5`, `mixed4c`, Mischung "
             "`mixed3:1,mixed5:1.5`, Kanal `mixed4/97`) · `strength` (Schrittweite, z. B. 0.015) · `octaves` · "
             "`steps` · `jitter` · `seed` · `size` (längste Seite, px).\n"
             "`{prefix}dream presets` und `{prefix}dream layers` zeigen die Auswahl; `{prefix}dream cancel` stoppt "
             "deinen Traum.\n"
             "**Zoom-Animation:** `{prefix}dream zoom frames=24` (`zoom=1.05` pro Bild, `format=gif` oder `mp4`), "
             "oder `/traum-animation`. **Aus Rauschen**, ganz ohne Bild: `{prefix}dream noise preset=neuron` oder "
             "`layer=mixed4/97`.\n"
             "**Leitbild:** hänge ein zweites Bild an (oder antworte mit deinem Bild auf ein Bild), und der Traum "
             "wächst zu dessen Merkmalen hin; `/traum leitbild:` tut dasselbe.\n"
             "Ohne Anhang wird dein letztes Bild in diesem Kanal genommen (aus den letzten {recent_minutes:g} Minuten)."),
    "presets_title": "**Vorlagen**",
    "layers_title": "**Schichten** (frühe Schichten malen Texturen, tiefe Kreaturen)",
    # -- a dream's life --------------------------------------------------------------------
    "queued": "🌀 In der Warteschlange: du bist Nr. {position}{eta}. {cancel_hint}",
    "queued_eta": ", fertig etwa {when}",
    "starting": "🌀 Träume… es geht los. {cancel_hint}",
    "progress": "🌀 Träume… Oktave {octave}/{octaves} · {percent} %{eta}",
    "progress_eta": " · fertig {when}",
    "cancel_hint": "Drücke Abbrechen oder sende `{prefix}dream cancel`, um ihn zu stoppen.",
    "slash_cancel_hint": "Drücke Abbrechen oder nutze `/traum-abbrechen`, um ihn zu stoppen.",
    "cancelled": "Dein Traum wurde abgebrochen.",
    "nothing_to_cancel": "Du hast keinen wartenden oder laufenden Traum.",
    "place_getting_ready": "wird vorbereitet (das Bild wird geladen)",
    "place_in_line": "Nr. {position} in der Warteschlange",
    "place_dreaming": "träumt{done}",
    "queue_waiting": {"one": "{count} Traum wartet auf einen Worker.", "other": "{count} Träume warten auf einen Worker."},
    "queue_none": "Du hast keinen wartenden oder laufenden Traum. {waiting}",
    "queue_mine": {"one": "Dein Traum: {places}. {waiting} {hint}", "other": "Deine Träume: {places}. {waiting} {hint}"},
    "clamped": "Durch die Einstellungen dieses Bots begrenzt: {shown}.",
    "late_result": "{mention} dein Traum ist fertig.\n{result}",
    "privacy_reminder": ("Datenschutz: bitte lade keine Fotos von dir oder anderen Menschen hoch. "
                         "Haustiere, Landschaften und Gebäude träumen am schönsten."),
    "recovered_late": "dein Traum (gesendet, bevor der Bot neu startete) ist fertig.",
    "interrupted_by_restart": ("⚠️ Dein Traum wurde beim Neustart des Bots unterbrochen und konnte nicht fertig "
                               "werden. Sende ihn noch einmal."),
    "paused_for_restart": ("⏸️ Dreambot startet neu: dein Traum ist gespeichert und geht weiter, sobald der Bot "
                           "zurück ist."),
    "maybe_undelivered": ("⚠️ Dein Traum war fertig, aber der Bot startete beim Posten neu. "
                          "Wenn du ihn hier nicht siehst, sende ihn noch einmal."),
    # -- buttons and the Tweak form ----------------------------------------------------------
    "button_cancel": "Abbrechen",
    "button_again": "Weiterträumen",
    "button_reroll": "Neu würfeln",
    "button_tweak": "Anpassen",
    "button_compare": "Vergleichen",
    "button_delete": "Löschen",
    "not_yours": "Nur wer diesen Traum angefordert hat (oder ein Moderator) kann das tun.",
    "compare": "Vorher und nachher (nur du siehst das).",
    "source_gone": "Das Originalbild ist nicht mehr verfügbar; versuche stattdessen Weiterträumen.",
    "compare_noise": "Dieser Traum begann mit Rauschen, es gibt also kein Vorher zum Vergleichen; versuche Neu würfeln für einen anderen.",
    "no_image_in_message": ("Diese Nachricht hat kein Bild zum Träumen; nutze „Dieses Bild träumen“ bei einer "
                            "Nachricht mit Bild."),
    "tweak_title": "Diesen Traum anpassen",
    "tweak_label_strength": "Stärke",
    "tweak_label_preset": "Vorlage",
    "tweak_label_layers": "Schicht",
    "tweak_label_steps": "Schritte pro Oktave",
    "tweak_hint_strength": "Schrittweite: höher ist stärker, z. B. 0.015",
    "tweak_hint_preset": "Ein benannter Stil, z. B. nightmare (leer: diese Einstellungen behalten)",
    "tweak_hint_layers": "z. B. mixed4c oder eine Mischung: mixed3:1,mixed5:1.5",
    "tweak_hint_steps": "Gradientenschritte pro Oktave, z. B. 12",
    # -- refusals and errors, in the bot's voice ---------------------------------------------
    "try_again": "Langsam: versuche es {when} wieder.",
    "not_here": "Das kannst du hier nicht benutzen.",
    "generic_failure": "Beim Träumen ist bei uns etwas schiefgegangen. Bitte versuche es noch einmal.",
    "store_unavailable": ("Dreambot kann gerade nichts speichern (seine Datenbank verweigert Schreibzugriffe) und "
                          "nimmt daher keine Träume oder Einstellungen an. Versuche es später; der Betreiber "
                          "wurde informiert."),
    "missing_permissions": ("Ich darf das hier nicht posten: ich brauche „Nachrichten senden“ und „Dateien "
                            "anhängen“ in diesem Kanal. Frag einen Moderator."),
    "you_cannot_post": "Du darfst in diesem Kanal nicht schreiben, also poste ich hier keinen Traum für dich.",
    "you_cannot_attach": "Du darfst in diesem Kanal keine Dateien anhängen, also poste ich dein Bild hier nicht.",
    "no_channel": ("Keinen Kanal {name} auf diesem Server gefunden: wähle einen aus der Liste oder erwähne ihn, "
                   "z. B. #general."),
    "no_role": ("Keine Rolle {name} auf diesem Server gefunden: wähle eine aus der Liste oder erwähne sie, "
                "z. B. @Helfer."),
    "disabled": "Dreambot ist auf diesem Server ausgeschaltet.",
    "no_dms": "In Direktnachrichten mit diesem Bot wird nicht geträumt; nutze /traum auf einem Server.",
    "outside_channels": "Auf diesem Server wird nur in {channels} geträumt.",
    "quota_exempt": "Deine Rolle ist von der Wartezeit und dem Tageskontingent dieses Servers ausgenommen.",
    "quota_unlimited": {"one": "Du hast heute {count} Mal geträumt; dieser Server setzt kein Tageskontingent.",
                        "other": "Du hast heute {count} Mal geträumt; dieser Server setzt kein Tageskontingent."},
    "quota_used": {"one": ("Du hast heute {used} von {count} Traum genutzt; {left} übrig. Das Kontingent wird "
                           "{resets} zurückgesetzt."),
                   "other": ("Du hast heute {used} von {count} Träumen genutzt; {left} übrig. Das Kontingent wird "
                             "{resets} zurückgesetzt.")},
    "quota_cooldown": " Wartezeit: dein nächster Traum {when}.",
    "busy": {"one": "Die Warteschlange ist voll ({count} Traum wartet). Versuche es in ein paar Minuten.",
             "other": "Die Warteschlange ist voll ({count} Träume warten). Versuche es in ein paar Minuten."},
    "user_limit": {"one": ("Du hast schon {count} wartenden oder laufenden Traum. Warte, bis er fertig ist, "
                           "oder brich ihn ab."),
                   "other": ("Du hast schon {count} wartende oder laufende Träume. Warte, bis einer fertig ist, "
                             "oder brich einen ab.")},
    "cooling_down": "Langsam: dieser Server erlaubt nur ab und zu einen Traum; versuche es {when} wieder.",
    "daily_quota_used": {"one": ("Du hast das Tageskontingent dieses Servers von {count} Traum genutzt; es wird "
                                 "{resets} zurückgesetzt."),
                         "other": ("Du hast das Tageskontingent dieses Servers von {count} Träumen genutzt; es wird "
                                   "{resets} zurückgesetzt.")},
    "layer_not_allowed": "Die Schicht '{layer}' ist auf diesem Server nicht erlaubt. Erlaubte Schichten: {allowed}.",
    "model_not_offered": "Dieser Bot bietet das Modell '{model}' nicht an. Wähle eines von: {offered}.",
    "class_not_offered": ("Dieser Bot kann keine Klasse träumen: keinem seiner Modelle liegt der nötige Klassifikator bei. "
                          "Träume stattdessen mit Schichten, z. B. layer=mixed5."),
    # -- /dreamconfig ---------------------------------------------------------------------------
    "not_moderator": ("Nur Mitglieder mit der Berechtigung „Server verwalten“ können die Einstellungen von "
                      "Dreambot auf diesem Server ändern."),
    "not_moderator_roles": ("Nur Mitglieder mit der Berechtigung „Server verwalten“ oder den Rollen {roles} können "
                            "die Einstellungen von Dreambot auf diesem Server ändern."),
    "show_title": "**Dreambot-Einstellungen auf diesem Server** (geänderte fett)",
    "show_limits": ("Träume laufen innerhalb von: {limits} (jeweils das Niedrigere aus den Grenzen des Betreibers "
                    "und dieses Servers)."),
    "show_presets": "Server-Vorlagen: {presets}",
    "none": "keine",
    "all": "alle",
    "default": "Standard",
    "unlimited": "unbegrenzt",
    "operators": "die des Betreibers",
    "on": "an",
    "off": "aus",
    "seconds": "{seconds:g} s",
    "history_empty": "Auf diesem Server wurden keine Änderungen aufgezeichnet.",
    "history_title": "**Letzte Änderungen**",
    "history_reset_all": "alle Einstellungen zurückgesetzt",
    "presets_empty": ("Dieser Server hat noch keine eigenen Vorlagen: "
                      "`/traum-einstellungen vorlage erstellen NAME key=value ...`."),
    "presets_server_title": "**Server-Vorlagen**",
    "more_lines": {"one": "… und {count} weitere Zeile", "other": "… und {count} weitere Zeilen"},
    "set_done": "{key} ist jetzt {value}.",
    "reset_done": "{key} wurde auf {value} zurückgesetzt.",
    "reset_every": "Alle Einstellungen sind wieder Standard (Server-Vorlagen und Verlauf bleiben).",
    "deleted_all": ("Alle Daten von Dreambot für diesen Server wurden gelöscht: Einstellungen, Vorlagen, "
                    "Verlauf, Kontingente und wartende Aufträge."),
    "channels_allowed": "Träume erlaubt in: {channels}.",
    "channel_not_listed": "{channel} steht nicht in der Liste der erlaubten Kanäle.",
    "channel_presets": "Standardvorlagen je Kanal: {pairs}.",
    "preset_created": ("Server-Vorlage `{name}` erstellt: nutze sie mit `/traum vorlage:{name}` "
                       "oder `{prefix}dream {name}`."),
    "preset_replaced": ("Server-Vorlage `{name}` ersetzt: nutze sie mit `/traum vorlage:{name}` "
                        "oder `{prefix}dream {name}`."),
    "preset_deleted": "Server-Vorlage `{name}` gelöscht.",
    "no_such_preset": ("Dieser Server hat keine Vorlage namens {name}; /traum-einstellungen vorlage liste "
                       "zeigt sie."),
    "pick_prompt": "Wähle {what} (keine: {empty}). Jetzt: {value}.",
    "pick_allowed_channels": "die Kanäle, in denen der Bot träumt",
    "pick_exempt_roles": "die Rollen ohne Wartezeit und Kontingent",
    "pick_moderator_roles": "die Rollen, die diese Einstellungen ändern dürfen",
    "pick_placeholder": "Auswählen…",
    "reset_all_choice": "all — alle Daten dieses Servers löschen",
    # what each setting does, as `show` and the key autocomplete say
    "setting_enabled": "ob der Bot auf diesem Server träumt",
    "setting_allowed_channels": "wo der Bot träumt",
    "setting_outside_channel_reply": "was der Bot in anderen Kanälen sagt",
    "setting_max_side": "größte Bildseite in Pixeln",
    "setting_max_octaves": "höchstens so viele Oktaven pro Traum",
    "setting_max_steps": "höchstens so viele Schritte pro Oktave",
    "setting_max_strength": "höchste Stärke (Schrittweite)",
    "setting_max_frames": "höchstens so viele Bilder pro Zoom-Animation",
    "setting_allowed_presets": "Vorlagen, die Mitglieder nutzen dürfen",
    "setting_default_preset": "die Vorlage, wenn ein Mitglied keine nennt",
    "setting_channel_presets": "die eigene Standardvorlage eines Kanals",
    "setting_allowed_layers": "Schichten, die Mitglieder nutzen dürfen",
    "setting_per_user_pending": "wartende Träume pro Mitglied",
    "setting_cooldown_s": "Wartezeit zwischen den Träumen eines Mitglieds",
    "setting_daily_quota": "Träume pro Mitglied und Tag (UTC)",
    "setting_privacy_reminder": "der Datenschutzhinweis unter Ergebnissen",
    "setting_spoiler_results": "Ergebnisse als Spoiler posten",
    "setting_exempt_roles": "Rollen ohne Wartezeit und Kontingent",
    "setting_moderator_roles": "Rollen, die diese Einstellungen ändern dürfen",
    # -- guided dreams (bot/dream/guide.py) ----------------------------------------------------
    "guided": "🧭 Mit Leitbild: der Traum wuchs zu den Merkmalen deines Leitbilds hin.",
    # -- zoom animations and dreams from noise (bot/dream/animation.py) --------------------------
    "progress_frames": "🌀 Träume… Bild {frame}/{frames} · {percent} %{eta}",
    "animation_lowered": "Verkleinert, damit es unter das Upload-Limit dieses Servers passt: {shown}.",
    "lowered_size": "Größe",
    "lowered_quality": "Qualität",
    "lowered_frames": "Bilder",
}

COMMANDS: dict[str, tuple[str, str]] = {
    "dream": ("traum", "Ein Bild mit DeepDream träumen"),
    "dream.image": ("bild", "Das Bild zum Träumen (Standard: dein letztes Bild in diesem Kanal)"),
    "dream.preset": ("vorlage", "Ein benannter Stil, z. B. classic, textures, nightmare"),
    "dream.layer": ("schicht", "Netzschicht(en), z. B. mixed5, mixed4c oder mixed3:1,mixed5:1.5"),
    "dream.strength": ("stärke", "Schrittweite: höher ist stärker (z. B. 0.015)"),
    "dream.steps": ("schritte", "Gradientenschritte pro Oktave"),
    "dream.octaves": ("oktaven", "Anzahl der Maßstäbe"),
    "dream.seed": ("seed", "Zufallswert, um einen Traum zu wiederholen"),
    "dream.size": ("größe", "Längste Seite in Pixeln"),
    "dream.jitter": ("jitter", "Zufällige Verschiebung pro Schritt in Pixeln (versteckt Kachelnähte)"),
    "dream.smoothing": ("glättung", "Die Striche glätten (0 = aus, 1-2 = weicher)"),
    "dream.noise": ("rauschen", "Aus Rauschen träumen, ohne Bild (z. B. mit vorlage:neuron)"),
    "dream.guide": ("leitbild", "Ein Leitbild: der Traum wächst zu seinen Merkmalen hin"),
    "dream.model": ("modell", "Das Netz, mit dem geträumt wird (die dieser Bot anbietet)"),
    "dream.class": ("klasse", "Eine ImageNet-Klasse träumen statt Schichten, z. B. banana"),
    "dream-animate": ("traum-animation", "Eine endlose Zoom-Animation träumen"),
    "dream-animate.image": ("bild", "Das Bild zum Träumen (Standard: dein letztes Bild in diesem Kanal)"),
    "dream-animate.frames": ("einzelbilder", "Wie viele Einzelbilder (Standard 24)"),
    "dream-animate.zoom": ("zoom", "Wie weit jedes Bild hineinzoomt (1.05 = 5 % näher)"),
    "dream-animate.preset": ("vorlage", "Ein benannter Stil, z. B. classic, neuron, insects"),
    "dream-animate.layer": ("schicht", "Netzschicht(en), z. B. mixed5, mixed4c oder mixed4/97"),
    "dream-animate.seed": ("seed", "Zufallswert, um eine Animation zu wiederholen"),
    "dream-animate.size": ("größe", "Längste Seite in Pixeln (Standard 512)"),
    "dream-animate.format": ("format", "Dateiformat: webp (Standard), gif oder mp4"),
    "dream-animate.noise": ("rauschen", "Aus Rauschen träumen, ohne Bild"),
    "dream-animate.guide": ("leitbild", "Ein Leitbild: jedes Bild wächst zu seinen Merkmalen hin"),
    "dream-cancel": ("traum-abbrechen", "Deine wartenden oder laufenden Träume stoppen"),
    "dream-queue": ("traum-warteschlange", "Wo deine Träume in der Warteschlange stehen"),
    "dream-quota": ("traum-kontingent", "Wie viele Träume du heute noch hast"),
    "dream-presets": ("traum-vorlagen", "Die Traumvorlagen auflisten"),
    "dream-layers": ("traum-schichten", "Die Schichten auflisten, mit denen du träumen kannst"),
    "dream-help": ("traum-hilfe", "Wie man den Traum-Bot benutzt"),
    "Dream this image": ("Dieses Bild träumen", ""),
    "dreamconfig": ("traum-einstellungen", "Die Einstellungen von Dreambot auf diesem Server"),
    "dreamconfig show": ("anzeigen", "Einstellungen, Grenzen und Vorlagen dieses Servers zeigen"),
    "dreamconfig set": ("setzen", "Eine Einstellung ändern"),
    "dreamconfig set.key": ("einstellung", "Die Einstellung, z. B. max_side"),
    "dreamconfig set.value": ("wert", "Ihr neuer Wert, z. B. 256"),
    "dreamconfig reset": ("zurücksetzen", "Eine Einstellung (oder alle) auf den Standard zurücksetzen"),
    "dreamconfig reset.key": ("einstellung", "Eine Einstellung; leer = alle; 'all' = alle Daten löschen"),
    "dreamconfig history": ("verlauf", "Wer was wann geändert hat"),
    "dreamconfig pick": ("auswählen", "Kanäle oder Rollen einer Einstellung aus einer Liste wählen"),
    "dreamconfig pick.setting": ("einstellung", "Welche Liste: erlaubte Kanäle, ausgenommene oder Moderatorrollen"),
    "dreamconfig channels": ("kanäle", "Wo der Bot träumt (leer = überall)"),
    "dreamconfig channels list": ("liste", "Die Kanäle zeigen, in denen der Bot träumt"),
    "dreamconfig channels add": ("hinzufügen", "Träume in einem Kanal erlauben"),
    "dreamconfig channels add.channel": ("kanal", "Ein Kanal, z. B. #kunst"),
    "dreamconfig channels remove": ("entfernen", "In einem Kanal nicht mehr träumen"),
    "dreamconfig channels remove.channel": ("kanal", "Ein Kanal, z. B. #kunst"),
    "dreamconfig channels default": ("standard", "Einem Kanal eine eigene Standardvorlage geben"),
    "dreamconfig channels default.channel": ("kanal", "Ein Kanal, z. B. #kunst"),
    "dreamconfig channels default.preset": ("vorlage", "Eine Vorlage, oder default für die des Servers"),
    "dreamconfig preset": ("vorlage", "Die eigenen Vorlagen dieses Servers"),
    "dreamconfig preset list": ("liste", "Die Vorlagen dieses Servers auflisten"),
    "dreamconfig preset create": ("erstellen", "Eine Server-Vorlage erstellen (oder ersetzen)"),
    "dreamconfig preset create.name": ("name", "Name in Kleinbuchstaben, z. B. calm"),
    "dreamconfig preset create.settings": ("einstellungen", 'z. B. layer=mixed4c strength=0.01 steps=8 '
                                                            'description="Sanfte Wirbel"'),
    "dreamconfig preset delete": ("löschen", "Eine Server-Vorlage löschen"),
    "dreamconfig preset delete.name": ("name", "Die Server-Vorlage, die gelöscht wird"),
}
