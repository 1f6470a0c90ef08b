"""What every role's day in the browser checks at each step (tests/browser/test_journeys_*.py).

A journey moves through the app's own navigation; after each page it asks the same questions a
person holding the phone would: did it answer in under a second, is it all in Chinese, does it
fit the screen. Timings of every step are written to test-artifacts/journey-timings.json so the
figures can be read after a run.
"""

import json
import re
from pathlib import Path

from django.contrib.auth import get_user_model
from playwright.sync_api import expect

PHONE_WIDTH = 390
STEP_BUDGET_MS = 1000
# The suite shares two cores with other work: one step of a journey may be caught behind a
# neighbour's burst, a slow page is slow at every step. So one step may run over the budget, up
# to twice it; a second step over budget, or any over twice it, fails the journey.
STEP_HARD_LIMIT_MS = 2 * STEP_BUDGET_MS
# Latin words allowed on a Chinese page: the language switch in the footer names its language,
# file formats are named as Chinese software names them (JPEG、WebP、Excel、.docx).
ALLOWED_WORDS = {"English", "Gongzhi", "JPEG", "WebP", "Excel", "docx", "xlsx"}
ENGLISH_WORD = re.compile(r"[A-Za-z]{4,}")

# Full names the persona world leaves empty: a Chinese page shows people by name, and the
# header falls back to the username only for an account nobody named.
NAMES = {
    "official": "周主任",
    "staff_a": "陈社工",
    "staff_b": "何社工",
    "grid_a1": "刘网格",
    "partner_a": "王建国",
    "resident_a": "王建国",
}


def name_the_personas() -> None:
    User = get_user_model()
    for username, name in NAMES.items():
        User.objects.filter(username=username).update(first_name=name, last_name="")


class Journey:
    """One person's walk: ``step`` after every page they reach, ``shot`` at the key moments."""

    def __init__(self, page, artifacts: Path, name: str, *, phone: bool):
        self.page = page
        self.artifacts = artifacts
        self.name = name
        self.phone = phone
        self.timings: list[tuple[str, float]] = []  # (step, ms), in the order walked

    def log_in(self, username: str) -> None:
        """The login page is typed in; everything after it is reached by clicking."""
        self.page.goto("/accounts/login/")
        self.page.locator("input[name=username]").fill(username)
        self.page.locator("input[name=password]").fill("pw-" + username)
        self.page.locator("main button[type=submit]").click()
        self.page.wait_for_url(lambda url: url.rstrip("/").count("/") == 2)
        expect(self.page.locator("header .who")).to_contain_text(NAMES[username])
        self.step("home")

    def step(self, label: str) -> float:
        """The page just reached: its load time (navigation timing), language and width."""
        page = self.page
        page.wait_for_load_state("load")
        ms = page.evaluate(
            "() => { const nav = performance.getEntriesByType('navigation')[0];"
            " return nav.loadEventEnd - nav.startTime; }"
        )
        self._timed(label, ms)
        assert_chinese(page, f"{self.name}/{label}")
        if self.phone:
            assert_fits_phone(page, f"{self.name}/{label}")
        return ms

    def go(self, locator, label: str) -> float:
        """Click a link or submit button and take the step on the page it leads to."""
        with self.page.expect_navigation():
            locator.click()
        return self.step(label)

    def timed(self, label: str, action, ready) -> float:
        """An in-page request (htmx): from the action until ``ready`` holds."""
        started = self.page.evaluate("performance.now()")
        action()
        ready()
        ms = self.page.evaluate("performance.now()") - started
        self._timed(label, ms)
        return ms

    def _timed(self, label: str, ms: float) -> None:
        self.timings.append((label, round(ms, 1)))
        assert ms < STEP_HARD_LIMIT_MS, f"{self.name}/{label}: {self.page.url} took {ms:.0f} ms"

    def shot(self, label: str) -> None:
        """A screenshot at a key moment; on a phone the filled-in page must still fit."""
        if self.phone:
            assert_fits_phone(self.page, f"{self.name}/{label}")
        self.page.screenshot(
            path=self.artifacts / f"journey-{self.name}-{label}.png", full_page=True
        )

    def tab(self, text: str) -> None:
        """A tap on the phone's bottom tab bar."""
        self.page.locator("nav.tabbar a", has_text=text).click()

    def menu(self, text: str) -> None:
        """A click on the desktop's top menu."""
        with self.page.expect_navigation():
            self.page.locator("nav.main-nav a", has_text=text).first.click()

    def finish(self) -> None:
        """Write the journey's timings, then hold them to the budget."""
        path = self.artifacts / "journey-timings.json"
        data = json.loads(path.read_text()) if path.exists() else {}
        data[self.name] = dict(self.timings)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1))
        slow = [(label, ms) for label, ms in self.timings if ms >= STEP_BUDGET_MS]
        assert len(slow) <= 1, f"{self.name}: steps over {STEP_BUDGET_MS} ms: {slow}"


def visible_english(page) -> list[str]:
    text = page.evaluate("document.body.innerText")
    return sorted({w for w in ENGLISH_WORD.findall(text) if w not in ALLOWED_WORDS})


def assert_chinese(page, where: str) -> None:
    words = visible_english(page)
    assert not words, f"{where}: English on a Chinese page ({page.url}): {words}"


# Below 640 px the stylesheet sets `overflow-x: hidden` on html and body, so scrollWidth stays
# 390 even when a form field runs off the screen: look for elements reaching past the edge
# instead, except inside a box that scrolls sideways on purpose (a wide table's wrapper).
OFF_SCREEN = """(width) => {
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= width + 0.5) continue;
    if (el.closest("#menu:not(:target)") || getComputedStyle(el).visibility === "hidden") continue;
    let parent = el.parentElement, inScroller = false;
    while (parent && parent !== document.body) {
      if (scrolls(parent)) { inScroller = true; break; }
      parent = parent.parentElement;
    }
    if (!inScroller) out.push(`${el.tagName.toLowerCase()}.${el.className} ${Math.round(box.right)}px`);
  }
  return out.slice(0, 5);
}"""


def assert_fits_phone(page, where: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{where}: {page.url} is {width} px wide"
    wide = page.evaluate(OFF_SCREEN, PHONE_WIDTH)
    assert not wide, f"{where}: {page.url} runs past the {PHONE_WIDTH} px screen: {wide}"


def pick(picker, text: str, value: str) -> None:
    """Type part of a name into a type-ahead picker and choose the match with ``value``."""
    picker.locator(".picker-q").fill(text)
    picker.locator(f".picker-option[data-value='{value}']").click()
    expect(picker.locator(f"input[type=hidden][value='{value}']")).to_have_count(1)
