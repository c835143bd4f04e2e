// The slash-command form, built from the commands the bot synced: pick a command (and a
// subcommand), fill its options (choices become menus, autocomplete asks the bot as you
// type, attachments take a file or a dropped one), run it.
import {postForm, postJson} from "./api.js";

const SUB = 1, GROUP = 2, STRING = 3, INTEGER = 4, BOOLEAN = 5, USER = 6, CHANNEL = 7, ROLE = 8,
  MENTIONABLE = 9, NUMBER = 10, ATTACHMENT = 11;

// page: {commands(), names(), channelId(), me(), notify(text), busy(flag)}
export class SlashForm {
  constructor(page) {
    this.page = page;
    this.form = document.getElementById("slash-form");
    this.commandSelect = document.getElementById("slash-command");
    this.subSelect = document.getElementById("slash-sub");
    this.desc = document.getElementById("slash-desc");
    this.fields = document.getElementById("slash-options");
    this.inputs = [];  // [{def, el, file}]
    this.commandSelect.addEventListener("change", () => this.showCommand());
    this.subSelect.addEventListener("change", () => this.showOptions());
    document.getElementById("slash-close").addEventListener("click", () => this.close());
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.run(); });
  }

  get isOpen() { return !this.form.hidden; }

  // Open with `text` such as "/dreamconfig set" preselected, when it names a command.
  open(text = "") {
    const words = text.replace(/^\//, "").trim().split(/\s+/).filter(Boolean);
    this.refresh();
    if (words.length && this.page.commands().some((c) => c.name === words[0].toLowerCase())) {
      this.commandSelect.value = words[0].toLowerCase();
    }
    this.showCommand(words.slice(1).join(" ").toLowerCase());
    this.form.hidden = false;
    this.commandSelect.focus();
  }

  close() { this.form.hidden = true; }

  // The commands changed (the bot synced again): rebuild the menu, keeping the choice.
  refresh() {
    const current = this.commandSelect.value;
    this.commandSelect.replaceChildren();
    const commands = this.page.commands();
    if (!commands.length) this.commandSelect.append(new Option("The bot has registered no commands yet", ""));
    for (const c of commands) this.commandSelect.append(new Option(`/${c.name}`, c.name));
    if (commands.some((c) => c.name === current)) this.commandSelect.value = current;
    if (this.isOpen && this.commandSelect.value !== current) this.showCommand();
  }

  command() { return this.page.commands().find((c) => c.name === this.commandSelect.value); }

  showCommand(subPath = "") {
    const command = this.command();
    this.subSelect.replaceChildren();
    const paths = command ? subcommands(command) : [];
    this.subSelect.hidden = paths.length === 0;
    for (const p of paths) this.subSelect.append(new Option(p.path, p.path));
    if (paths.some((p) => p.path === subPath)) this.subSelect.value = subPath;
    this.showOptions();
  }

  // The leaf being filled in: {path: "dreamconfig set", description, options}.
  leaf() {
    const command = this.command();
    if (!command) return null;
    const paths = subcommands(command);
    if (!paths.length) return {path: command.name, description: command.description, options: command.options || []};
    const sub = paths.find((p) => p.path === this.subSelect.value) || paths[0];
    return {path: `${command.name} ${sub.path}`, description: sub.description, options: sub.options};
  }

  showOptions() {
    const leaf = this.leaf();
    this.fields.replaceChildren();
    this.inputs = [];
    this.desc.textContent = leaf ? leaf.description || "" : "";
    if (!leaf) return;
    for (const def of leaf.options) {
      const field = document.createElement("div");
      field.className = "field";
      const id = `opt-${def.name}`;
      const label = document.createElement("label");
      label.htmlFor = id;
      label.innerHTML = "";
      label.textContent = def.name + (def.required ? " *" : "");
      const help = document.createElement("small");
      help.textContent = def.description || "";
      const input = this.input(def, id);
      field.append(label, input.el, help);
      if (input.suggestions) field.append(input.suggestions);
      this.fields.append(field);
      this.inputs.push({def, ...input});
    }
  }

  input(def, id) {
    const names = this.page.names();
    let el;
    if (def.choices && def.choices.length) {
      el = select(id, def.choices.map((c) => [String(c.value), c.name]), !def.required);
    } else if (def.type === BOOLEAN) {
      el = select(id, [["true", "true"], ["false", "false"]], !def.required);
    } else if (def.type === USER || def.type === MENTIONABLE) {
      el = select(id, Object.entries(names.users).map(([v, n]) => [v, `@${n}`]), !def.required);
    } else if (def.type === CHANNEL) {
      el = select(id, Object.entries(names.channels).map(([v, n]) => [v, `#${n}`]), !def.required);
    } else if (def.type === ROLE) {
      el = select(id, Object.entries(names.roles).map(([v, n]) => [v, `@${n}`]), !def.required);
    } else if (def.type === ATTACHMENT) {
      el = document.createElement("input");
      el.type = "file";
      el.id = id;
      el.dataset.option = def.name;
    } else {
      el = document.createElement("input");
      el.id = id;
      el.autocomplete = "off";
      if (def.type === INTEGER || def.type === NUMBER) {
        el.type = "number";
        el.step = def.type === INTEGER ? "1" : "any";
        if (def.min_value !== undefined) el.min = def.min_value;
        if (def.max_value !== undefined) el.max = def.max_value;
      } else {
        el.type = "text";
        if (def.max_length) el.maxLength = def.max_length;
      }
    }
    el.name = def.name;
    const result = {el, file: null, suggestions: null};
    if (def.autocomplete) {
      result.suggestions = document.createElement("ul");
      result.suggestions.className = "suggestions";
      result.suggestions.hidden = true;
      let timer = null;
      const ask = () => { clearTimeout(timer); timer = setTimeout(() => this.suggest(def, el, result.suggestions), 200); };
      el.addEventListener("input", ask);
      el.addEventListener("focus", ask);
    }
    return result;
  }

  async suggest(def, el, list) {
    const leaf = this.leaf();
    const options = {...this.values(true), [def.name]: el.value};
    try {
      const {choices} = await postJson("/api/autocomplete", {
        channel_id: this.page.channelId(), user_id: this.page.me(), name: leaf.path, options, focused: def.name,
      });
      list.replaceChildren();
      for (const c of choices) {
        const item = document.createElement("li");
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = c.name;
        b.dataset.value = String(c.value);
        b.addEventListener("click", () => { el.value = String(c.value); list.hidden = true; });
        item.append(b);
        list.append(item);
      }
      list.hidden = choices.length === 0;
    } catch (e) {
      list.hidden = true;
    }
  }

  // A dropped file goes to the first attachment option; false if there is none.
  takeFile(file) {
    const slot = this.inputs.find((i) => i.def.type === ATTACHMENT);
    if (!slot) return false;
    slot.file = file;
    const note = slot.el.parentElement.querySelector(".dropped") || document.createElement("span");
    note.className = "dropped";
    note.textContent = `📎 ${file.name}`;
    slot.el.after(note);
    return true;
  }

  // Option values typed for Discord; `partial` keeps going past missing required ones.
  values(partial = false) {
    const values = {};
    for (const {def, el} of this.inputs) {
      if (def.type === ATTACHMENT) continue;
      const raw = el.value.trim();
      if (raw === "") {
        if (def.required && !partial) throw new Error(`Fill in ${def.name}.`);
        continue;
      }
      if (def.type === INTEGER) values[def.name] = parseInt(raw, 10);
      else if (def.type === NUMBER) values[def.name] = parseFloat(raw);
      else if (def.type === BOOLEAN) values[def.name] = raw === "true";
      else values[def.name] = raw;
      if (!partial && (def.type === INTEGER || def.type === NUMBER) && Number.isNaN(values[def.name])) {
        throw new Error(`${def.name} must be a number.`);
      }
    }
    return values;
  }

  async run() {
    const leaf = this.leaf();
    if (!leaf) return;
    let options;
    const files = [];
    try {
      options = this.values();
      for (const slot of this.inputs.filter((i) => i.def.type === ATTACHMENT)) {
        const file = (slot.el.files && slot.el.files[0]) || slot.file || this.page.pendingFile();
        if (file) files.push([`attachment:${slot.def.name}`, file]);
        else if (slot.def.required) throw new Error(`Attach a file for ${slot.def.name}.`);
      }
      this.page.checkSize(files.map(([, f]) => f));
    } catch (e) {
      this.page.notify(e.message);
      return;
    }
    this.page.busy(true);
    try {
      await postForm("/api/commands", {
        channel_id: this.page.channelId(), user_id: this.page.me(), name: leaf.path, options: JSON.stringify(options),
      }, files);
      this.page.usedFiles(files.map(([, f]) => f));
      this.close();
      this.showOptions();  // clear the fields for the next time
    } catch (e) {
      this.page.notify(e.message);
    } finally {
      this.page.busy(false);
    }
  }
}

function select(id, pairs, blank) {
  const el = document.createElement("select");
  el.id = id;
  if (blank) el.append(new Option("—", ""));
  for (const [value, label] of pairs) el.append(new Option(label, value));
  return el;
}

// Subcommands as paths ("set", "channels add"), each with its options.
function subcommands(command) {
  const found = [];
  for (const o of command.options || []) {
    if (o.type === SUB) found.push({path: o.name, description: o.description, options: o.options || []});
    if (o.type === GROUP) {
      for (const s of o.options || []) {
        found.push({path: `${o.name} ${s.name}`, description: s.description, options: s.options || []});
      }
    }
  }
  return found;
}
