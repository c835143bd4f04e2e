// Discord's message markdown, the part bots use: code, bold, italics, underline, strike,
// spoilers, quotes, "-#" subtext, links, and mentions of users, channels, roles and times.
// Everything is HTML-escaped first; only the tags made here are ever inserted.

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

// names: {users: {id: name}, channels: {id: name}, roles: {id: name}}
export function renderMarkdown(text, names) {
  const blocks = String(text).split(/```/);
  return blocks.map((block, i) => {
    if (i % 2 === 1) {  // a fenced code block; a first line that is one word names the language
      const body = block.replace(/^[a-z0-9+-]*\n/i, "");
      return `<pre><code>${escapeHtml(body.replace(/\n$/, ""))}</code></pre>`;
    }
    return renderLines(block, names);
  }).join("");
}

function renderLines(text, names) {
  return text.split("\n").map((line) => {
    if (line.startsWith("-# ")) return `<small class="subtext">${renderInline(line.slice(3), names)}</small>`;
    const heading = /^(#{1,3}) (.*)$/.exec(line);
    if (heading) return `<strong class="h${heading[1].length}">${renderInline(heading[2], names)}</strong>`;
    if (line.startsWith("> ")) return `<span class="quote">${renderInline(line.slice(2), names)}</span>`;
    return renderInline(line, names);
  }).join("<br>");
}

function renderInline(text, names) {
  return text.split(/(`[^`]+`)/).map((part) => {
    if (part.length > 2 && part.startsWith("`") && part.endsWith("`")) {
      return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
    }
    let html = escapeHtml(part);
    html = mentions(html, names);
    html = html
      .replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>")
      .replace(/__(.+?)__/g, "<u>$1</u>")
      .replace(/(^|[^*])\*(?!\s)(.+?)\*(?!\*)/g, "$1<em>$2</em>")
      .replace(/(^|[\s(])_(?!\s)(.+?)_(?=$|[\s).,!?])/g, "$1<em>$2</em>")
      .replace(/~~(.+?)~~/g, "<s>$1</s>")
      .replace(/\|\|(.+?)\|\|/g, '<span class="spoiler" tabindex="0">$1</span>');
    return links(html);
  }).join("");
}

function mentions(html, names) {
  const users = names.users || {}, channels = names.channels || {}, roles = names.roles || {};
  return html
    .replace(/&lt;@!?(\d+)&gt;/g, (_, id) => `<span class="mention">@${escapeHtml(users[id] || "unknown-user")}</span>`)
    .replace(/&lt;@&amp;(\d+)&gt;/g, (_, id) => `<span class="mention">@${escapeHtml(roles[id] || "unknown-role")}</span>`)
    .replace(/&lt;#(\d+)&gt;/g, (_, id) => `<span class="mention">#${escapeHtml(channels[id] || "unknown")}</span>`)
    .replace(/&lt;t:(-?\d+)(?::([tTdDfFR]))?&gt;/g, (_, secs, style) => `<time>${escapeHtml(timestamp(Number(secs), style))}</time>`)
    .replace(/&lt;a?:(\w+):\d+&gt;/g, ":$1:");
}

function links(html) {
  // Only http(s) URLs become links; they open in a new tab without telling the target where from.
  return html.replace(/\bhttps?:\/\/[^\s<]+[^\s<.,:;"')\]]/g,
    (url) => `<a href="${url}" target="_blank" rel="noopener noreferrer">${url}</a>`);
}

export function timestamp(seconds, style) {
  const date = new Date(seconds * 1000);
  if (style === "R") {
    const diff = Math.round((date.getTime() - Date.now()) / 1000);
    const abs = Math.abs(diff);
    const [value, unit] = abs < 60 ? [abs, "second"] : abs < 3600 ? [Math.round(abs / 60), "minute"]
      : abs < 86400 ? [Math.round(abs / 3600), "hour"] : [Math.round(abs / 86400), "day"];
    const words = `${value} ${unit}${value === 1 ? "" : "s"}`;
    return diff >= 0 ? `in ${words}` : `${words} ago`;
  }
  if (style === "t") return date.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit"});
  if (style === "T") return date.toLocaleTimeString();
  if (style === "d") return date.toLocaleDateString();
  return date.toLocaleString();
}
