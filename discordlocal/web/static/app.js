// The page: one guild from the live feed, the channel list, who you are, the messages, the
// composer (text, files by picker or drag-and-drop, replies) and the slash-command form.
import {connect, postForm, postJson} from "./api.js";
import {renderMessage} from "./render.js";
import {SlashForm} from "./slash.js";

const $ = (id) => document.getElementById(id);
const state = {
  snapshot: null,       // the guild, people, commands, bot
  messages: new Map(),  // id -> message
  channel: null,        // the channel shown
  me: null,             // the person acting
  pending: [],          // files waiting in the composer
  replyTo: null,        // the message the next one replies to
  dismissed: new Set(), // ephemeral messages the person closed
  unread: new Set(),    // channels with news
};
const byId = (a, b) => (a.length - b.length) || (a < b ? -1 : a > b ? 1 : 0);  // snowflakes as strings

const page = {
  commands: () => (state.snapshot ? state.snapshot.commands : []),
  names: () => state.snapshot.guild.names,
  channelId: () => state.channel,
  me: () => state.me,
  notify,
  busy: (on) => { $("send").disabled = on; $("slash-run").disabled = on; },
  pendingFile: () => state.pending.find((f) => f.type.startsWith("image/")) || state.pending[0] || null,
  usedFiles: (files) => { state.pending = state.pending.filter((f) => !files.includes(f)); showPending(); },
  checkSize,
};
const slash = new SlashForm(page);

// --- the live feed ------------------------------------------------------------------------

connect(onEvent, (up) => {
  if (!up) setBot(false, "Reconnecting to the playground…");
});

function onEvent(event) {
  if (event.t === "snapshot") {
    state.snapshot = event.d;
    state.messages = new Map(event.d.messages.map((m) => [m.id, m]));
    setup();
  } else if (!state.snapshot) {
    return;
  } else if (event.t === "message") {
    const isNew = !state.messages.has(event.d.id);
    state.messages.set(event.d.id, event.d);
    if (isNew && event.d.channel_id !== state.channel && visible(event.d)) state.unread.add(event.d.channel_id);
    upsert(event.d);
  } else if (event.t === "delete") {
    state.messages.delete(event.d.id);
    const el = findMessage(event.d.id);
    if (el) el.remove();
  } else if (event.t === "commands") {
    state.snapshot.commands = event.d;
    slash.refresh();
  } else if (event.t === "bot") {
    state.snapshot.bot = event.d;
  }
  showBot();
  showChannels();
}

function setup() {
  const {guild, title} = state.snapshot;
  document.title = title;
  $("guild-name").textContent = guild.name;
  if (!guild.channels.some((c) => c.id === state.channel)) state.channel = guild.channels[0].id;
  if (!guild.people.some((p) => p.id === state.me)) state.me = guild.people[0].id;
  const member = $("member");
  member.replaceChildren(...guild.people.map((p) => new Option(`${p.name} (${p.role})`, p.id)));
  member.value = state.me;
  showPerson();
  slash.refresh();
  renderAll();
}

// --- showing ------------------------------------------------------------------------------

function visible(msg) {
  return msg.channel_id === state.channel && !state.dismissed.has(msg.id)
    && (msg.visible_to === null || msg.visible_to === state.me);
}

function context() {
  return {
    names: state.snapshot.guild.names, me: state.me,
    onComponent: press, onReply: startReply, onJump: jump,
    onDismiss: (msg) => { state.dismissed.add(msg.id); const el = findMessage(msg.id); if (el) el.remove(); },
  };
}

function renderAll() {
  const list = $("messages");
  const shown = [...state.messages.values()].filter(visible).sort((a, b) => byId(a.id, b.id));
  list.replaceChildren(...shown.map((m) => renderMessage(m, context())));
  if (!shown.length) list.append(emptyNote());
  list.scrollTop = list.scrollHeight;
  showChannels();
}

function emptyNote() {
  const p = document.createElement("p");
  p.className = "empty";
  p.textContent = "No messages yet. Drop a photo here and type !dream — or press / for the slash commands.";
  return p;
}

function findMessage(id) {
  return $("messages").querySelector(`article.msg[data-id="${CSS.escape(id)}"]`);
}

function upsert(msg) {
  const list = $("messages");
  const old = findMessage(msg.id);
  if (!visible(msg)) { if (old) old.remove(); return; }
  const stick = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const el = renderMessage(msg, context());
  if (old) {
    old.replaceWith(el);
  } else {
    const empty = list.querySelector(".empty");
    if (empty) empty.remove();
    const after = [...list.querySelectorAll("article.msg")].find((e) => byId(e.dataset.id, msg.id) > 0);
    list.insertBefore(el, after || null);
  }
  if (stick || (!old && msg.author.id === state.me)) list.scrollTop = list.scrollHeight;
  // Images change the height once loaded: keep the bottom in view when it was.
  for (const img of el.querySelectorAll("img")) {
    img.addEventListener("load", () => { if (stick) list.scrollTop = list.scrollHeight; }, {once: true});
  }
}

function showChannels() {
  if (!state.snapshot) return;
  const ul = $("channels");
  ul.replaceChildren(...state.snapshot.guild.channels.map((c) => {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "channel" + (c.id === state.channel ? " active" : "") + (state.unread.has(c.id) ? " unread" : "");
    b.textContent = `# ${c.name}`;
    b.dataset.channel = c.name;
    b.addEventListener("click", () => switchChannel(c.id));
    li.append(b);
    return li;
  }));
  const channel = state.snapshot.guild.channels.find((c) => c.id === state.channel);
  $("channel-title").textContent = `# ${channel.name}`;
  $("text").placeholder = `Message #${channel.name} — try !dream`;
}

function switchChannel(id) {
  state.channel = id;
  state.unread.delete(id);
  cancelReply();
  closeMenu();
  renderAll();
}

function showPerson() {
  const person = state.snapshot.guild.people.find((p) => p.id === state.me);
  $("member-hint").textContent = person.role === "moderator"
    ? "Moderators may change the bot's settings: try /dreamconfig."
    : "A member of the server.";
  $("as-who").textContent = `as ${person.name}`;
}

function setBot(online, text) {
  $("bot-dot").className = "dot" + (online ? " online" : "");
  $("bot-status").textContent = text;
}

function showBot() {
  const bot = state.snapshot.bot;
  setBot(bot.online, bot.online ? `${bot.name} is online` : `${bot.name} is starting (loading the model)…`);
}

let noticeTimer = null;
function notify(text) {
  const box = $("notice");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { box.hidden = true; }, 8000);
}

// --- acting -------------------------------------------------------------------------------

$("member").addEventListener("change", (e) => {
  state.me = e.target.value;
  showPerson();
  closeMenu();
  renderAll();
});

$("composer").addEventListener("submit", async (e) => {
  e.preventDefault();
  const text = $("text").value;
  if (text.trim().startsWith("/") && !state.pending.length) {
    slash.open(text.trim());
    $("text").value = "";
    return;
  }
  if (!text.trim() && !state.pending.length) return;
  try {
    checkSize(state.pending);
  } catch (err) {
    notify(err.message);
    return;
  }
  page.busy(true);
  try {
    await postForm("/api/messages", {
      channel_id: state.channel, user_id: state.me, content: text, reply_to: state.replyTo ? state.replyTo.id : null,
    }, state.pending.map((f) => ["file", f]));
    $("text").value = "";
    state.pending = [];
    showPending();
    cancelReply();
  } catch (err) {
    notify(err.message);
  } finally {
    page.busy(false);
    $("text").focus();
  }
});

function checkSize(files) {
  const limit = state.snapshot.max_upload;
  const big = files.find((f) => f.size > limit);
  if (big) throw new Error(`${big.name} is larger than the ${+(limit / 2 ** 20).toFixed(1)} MB upload limit.`);
}

async function press(msg, component, values, control) {
  control.disabled = true;
  try {
    await postJson("/api/components", {
      message_id: msg.id, custom_id: component.custom_id, user_id: state.me,
      component_type: component.type, values: values || undefined,
    });
  } catch (err) {
    notify(err.message);
  } finally {
    setTimeout(() => { control.disabled = Boolean(component.disabled); }, 600);
  }
}

function startReply(msg) {
  state.replyTo = msg;
  const bar = $("replying");
  bar.replaceChildren();
  const label = document.createElement("span");
  label.textContent = `Replying to ${msg.author.name}`;
  const x = document.createElement("button");
  x.type = "button";
  x.className = "icon";
  x.textContent = "✕";
  x.setAttribute("aria-label", "Cancel reply");
  x.addEventListener("click", cancelReply);
  bar.append(label, x);
  bar.hidden = false;
  $("text").focus();
}

function cancelReply() {
  state.replyTo = null;
  $("replying").hidden = true;
}

function jump(id) {
  const el = findMessage(id);
  if (!el) return;
  el.scrollIntoView({block: "center"});
  el.classList.add("flash");
  setTimeout(() => el.classList.remove("flash"), 1200);
}

// --- files: picker and drag-and-drop ------------------------------------------------------

function addFiles(files) {
  for (const f of files) {
    if (slash.isOpen && slash.takeFile(f)) continue;
    state.pending.push(f);
  }
  showPending();
}

function showPending() {
  const box = $("pending");
  box.replaceChildren(...state.pending.map((f) => {
    const chip = document.createElement("span");
    chip.className = "chip";
    if (f.type.startsWith("image/")) {
      const img = document.createElement("img");
      img.src = URL.createObjectURL(f);
      img.alt = "";
      img.addEventListener("load", () => URL.revokeObjectURL(img.src), {once: true});
      chip.append(img);
    }
    const name = document.createElement("span");
    name.textContent = f.name;
    const x = document.createElement("button");
    x.type = "button";
    x.className = "icon";
    x.textContent = "✕";
    x.setAttribute("aria-label", `Remove ${f.name}`);
    x.addEventListener("click", () => { state.pending = state.pending.filter((p) => p !== f); showPending(); });
    chip.append(name, x);
    return chip;
  }));
  box.hidden = state.pending.length === 0;
}

$("file").addEventListener("change", (e) => { addFiles([...e.target.files]); e.target.value = ""; });

let dragDepth = 0;
const chat = $("chat");
chat.addEventListener("dragenter", (e) => { e.preventDefault(); dragDepth += 1; $("drop-hint").hidden = false; });
chat.addEventListener("dragover", (e) => { e.preventDefault(); });
chat.addEventListener("dragleave", () => { dragDepth -= 1; if (dragDepth <= 0) { dragDepth = 0; $("drop-hint").hidden = true; } });
chat.addEventListener("drop", (e) => {
  e.preventDefault();
  dragDepth = 0;
  $("drop-hint").hidden = true;
  if (e.dataTransfer && e.dataTransfer.files.length) addFiles([...e.dataTransfer.files]);
});
document.addEventListener("paste", (e) => {
  const files = [...(e.clipboardData ? e.clipboardData.files : [])];
  if (files.length) addFiles(files);
});

// --- slash form and the phone-width menu --------------------------------------------------

$("slash-toggle").addEventListener("click", () => (slash.isOpen ? slash.close() : slash.open()));
$("text").addEventListener("keydown", (e) => {
  if (e.key === "Escape") { slash.close(); cancelReply(); }
});

function closeMenu() {
  $("sidebar").classList.remove("open");
  $("scrim").hidden = true;
  $("menu").setAttribute("aria-expanded", "false");
}
$("menu").addEventListener("click", () => {
  const open = !$("sidebar").classList.contains("open");
  $("sidebar").classList.toggle("open", open);
  $("scrim").hidden = !open;
  $("menu").setAttribute("aria-expanded", String(open));
});
$("scrim").addEventListener("click", closeMenu);
document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeMenu(); });
