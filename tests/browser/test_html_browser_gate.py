"""Without Chromium the browser tests skip locally but fail under CI: a green CI must have run them."""

from __future__ import annotations

import pytest

from tests.browser.conftest import _unavailable


def test_missing_browser_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set, so this fails instead of skipping"):
        _unavailable("/usr/bin/chromium is missing")


def test_missing_browser_skips_with_the_reason_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="is missing; run scripts/install-browser"):
        _unavailable("/usr/bin/chromium is missing")
