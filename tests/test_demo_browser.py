"""The demo in a real browser: ``tradewar demo`` serves the page, Playwright drives Debian's
chromium through it (load a scenario, move a slider, reset, step) and checks that the charts and the
narrative change.  A screenshot goes to ``results/test-artifacts/``.

Needs chromium (``apt-get install chromium``), the ``playwright`` package (never
``playwright install``: it downloads browsers) and solara's assets, which are fetched from
the npm registry here (``python -m sim.teach.offline_assets``).  Without them the test is skipped,
unless ``TRADEWAR_REQUIRE_BROWSER=1`` (set by ``.ci/run``) turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .conftest import ROOT, SCENARIOS

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "results" / "test-artifacts"
REQUIRED = os.environ.get("TRADEWAR_REQUIRE_BROWSER") == "1"


def _unavailable(reason: str):
    if REQUIRED:
        pytest.fail(f"{reason} (TRADEWAR_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


@pytest.fixture(scope="module")
def chromium() -> str:
    path = _chromium()
    if path is None:
        _unavailable("chromium is not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
        import solara  # noqa: F401
    except ImportError as exc:
        _unavailable(f"{exc.name} is not installed (pip install -e '.[dev]')")
    from sim.teach.offline_assets import AssetsError, install

    try:
        install()
    except AssetsError as exc:
        _unavailable(f"solara's browser assets are missing and could not be fetched: {exc}")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(chromium, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("demo") / "server.log"
    env = {k: v for k, v in os.environ.items() if k != "TRADEWAR_DEMO_SCENARIO"}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim", "demo", str(SCENARIOS / "talk_dont_yield.yaml"),
             "--no-browser", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the demo server exited ({proc.returncode}):\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the demo server did not answer in 90 s:\n{log.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the CLI and the solara server it started
            proc.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _src(page, selector: str) -> str:
    return page.locator(f"{selector} img").first.get_attribute("src") or ""


def test_demo_in_a_real_browser(server, chromium):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    broken: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.on("response", lambda r: broken.append(f"{r.status} {r.url}")
                    if r.status >= 400 else None)
            page.on("requestfailed", lambda r: broken.append(f"failed {r.url}"))
            started = time.perf_counter()
            page.goto(server)
            page.wait_for_selector(".tw-this-week", timeout=60_000)
            page.wait_for_selector(".tw-run-charts img", timeout=30_000)
            page.wait_for_selector(".tw-ensemble img", timeout=30_000)
            ready = time.perf_counter() - started
            shot = ARTIFACTS / "demo.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"\nscreenshot: {shot}  (page ready in {ready:.1f} s)")
            assert "nothing has happened yet" in page.locator(".tw-this-week").inner_text()
            assert page.locator(".v-navigation-drawer").is_visible()  # styled, not blank
            assert "talk_dont_yield" in page.locator(".tw-scenario").inner_text()
            # the scenario's own values survive the sliders' snapping (no stale-run notice)
            assert page.locator(".v-alert").count() == 0

            # a slider: rationality (the last one) to its minimum; the ensemble follows
            run_before, ensemble_before = _src(page, ".tw-run-charts"), _src(page, ".tw-ensemble")
            text_before = page.locator(".tw-ensemble-text").inner_text()
            sliders = page.get_by_role("slider")
            assert sliders.count() == 8  # the run number and seven parameters
            knob = sliders.nth(7)
            assert knob.get_attribute("aria-valuenow") == "3"
            knob.focus()
            moved = time.perf_counter()
            knob.press("Home")
            page.wait_for_function(
                "src => document.querySelector('.tw-ensemble img').src !== src",
                arg=ensemble_before, timeout=20_000)
            lag = time.perf_counter() - moved
            print(f"ensemble updated {lag:.2f} s after the slider moved")
            assert knob.get_attribute("aria-valuenow") == "0.25"
            assert page.locator(".tw-ensemble-text").inner_text() != text_before
            assert "press Reset" in page.locator(".v-alert").inner_text()

            # the run: reset with the new slider, then three steps
            page.get_by_role("button", name="Reset").click()
            page.wait_for_selector(".v-alert", state="detached", timeout=20_000)
            for week in (1, 2, 3):
                page.get_by_role("button", name="Step").click()
                page.wait_for_function(
                    "w => document.querySelector('.tw-this-week').innerText"
                    ".startsWith('Week ' + w + ' ')", arg=week, timeout=20_000)
            narrative = page.locator(".tw-this-week").inner_text()
            assert narrative.startswith("Week 3 (15 Sep 2025):")
            assert "The US " in narrative and "China " in narrative and "Then:" in narrative
            page.wait_for_function(
                "src => document.querySelector('.tw-run-charts img').src !== src",
                arg=run_before, timeout=20_000)
            assert _src(page, ".tw-run-charts") != run_before
            page.screenshot(path=str(ARTIFACTS / "demo-stepped.png"), full_page=True)
        finally:
            browser.close()
    assert not [b for b in broken if "_solara/cdn" in b or "/static/" in b], broken
