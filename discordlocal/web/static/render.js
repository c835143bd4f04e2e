// One message as an element: author, the command or reply it answers, text, files (with a
// Download link), embeds, buttons and selects, reactions, and the ephemeral and loading states.
import {escapeHtml, renderMarkdown} from "./markdown.js";

const BUTTON_STYLES = {1: "primary", 2: "secondary", 3: "success", 4: "danger", 5: "link", 6: "premium"};

// ctx: {names, me (user id), onComponent(msg, component, values), onReply(msg), onJump(id), onDismiss(msg)}
export function renderMessage(msg, ctx) {
  const el = document.createElement("article");
  el.className = "msg";
  el.dataset.id = msg.id;
  el.dataset.author = msg.author.name;
  if (msg.ephemeral) el.classList.add("ephemeral");
  if (msg.author.bot) el.classList.add("from-bot");

  if (msg.interaction) {
    el.append(line("context", `<span class="who">${escapeHtml(msg.interaction.user)}</span> used <span class="cmd">/${escapeHtml(msg.interaction.name)}</span>`));
  } else if (msg.reference) {
    const ref = msg.reference;
    const what = ref.author === null ? "<em>Original message was deleted</em>"
      : `<span class="who">@${escapeHtml(ref.author)}</span> ${escapeHtml(ref.content || (ref.files ? "📎 attachment" : ""))}`;
    const ctxLine = line("context reply-to", `↱ ${what}`);
    ctxLine.addEventListener("click", () => ctx.onJump(ref.id));
    el.append(ctxLine);
  }

  const head = document.createElement("header");
  head.className = "msg-head";
  head.innerHTML = `<span class="avatar" aria-hidden="true">${escapeHtml(msg.author.name.slice(0, 1).toUpperCase())}</span>`
    + `<span class="author">${escapeHtml(msg.author.name)}</span>`
    + (msg.author.bot ? '<span class="tag">BOT</span>' : "")
    + `<time class="when" datetime="${escapeHtml(msg.timestamp)}">${escapeHtml(shortTime(msg.timestamp))}</time>`;
  const reply = document.createElement("button");
  reply.type = "button";
  reply.className = "reply-btn";
  reply.textContent = "Reply";
  reply.addEventListener("click", () => ctx.onReply(msg));
  if (!msg.ephemeral && !msg.loading) head.append(reply);
  el.append(head);

  const body = document.createElement("div");
  body.className = "msg-body";
  if (msg.loading) {
    body.append(line("thinking", `${escapeHtml(msg.author.name)} is thinking<span class="dots"><i>.</i><i>.</i><i>.</i></span>`));
  }
  if (msg.content) {
    const content = document.createElement("div");
    content.className = "msg-content";
    content.innerHTML = renderMarkdown(msg.content, ctx.names)
      + (msg.edited ? ' <span class="edited">(edited)</span>' : "");
    body.append(content);
  }
  if (msg.attachments.length) body.append(attachments(msg.attachments));
  for (const embed of msg.embeds) body.append(renderEmbed(embed, msg, ctx));
  if (msg.components.length) body.append(components(msg, ctx));
  if (msg.reactions.length) {
    const row = document.createElement("div");
    row.className = "reactions";
    for (const r of msg.reactions) {
      const chip = document.createElement("span");
      chip.className = "reaction";
      chip.textContent = `${r.emoji} ${r.count}`;
      row.append(chip);
    }
    body.append(row);
  }
  if (msg.ephemeral) {
    const note = line("only-you", "Only you can see this · ");
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.className = "linkish";
    dismiss.textContent = "Dismiss message";
    dismiss.addEventListener("click", () => ctx.onDismiss(msg));
    note.append(dismiss);
    body.append(note);
  }
  el.append(body);
  return el;
}

function line(cls, html) {
  const div = document.createElement("div");
  div.className = cls;
  div.innerHTML = html;
  return div;
}

function shortTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
}

function size(bytes) {
  return bytes < 1024 ? `${bytes} B` : bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

function attachments(files) {
  const box = document.createElement("div");
  box.className = "attachments";
  for (const f of files) {
    const fig = document.createElement("figure");
    fig.className = "attachment";
    if (f.image) {
      const link = document.createElement("a");
      link.href = f.url;
      link.target = "_blank";
      link.rel = "noopener";
      const img = document.createElement("img");
      img.src = f.url;
      img.alt = f.filename;
      if (f.width && f.height) { img.width = f.width; img.height = f.height; }
      link.append(img);
      if (f.spoiler) {
        fig.classList.add("spoiler-img");
        fig.addEventListener("click", (e) => {
          if (fig.classList.contains("spoiler-img")) { e.preventDefault(); fig.classList.remove("spoiler-img"); }
        }, true);
      }
      fig.append(link);
    } else {
      fig.append(line("file-card", `📄 ${escapeHtml(f.filename)}`));
    }
    const caption = document.createElement("figcaption");
    caption.innerHTML = `<span class="filename">${escapeHtml(f.filename)}</span> · ${size(f.size)}`
      + (f.width ? ` · ${f.width}×${f.height}` : "") + " · ";
    const download = document.createElement("a");
    download.href = f.download_url;
    download.download = f.filename;
    download.className = "download";
    download.textContent = "Download";
    caption.append(download);
    fig.append(caption);
    box.append(fig);
  }
  return box;
}

export function renderEmbed(embed, msg, ctx) {
  const el = document.createElement("div");
  el.className = "embed";
  if (typeof embed.color === "number") el.style.borderLeftColor = `#${embed.color.toString(16).padStart(6, "0")}`;
  const parts = [];
  if (embed.author && embed.author.name) parts.push(`<div class="embed-author">${escapeHtml(embed.author.name)}</div>`);
  if (embed.title) parts.push(`<div class="embed-title">${renderMarkdown(embed.title, ctx.names)}</div>`);
  if (embed.description) parts.push(`<div class="embed-desc">${renderMarkdown(embed.description, ctx.names)}</div>`);
  if (embed.fields && embed.fields.length) {
    parts.push('<div class="embed-fields">' + embed.fields.map((f) =>
      `<div class="embed-field${f.inline ? " inline" : ""}"><div class="embed-field-name">${renderMarkdown(f.name, ctx.names)}</div>`
      + `<div>${renderMarkdown(f.value, ctx.names)}</div></div>`).join("") + "</div>");
  }
  el.innerHTML = parts.join("");
  // Images only from this message's own files (attachment://name): the page loads nothing from elsewhere.
  for (const key of ["thumbnail", "image"]) {
    const url = embed[key] && embed[key].url;
    const file = url && url.startsWith("attachment://") && msg.attachments.find((a) => a.filename === url.slice(13));
    if (file) {
      const img = document.createElement("img");
      img.className = `embed-${key}`;
      img.src = file.url;
      img.alt = file.filename;
      el.append(img);
    }
  }
  if (embed.footer && embed.footer.text) el.append(line("embed-footer", escapeHtml(embed.footer.text)));
  return el;
}

function components(msg, ctx) {
  const box = document.createElement("div");
  box.className = "components";
  for (const row of msg.components) {
    const rowEl = document.createElement("div");
    rowEl.className = "component-row";
    for (const c of row.components || []) rowEl.append(component(msg, c, ctx));
    box.append(rowEl);
  }
  return box;
}

function component(msg, c, ctx) {
  if (c.type === 2) {
    if (c.style === 5 && c.url) {  // a link button
      const a = document.createElement("a");
      a.className = "btn link";
      a.href = c.url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      a.textContent = `${c.label || c.url} ↗`;
      return a;
    }
    const b = document.createElement("button");
    b.type = "button";
    b.className = `btn ${BUTTON_STYLES[c.style] || "secondary"}`;
    b.textContent = [c.emoji && c.emoji.name, c.label].filter(Boolean).join(" ");
    b.disabled = Boolean(c.disabled);
    b.dataset.customId = c.custom_id || "";
    b.addEventListener("click", () => ctx.onComponent(msg, c, null, b));
    return b;
  }
  if ([3, 5, 6, 7, 8].includes(c.type)) {
    const select = document.createElement("select");
    select.className = "component-select";
    select.disabled = Boolean(c.disabled);
    select.multiple = (c.max_values || 1) > 1;
    const placeholder = new Option(c.placeholder || "Make a selection", "");
    placeholder.disabled = true;
    if (!select.multiple) select.append(placeholder);
    select.value = "";
    for (const o of options(c, ctx)) select.append(new Option(o.label, o.value, false, Boolean(o.default)));
    select.addEventListener("change", () => {
      const values = [...select.selectedOptions].map((o) => o.value).filter(Boolean);
      if (values.length) ctx.onComponent(msg, c, values, select);
    });
    return select;
  }
  return line("unknown-component", `(component type ${Number(c.type)})`);
}

function options(c, ctx) {
  if (c.type === 3) return c.options || [];
  const table = {5: ctx.names.users, 6: ctx.names.roles, 7: ctx.names.users, 8: ctx.names.channels}[c.type] || {};
  return Object.entries(table).map(([value, label]) => ({value, label}));
}
