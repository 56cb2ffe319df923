"""Headless Chromium driven by Selenium, as the browser tests here use it.

Debian's ``chromium`` and ``chromium-driver`` packages are built from the same release, so
the driver always speaks the browser's version, and Selenium (pure Python) talks to the
driver over WebDriver. The service is given explicitly, so Selenium Manager never tries
to download a driver. Set ``CHROMIUM`` / ``CHROMEDRIVER`` for other paths.

``chromium_required`` skips a test class, saying what is missing, where no browser is
installed; with ``TXTEST_REQUIRE_BROWSER=1`` (CI) the class runs and fails instead.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import typing as t
import unittest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")

# Headless, as root in a container (no sandbox, no GPU), and quiet: no background
# networking, updates or sync, which a machine without a network would refuse anyway.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1024,768",
)


def missing() -> str | None:
    """Why no browser test can run here, or None when one can."""
    if importlib.util.find_spec("selenium") is None:
        return "selenium is not installed (pip install selenium; make test installs it)"
    for path, package, variable in (
        (CHROMIUM, "chromium", "CHROMIUM"),
        (CHROMEDRIVER, "chromium-driver", "CHROMEDRIVER"),
    ):
        if not os.path.exists(path):
            return (
                f"{path} is missing (apt-get install chromium chromium-driver installs "
                f"Debian's {package}; or set {variable} to its path)"
            )
    return None


T = t.TypeVar("T")


def chromium_required(test: T) -> T:
    """Skip the class (or test) where no browser is installed, unless
    TXTEST_REQUIRE_BROWSER=1 (then it runs, and fails saying what is missing)."""
    reason = missing()
    if reason is None or os.environ.get("TXTEST_REQUIRE_BROWSER") == "1":
        return test
    return t.cast(T, unittest.skip(f"no browser: {reason}")(test))


def start_chromium() -> t.Any:
    """A new headless Chromium (a ``selenium.webdriver.Chrome``); ``quit()`` it after use."""
    reason = missing()
    if reason is not None:
        raise RuntimeError(f"Cannot start the browser: {reason}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="txtest-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    # A fresh, empty profile per browser: nothing carried over from another run.
    options.add_argument(f"--user-data-dir={profile}")
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except BaseException:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    quit_driver = driver.quit

    def quit() -> None:
        try:
            quit_driver()
        finally:
            shutil.rmtree(profile, ignore_errors=True)

    driver.quit = quit
    return driver
