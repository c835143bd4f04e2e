"""Screenshots of the playground for the README: `.venv/bin/python scripts/screenshots.py`.

Starts the playground as a person would (`python -m bot.playground`), opens its page in
headless chromium (Debian's chromium and chromium-driver, as the browser tests use), and saves:

- docs/playground-before.png: a photo dropped in the composer, `!dream layer=mixed4c` typed;
- docs/playground-after.png: the dream posted, with its settings, privacy reminder and buttons;
- docs/playground-phone.png: the same conversation at phone width (390 px).

PNGs are reduced to 256 colours when that keeps them under 300 KB. The dream uses a fixed
seed, so the pictures only change when the page or the engine does.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PIL import Image  # noqa: E402

from tests.botkit.browser import Page, PlaygroundProcess, start_browser  # noqa: E402

DOCS = REPO / "docs"
MAX_BYTES = 300 * 1024
COMMAND = "!dream layer=mixed4c size=448 seed=2015"


def main() -> int:
    photo = _photo()
    playground = PlaygroundProcess()
    playground.start()
    driver = None
    try:
        playground.wait_online()
        driver = start_browser(1200, 760)
        page = Page(driver, playground.url).open()
        page.act_as("alice")
        page.channel("general")
        page.drop("cat.jpg", photo, "image/jpeg")
        page.by_id("text").send_keys(COMMAND)
        _save(driver, "playground-before.png")

        page.by_id("send").click()
        result = page.result(page.message_ids())
        driver.execute_script("arguments[0].scrollIntoView({block: 'end'})", result)
        _save(driver, "playground-after.png")

        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
        page.open()
        page.wait(lambda: page.css(".attachment img"), "the conversation")
        driver.execute_script("document.getElementById('messages').scrollTop = 1e9")
        _save(driver, "playground-phone.png")
    finally:
        if driver is not None:
            driver.quit()
        code = playground.stop()
    print(f"playground exited with {code}")
    return 0 if code == 0 else 1


def _photo() -> bytes:
    """The sample cat at 640 px: big enough to look like a photo, small enough to dream quickly."""
    im = Image.open(DOCS / "sample-cat.jpg").convert("RGB")
    im.thumbnail((640, 640))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=88)
    return buf.getvalue()


def _save(driver, name: str) -> None:
    """Save the viewport as PNG; 256 colours when the full-colour file would be too big."""
    im = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    path = DOCS / name
    im.save(path, optimize=True)
    if path.stat().st_size > MAX_BYTES:
        im.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    print(f"{path.relative_to(REPO)}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    sys.exit(main())
