"""The playground in a real browser (Debian's chromium through chromium-driver and Selenium).

One playground process per module, started as a person starts it (`python -m bot.playground`),
with the real bot and the real model; the page is driven as a person uses it: drop a photo,
type `!dream`, press buttons, fill the slash form, switch to the moderator. Dreams are tiny
(96 px) so they take seconds; every wait is on what the page shows, with generous timeouts.

scripts/test.sh installs chromium and chromium-driver when they are missing. These tests are
skipped only when it could not (it says why in DREAMBOT_NO_BROWSER); a machine without them
otherwise fails here, so CI can't skip them by accident.
"""
from __future__ import annotations

import io
import os
import urllib.request

import pytest
from PIL import Image

from tests.botkit.browser import Page, PlaygroundProcess, find_chromium, start_browser
from tests.botkit.files import cat_jpeg

pytestmark = pytest.mark.slow

PRIVACY = "Privacy: please don't upload photos of yourself or of other people."
PROGRESS = "Dreaming… octave"


def _require_chromium() -> None:
    if find_chromium() is not None:
        return
    why = os.environ.get("DREAMBOT_NO_BROWSER")
    if why:
        pytest.skip(f"browser tests skipped: {why}")
    pytest.fail("chromium and chromium-driver are not installed: run `bash scripts/test.sh` (it installs them "
                "with apt-get) or `apt-get install chromium chromium-driver`")


@pytest.fixture(scope="module")
def playground(tmp_path_factory):
    """The playground, started once for the module; stopping it with Ctrl-C must succeed."""
    _require_chromium()
    process = PlaygroundProcess(["--data", str(tmp_path_factory.mktemp("playground-data"))])
    process.start()
    try:
        process.wait_online()
        yield process
    finally:
        code = process.stop()
    assert code == 0 and "playground: stopped" in process.text, f"exit {code}:\n{process.text}"


@pytest.fixture(scope="module")
def driver(playground):
    browser = start_browser()
    yield browser
    browser.quit()


@pytest.fixture
def page(driver, playground) -> Page:
    driver.set_window_size(1200, 860)
    page = Page(driver, playground.url).open()
    yield page
    assert page.console_errors() == []


@pytest.fixture
def photo(tmp_path) -> bytes:
    """The sample cat, small (128x85 JPEG): a dream of it takes seconds."""
    im = Image.open(io.BytesIO(cat_jpeg())).convert("RGB")
    im.thumbnail((128, 128))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def test_drop_a_photo_dream_see_progress_then_the_result_and_reroll_it(page: Page, playground, photo):
    page.act_as("alice")
    page.channel("general")
    page.drop("cat.jpg", photo, "image/jpeg")  # drag-and-drop, as from a desktop
    before = page.send("!dream layer=mixed4c size=96 steps=10")

    result = page.result(before)
    text = result.text
    assert "layers=mixed4c→mixed5" in text and "steps=10" in text and PRIVACY in text
    # The status message showed the queue or start, then a progress edit, before the result replaced it.
    assert any("🌀" in t for t in page.seen_all()), page.seen_all()
    assert any(PROGRESS in t for t in page.seen_all()), page.seen_all()
    # The reply quotes the command; "Download" serves the PNG itself.
    assert "!dream layer=mixed4c" in page.css(".reply-to", result)[0].text
    link = page.css("a.download", result)[0]
    assert link.text == "Download" and link.get_attribute("download")
    with urllib.request.urlopen(link.get_attribute("href"), timeout=30) as response:
        assert response.read(8) == b"\x89PNG\r\n\x1a\n"
        assert response.headers["Content-Disposition"].startswith("attachment")

    before = page.press(result, "Reroll")
    second = page.result(before)
    assert second.get_attribute("data-id") != result.get_attribute("data-id")
    seed = lambda el: next(w for w in el.text.split() if w.startswith("seed="))  # noqa: E731
    assert seed(second) != seed(result) and "steps=10" in second.text
    assert len([m for m in page.messages() if page.css(".attachment img", m) and m.get_attribute("data-author")
                == "Dreambot"]) >= 2


def test_a_moderator_sets_a_limit_and_a_members_dream_is_clamped(page: Page, photo, tmp_path):
    # A member may not change settings: the refusal is theirs alone.
    page.act_as("alice")
    page.channel("art")
    page.slash("dreamconfig", "set")
    page.fill("key", "max_steps")
    page.fill("value", "1")
    before = page.run_slash()
    refusal = page.bot_reply(before, lambda m: "Only you can see this" in m.text, "the refusal, only for alice")
    refusal_id = refusal.get_attribute("data-id")
    page.act_as("mod")
    assert refusal_id not in page.message_ids()

    # The moderator finds the key through autocomplete and sets it.
    page.slash("dreamconfig", "set")
    page.fill("key", "max_st")
    suggestion = page.wait(lambda: next((b for b in page.suggestions("key") if b.get_attribute("data-value")
                                         == "max_steps"), None), "max_steps suggested")
    suggestion.click()
    assert page.by_id("opt-key").get_attribute("value") == "max_steps"
    page.fill("value", "3")
    before = page.run_slash()
    page.bot_reply(before, lambda m: "Set max_steps to 3" in m.text, "the setting confirmed")

    try:
        page.act_as("alice")
        path = tmp_path / "cat.jpg"
        path.write_bytes(photo)
        page.attach(path)
        before = page.send("!dream size=96 steps=8")
        result = page.result(before)
        assert "steps 8→3" in result.text and "steps=3" in result.text, result.text
    finally:
        page.act_as("mod")
        before = page.send("!dreamconfig reset max_steps")
        page.bot_reply(before, lambda m: "max_steps" in m.text, "the setting reset")


def test_the_slash_form_is_built_from_the_synced_commands(page: Page, playground, photo, tmp_path):
    commands = {c["name"]: c for c in playground.state()["commands"]}
    page.act_as("alice")
    page.channel("general")
    page.slash("dream")
    fields = [f.get_attribute("id") for f in page.css("#slash-options input, #slash-options select")]
    assert fields == [f"opt-{o['name']}" for o in commands["dream"]["options"]]
    assert page.by_id("opt-image").get_attribute("type") == "file"
    # Autocomplete asks the bot: typing "4c" offers the GoogLeNet alias.
    page.fill("layer", "4c")
    page.wait(lambda: next((b for b in page.suggestions("layer") if b.get_attribute("data-value") == "mixed4c"),
                           None), "mixed4c suggested").click()
    assert page.by_id("opt-layer").get_attribute("value") == "mixed4c"
    page.by_id("opt-image").send_keys(str(_write(tmp_path / "cat.jpg", photo)))
    page.fill("size", "96")
    page.fill("steps", "2")
    before = page.run_slash()
    result = page.result(before)
    assert "alice used /dream" in result.text and "layers=mixed4c→mixed5" in result.text


def test_a_bad_file_gets_one_line_and_a_huge_one_never_leaves_the_page(page: Page, tmp_path):
    page.act_as("alice")
    page.channel("general")
    bad = _write(tmp_path / "holiday.png", b"this is not a picture at all\n" * 20)
    page.attach(bad)
    before = page.send("!dream")
    answer = page.bot_reply(before, lambda m: "image" in m.text.lower(), "the answer to a bad file")
    content = page.css(".msg-content", answer)[0].text.replace(" (edited)", "")
    assert "\n" not in content.strip() and "Can't read that image" in content, content
    assert not page.css(".attachment img", answer)

    huge = tmp_path / "huge.jpg"
    with huge.open("wb") as f:
        f.truncate(21 * 2**20)  # over the bot's 20 MB cap
    page.attach(huge)
    page.send("!dream")
    assert "huge.jpg is larger than the 20 MB upload limit" in page.notice()


def test_phone_width(page: Page, driver):
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        page.open()
        width = driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide at 390px"
        assert not page.sidebar_shown() and page.by_id("menu").is_displayed()  # the sidebar is a drawer
        for element_id in ("text", "send", "slash-toggle"):
            rect = page.by_id(element_id).rect
            assert 0 <= rect["x"] and rect["x"] + rect["width"] <= 390 and rect["y"] + rect["height"] <= 844, element_id
        page.channel("art")  # through the ☰ drawer
        page.act_as("alice")
        before = page.send("!dream help")
        help_text = page.bot_reply(before, lambda m: "Dream an image" in m.text, "the help")
        assert help_text.rect["x"] + help_text.rect["width"] <= 390
        page.slash("dream")
        form = page.by_id("slash-form")
        assert form.rect["x"] >= 0 and form.rect["x"] + form.rect["width"] <= 390
        assert driver.execute_script("return document.documentElement.scrollWidth") <= 390
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def _write(path, data: bytes):
    path.write_bytes(data)
    return path

