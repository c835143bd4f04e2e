"""The playground in a real browser: start `python -m bot.playground`, drive its page with Selenium.

Used by tests/test_playground_browser.py and scripts/screenshots.py.

- `find_chromium()`: Debian's chromium and chromium-driver (scripts/test.sh installs them).
- `PlaygroundProcess`: the playground as a user starts it, in a subprocess; `url`, then
  `stop()` sends SIGINT and returns its exit code and output.
- `Page`: one browser tab on the page: act as a person, attach, send, press, fill the slash
  form, and wait on what the page shows (DOM conditions, never sleeps). It also records every
  text a message showed, however briefly (a MutationObserver), so a progress edit that the
  result replaces a moment later is still seen.
"""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: Where Debian puts them (chromium, chromium-driver).
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
URL_LINE = re.compile(r"Dreambot playground: (http://\S+)")


def find_chromium() -> tuple[str, str] | None:
    """(browser, driver) paths, or None when either is missing."""
    browser = next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@dataclass
class PlaygroundProcess:
    """`python -m bot.playground --port 0 [args]` in a subprocess, its output collected by a thread."""

    args: list[str] = field(default_factory=list)
    output: list[str] = field(default_factory=list)
    url: str = ""

    def start(self, timeout: float = 120.0) -> str:
        """Start it and return the page's URL (printed before the model loads)."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([sys.executable, "-m", "bot.playground", "--port", "0", *self.args],
                                     cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, start_new_session=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while not self.url:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the playground exited with {self.proc.returncode}:\n{self.text}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the playground printed no URL in {timeout}s:\n{self.text}")
            time.sleep(0.1)
        return self.url

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.output.append(line)
            found = URL_LINE.search(line)
            if found and not self.url:
                self.url = found.group(1)

    @property
    def text(self) -> str:
        return "".join(self.output)

    def state(self) -> dict:
        with urllib.request.urlopen(self.url + "api/state", timeout=10) as response:
            return json.load(response)

    def wait_online(self, timeout: float = 300.0) -> None:
        """Until the bot is connected (its model loaded) and has synced its commands."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            if state["bot"]["online"] and state["commands"]:
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the bot did not come online (exit {self.proc.poll()}):\n{self.text}")
            time.sleep(0.5)

    def stop(self, timeout: float = 90.0) -> int:
        """Ctrl-C (SIGINT), as a person stops it; the exit code (killed after `timeout`: -9)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._reader.join(5)
        return self.proc.returncode


def start_browser(width: int = 1200, height: int = 860):
    """Headless chromium through chromium-driver, nothing downloaded (no Selenium Manager)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_chromium()
    if found is None:
        raise RuntimeError("chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)")
    browser, driver = found
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--hide-scrollbars", "--lang=en-US", "--force-color-profile=srgb"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(driver), options=options)


#: Records every text each message element shows, in order, into window.__seen[id].
RECORDER = """
window.__seen = {};
const note = (el) => {
  const id = el.dataset.id, text = el.innerText;
  const seen = (window.__seen[id] = window.__seen[id] || []);
  if (seen[seen.length - 1] !== text) seen.push(text);
};
document.querySelectorAll('article.msg').forEach(note);
new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes) if (n.nodeType === 1 && n.matches('article.msg')) note(n);
}).observe(document.getElementById('messages'), {childList: true});
"""

#: Drops files on the chat as a person dragging them from their desktop would.
DROP = """
const [files, done] = [arguments[0], arguments[arguments.length - 1]];
const transfer = new DataTransfer();
for (const f of files) {
  const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
  transfer.items.add(new File([bytes], f.name, {type: f.type}));
}
const chat = document.getElementById('chat');
for (const type of ['dragenter', 'dragover', 'drop']) {
  chat.dispatchEvent(new DragEvent(type, {dataTransfer: transfer, bubbles: true, cancelable: true}));
}
done(true);
"""


class Page:
    """The playground page in one browser; waits are generous (a shared machine), and on the DOM."""

    def __init__(self, driver, url: str, *, timeout: float = 30.0, dream_timeout: float = 240.0) -> None:
        self.driver, self.url = driver, url
        self.timeout, self.dream_timeout = timeout, dream_timeout

    # -- finding things --------------------------------------------------------------------------

    def by_id(self, element_id: str):
        from selenium.webdriver.common.by import By
        return self.driver.find_element(By.ID, element_id)

    def css(self, selector: str, root=None) -> list:
        from selenium.webdriver.common.by import By
        return (root or self.driver).find_elements(By.CSS_SELECTOR, selector)

    def wait(self, condition, what: str, timeout: float | None = None):
        """`condition()`'s first truthy value; the failure names `what` and shows the page."""
        from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        def check(_):
            try:
                return condition()
            except StaleElementReferenceException:
                return None  # re-rendered meanwhile: look again
        try:
            return WebDriverWait(self.driver, timeout or self.timeout, poll_frequency=0.2).until(check)
        except TimeoutException:
            raise AssertionError(f"timed out waiting for {what}; the page shows:\n{self.transcript()}") from None

    def transcript(self) -> str:
        return self.by_id("messages").text

    def messages(self) -> list:
        return self.css("#messages article.msg")

    def message_ids(self) -> set[str]:
        return {m.get_attribute("data-id") for m in self.messages()}

    def new_messages(self, before: set[str], author: str | None = None) -> list:
        return [m for m in self.messages() if m.get_attribute("data-id") not in before
                and (author is None or m.get_attribute("data-author") == author)]

    def seen(self, message_id: str) -> list[str]:
        """Every text the message showed since the page loaded (see RECORDER)."""
        return self.driver.execute_script("return (window.__seen || {})[arguments[0]] || []", message_id)

    def seen_all(self) -> list[str]:
        return [text for texts in self.driver.execute_script("return window.__seen || {}").values()
                for text in texts]

    # -- acting ----------------------------------------------------------------------------------

    def open(self) -> Page:
        """Load the page and wait until the bot is online; start recording what messages show."""
        self.driver.get(self.url)
        self.wait(lambda: "is online" in self.by_id("bot-status").get_attribute("textContent"), "the bot online",
                  timeout=300)
        self.driver.execute_script(RECORDER)
        return self

    def sidebar_shown(self) -> bool:
        """False at phone width until the ☰ menu opens the drawer."""
        rect = self.by_id("sidebar").rect
        return rect["x"] + rect["width"] > 0

    def _with_sidebar(self) -> bool:
        """Open the drawer if it is closed; True if it was opened (and should be closed again)."""
        if self.sidebar_shown():
            return False
        self.by_id("menu").click()
        self.wait(lambda: self.by_id("sidebar").rect["x"] >= 0, "the drawer open")
        return True

    def act_as(self, name: str) -> None:
        from selenium.webdriver.support.ui import Select
        opened = self._with_sidebar()
        select = Select(self.by_id("member"))
        label = next(o.text for o in select.options if o.text.startswith(name + " "))
        select.select_by_visible_text(label)
        self.wait(lambda: self.by_id("as-who").text == f"as {name}", f"acting as {name}")
        if opened:  # choosing someone else closes the drawer; Escape closes it too
            if self.sidebar_shown():
                from selenium.webdriver.common.keys import Keys
                self.by_id("member").send_keys(Keys.ESCAPE)
            self.wait(lambda: not self.sidebar_shown(), "the drawer closed")

    def channel(self, name: str) -> None:
        self._with_sidebar()
        self.css(f'button.channel[data-channel="{name}"]')[0].click()  # closes the drawer
        self.wait(lambda: self.by_id("channel-title").text == f"# {name}", f"channel #{name}")
        self.wait(lambda: self.sidebar_shown() != self.by_id("menu").is_displayed(), "the drawer closed")

    def attach(self, path: Path) -> None:
        """Attach a file through the composer's file picker."""
        self.by_id("file").send_keys(str(path))
        self.wait(lambda: path.name in self.by_id("pending").text, f"{path.name} waiting in the composer")

    def drop(self, name: str, data: bytes, mime: str) -> None:
        """Drop a file on the chat (drag-and-drop from the desktop)."""
        self.driver.execute_async_script(DROP, [{"name": name, "type": mime, "data": base64.b64encode(data).decode()}])
        self.wait(lambda: name in self.by_id("pending").text, f"{name} waiting in the composer")

    def send(self, text: str) -> set[str]:
        """Type `text` and send it; returns the ids shown before, to find what is new."""
        before = self.message_ids()
        box = self.by_id("text")
        box.clear()
        box.send_keys(text)
        self.by_id("send").click()
        self.wait(lambda: self.by_id("text").get_attribute("value") == "" or self.by_id("notice").is_displayed(),
                  "the message to leave the composer (or a notice why not)")
        return before

    def press(self, message, label: str) -> set[str]:
        before = self.message_ids()
        button = next(b for b in self.css("button.btn", message) if b.text == label)
        button.click()
        return before

    def slash(self, command: str, sub: str | None = None) -> None:
        """Open the slash form on `/command [sub]`."""
        from selenium.webdriver.support.ui import Select
        if not self.by_id("slash-form").is_displayed():
            self.by_id("slash-toggle").click()
        self.wait(lambda: self.by_id("slash-form").is_displayed(), "the slash form")
        Select(self.by_id("slash-command")).select_by_value(command)
        if sub is not None:
            Select(self.by_id("slash-sub")).select_by_value(sub)
        self.wait(lambda: self.css("#slash-options .field") or not self.css("#slash-options *"), "the options")

    def fill(self, option: str, value: str) -> None:
        from selenium.webdriver.support.ui import Select
        field = self.by_id(f"opt-{option}")
        if field.tag_name == "select":
            Select(field).select_by_value(value)
        else:
            field.clear()
            field.send_keys(value)

    def suggestions(self, option: str) -> list:
        field = self.by_id(f"opt-{option}")
        return self.css(".suggestions button", field.find_element("xpath", ".."))

    def run_slash(self) -> set[str]:
        before = self.message_ids()
        self.by_id("slash-run").click()
        self.wait(lambda: not self.by_id("slash-form").is_displayed() or self.by_id("notice").is_displayed(),
                  "the command to run")
        return before

    # -- what the bot answered -------------------------------------------------------------------

    def bot_reply(self, before: set[str], predicate, what: str, timeout: float | None = None):
        """The first new message from the bot for which `predicate(element)` holds."""
        def find():
            return next((m for m in self.new_messages(before, "Dreambot") if predicate(m)), None)
        return self.wait(find, what, timeout)

    def result(self, before: set[str]):
        """The bot's new message with a loaded image and its buttons; fails at once on an error reply."""
        def done(m):
            if m.text.count("⚠️"):
                raise AssertionError(f"the bot answered with an error:\n{m.text}")
            images = self.css(".attachment img", m)
            return images and self.driver.execute_script("return arguments[0].naturalWidth", images[0]) > 0 \
                and any(b.text == "Reroll" for b in self.css("button.btn", m))
        return self.bot_reply(before, done, "a dreamed image", self.dream_timeout)

    def notice(self) -> str:
        self.wait(lambda: self.by_id("notice").is_displayed(), "a notice")
        return self.by_id("notice").text

    def console_errors(self) -> list[str]:
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]
