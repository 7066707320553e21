"""Browser tests: Debian's /usr/bin/chromium driven by Playwright's Python API, headless, no downloads.

`scripts/install-browser` installs both. Without them the tests skip with the reason, except under CI
(the environment variable CI is set), where a missing browser is a failure, not a silent skip.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, ConsoleMessage, Dialog, Page, Request

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping; run scripts/install-browser)")
    pytest.skip(f"{reason}; run scripts/install-browser")


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the Python package playwright is not installed")
    profile = tmp_path_factory.mktemp("chromium-profile")  # a fresh user-data dir
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            service_workers="block",
            accept_downloads=False,
        )
        try:
            yield context
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)


@dataclass
class Opened:
    """A report open in a page, with everything it did that it should not have."""

    page: Page
    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def visible_findings(self) -> int:
        return int(
            self.page.evaluate(
                "() => document.querySelectorAll('#finding-list > article[data-f]:not([hidden])').length"
            )
        )

    def assert_clean(self) -> None:
        assert self.console_errors == []
        assert self.page_errors == []
        assert self.dialogs == []
        assert self.requests == [self.url], f"unexpected requests: {self.requests}"


@pytest.fixture
def open_report(browser_context: BrowserContext, tmp_path: Path) -> Iterator[Callable[..., Opened]]:
    pages: list[Page] = []

    def _open(html: str, name: str = "report.html", fragment: str = "") -> Opened:
        path = tmp_path / name
        path.write_text(html, encoding="utf-8")
        page = browser_context.new_page()
        pages.append(page)
        opened = Opened(page=page, url=path.as_uri())

        def on_console(message: ConsoleMessage) -> None:
            if message.type in ("error", "assert"):
                opened.console_errors.append(message.text)

        def on_dialog(dialog: Dialog) -> None:
            opened.dialogs.append(dialog.message)
            dialog.dismiss()

        def on_request(request: Request) -> None:
            opened.requests.append(request.url.split("#", 1)[0])

        page.on("console", on_console)
        page.on("pageerror", lambda error: opened.page_errors.append(str(error)))
        page.on("dialog", on_dialog)
        page.on("request", on_request)
        # Anything but the report itself is refused (and recorded above), so nothing can leave the machine.
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
        page.goto(opened.url + fragment, wait_until="load")
        return opened

    yield _open
    for page in pages:
        page.close()
