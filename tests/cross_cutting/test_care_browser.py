"""The care team page in a real headless Chromium: log in, see a new escalation, handle it.

Uses Debian's `chromium` through Playwright (never `playwright install`). Skipped when the
browser is missing, unless BONELINE_REQUIRE_BROWSER=1 (CI sets it). Screenshots of every view,
at normal size and at 200% zoom, go to BONELINE_SCREENSHOT_DIR (default /tmp/care-*.png).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from service.domain.clock import utcnow
from service.domain.vocabulary import ConsentAction, Direction, Stage, Status
from service.store import escalations
from service.store.db import Database, upgrade
from service.store.models import ConsentEvent, Escalation, Message, Subscriber
from service.web import create_app
from tests.conftest import app_config
from tests.support.care_helpers import SHARED_PASSWORD, add_escalation, use_fast_password_hashing

CHROMIUM = Path("/usr/bin/chromium")
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
SCREENSHOTS = Path(os.environ.get("BONELINE_SCREENSHOT_DIR", "/tmp"))

playwright_sync: Any
try:
    from playwright import sync_api as playwright_sync
except ImportError:  # pragma: no cover - the test extra installs it
    playwright_sync = None


def browser_missing_reason() -> str | None:
    """Why the browser test cannot run here, or None when it can."""
    if playwright_sync is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium, once for this module."""
    reason = browser_missing_reason()
    if reason:
        if os.environ.get("BONELINE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the browser test is required but cannot run: {reason}")
        pytest.skip(reason)
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def live_database(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database for the served app (one backend is enough for a browser)."""
    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


@pytest.fixture
def live_url(live_database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app served on a free loopback port from a thread."""
    use_fast_password_hashing(monkeypatch)
    app: Flask = create_app(
        app_config(
            live_database.url,
            PUBLIC_BASE_URL="",
            CARE_TEAM_PASSWORD=SHARED_PASSWORD,
            SECRET_KEY="browser test key",
            CARE_POLL_SECONDS=1,
        )
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["boneline"].db.dispose()


def seed(database: Database) -> int:
    """Subscribers, some weeks of texts and opt-outs, and one escalation already open."""
    now = utcnow()
    statuses = ["delivered"] * 6 + ["failed", "undelivered", "sent", "replied"]
    with database.Session.begin() as session:
        for week in range(8):
            for n in range(4 + 3 * (week % 4)):
                session.add(
                    Message(
                        phone="+12125550001",
                        direction=Direction.OUTBOUND,
                        status=statuses[(n + week) % len(statuses)],
                        created_at=now - dt.timedelta(weeks=week, hours=n),
                    )
                )
            if week % 3 == 1:
                session.add(
                    ConsentEvent(
                        phone="+12125550009",
                        action=ConsentAction.OPT_OUT,
                        channel="sms",
                        disclosure_id="stop",
                        disclosure_version="1",
                        language="en",
                        occurred_at=now - dt.timedelta(weeks=week),
                    )
                )
        session.add_all(
            [
                Subscriber(phone="+12125550001", status=Status.ACTIVE, stage=Stage.PREGNANT),
                Subscriber(
                    phone="+12125550002",
                    status=Status.ACTIVE,
                    stage=Stage.POSTPARTUM,
                    language="es",
                ),
            ]
        )
    return add_escalation(
        database,
        phone="+13055550199",
        detail="me cai en la escalera",
        reason="fall",
        language="es",
        stage="pregnant",
        created_at=utcnow() - dt.timedelta(hours=2),
    )


def shoot(page: Any, name: str) -> None:
    """Save a full-page screenshot of the current view."""
    page.screenshot(path=str(SCREENSHOTS / f"care-{name}.png"), full_page=True)


def heading_levels(page: Any) -> list[int]:
    """The page's heading levels in document order (what a screen reader's list shows)."""
    levels: list[int] = page.eval_on_selector_all(
        "h1, h2, h3, h4, h5, h6", "els => els.map(e => Number(e.tagName[1]))"
    )
    return levels


def assert_accessible_basics(page: Any) -> None:
    """One h1 first, no skipped levels, every field labelled, landmarks present."""
    levels = heading_levels(page)
    assert levels[0] == 1 and levels.count(1) == 1, levels
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    unlabelled = page.eval_on_selector_all(
        "input:not([type=hidden]), textarea, select",
        "els => els.filter(e => e.labels.length === 0).map(e => e.name)",
    )
    assert unlabelled == []
    assert page.locator("main").count() == 1
    assert page.locator("header").count() == 1


def fits_without_sideways_scrolling(page: Any) -> bool:
    """Whether the page is no wider than the window (reflow at 200% zoom)."""
    result: bool = page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth + 1"
    )
    return result


def test_staff_see_a_new_escalation_arrive_and_handle_it(
    browser: Any, live_url: str, live_database: Database
) -> None:
    expect = playwright_sync.expect
    older = seed(live_database)
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []  # script errors and Content-Security-Policy refusals
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{live_url}/care")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to the care team page")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    assert_accessible_basics(page)
    shoot(page, "login")

    page.get_by_label("Your name").fill("Nurse Ana")
    page.get_by_label("Password").fill(SHARED_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open escalations")
    expect(page.locator(f'tr[data-id="{older}"]')).to_be_visible()
    assert_accessible_basics(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Handled escalations")).to_be_focused()
    shoot(page, "focus")

    newer = add_escalation(live_database, phone="+12125550143", created_at=utcnow())
    new_row = page.locator(f'tr[data-id="{newer}"]')
    expect(new_row).to_be_visible(timeout=10_000)
    expect(page.locator("#announcer")).to_have_text("1 new escalation. 2 open.")
    expect(page.locator("tbody tr").first).to_have_attribute("data-id", str(newer))
    assert "2125550143" not in page.content()
    expect(new_row).to_contain_text("***0143")
    shoot(page, "open")

    new_row.get_by_role("link", name=re.compile(f"^Severe back pain.*escalation {newer}$")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Escalation {newer}")
    assert_accessible_basics(page)
    shoot(page, "detail")
    page.get_by_label("What you did").fill("Called back; advised urgent care today.")
    page.get_by_role("button", name="Mark handled").click()
    expect(page.get_by_role("status")).to_contain_text(f"Escalation {newer} is marked handled.")
    expect(page.locator(f'tr[data-id="{newer}"]')).to_have_count(0)

    page.get_by_role("link", name="Handled escalations").click()
    page.get_by_label("Last digits of the number").fill("0143")
    page.get_by_role("button", name="Search").click()
    handled_row = page.locator(f'#handled-escalations tr[data-id="{newer}"]')
    expect(handled_row).to_contain_text("advised urgent care")
    expect(handled_row).to_contain_text("by Nurse Ana")
    assert_accessible_basics(page)
    shoot(page, "handled")

    page.get_by_role("link", name="Program at a glance").click()
    expect(page.get_by_role("table", name="Active, by stage")).to_contain_text("Pregnant")
    assert_accessible_basics(page)
    shoot(page, "program")

    with live_database.Session() as session:
        handled = session.get(Escalation, newer)
        assert handled is not None and handled.handled_by == "Nurse Ana"
    assert problems == []
    context.close()


def test_every_view_reflows_at_200_percent_zoom(
    browser: Any, live_url: str, live_database: Database
) -> None:
    escalation_id = seed(live_database)
    add_escalation(
        live_database,
        detail="the pain is so bad",
        handled_at=utcnow(),
        handled_by="Bo",
        note="Called back",
    )
    # A 1280 x 800 window at 200% zoom lays out like a 640 x 400 one with doubled pixels.
    context = browser.new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    page = context.new_page()
    page.goto(f"{live_url}/care/login")
    assert fits_without_sideways_scrolling(page)
    shoot(page, "login-zoom200")
    page.get_by_label("Your name").fill("Ana")
    page.get_by_label("Password").fill(SHARED_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect = playwright_sync.expect
    expect(page.get_by_role("heading", level=1)).to_have_text("Open escalations")
    views = {
        "open": "/care",
        "detail": f"/care/escalations/{escalation_id}",
        "handled": "/care/handled",
        "program": "/care/program",
    }
    for name, path in views.items():
        page.goto(f"{live_url}{path}")
        assert fits_without_sideways_scrolling(page), name
        shoot(page, f"{name}-zoom200")
    context.close()


def test_an_alert_that_could_not_be_sent_is_a_red_banner_that_reflows(
    browser: Any, live_url: str, live_database: Database
) -> None:
    escalation_id = seed(live_database)
    with live_database.Session.begin() as session:
        escalations.note_webhook_failure(session, escalation_id, utcnow(), "connection refused")
    expect = playwright_sync.expect
    for name, viewport, scale in (("alert", 1280, 1), ("alert-zoom200", 640, 2)):
        context = browser.new_context(
            viewport={"width": viewport, "height": 800 // scale}, device_scale_factor=scale
        )
        page = context.new_page()
        page.goto(f"{live_url}/care/login")
        page.get_by_label("Your name").fill("Ana")
        page.get_by_label("Password").fill(SHARED_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        banner = page.get_by_role("alert")
        expect(banner).to_contain_text("1 care-team alert could not be sent.")
        expect(page.locator("#status-line")).to_contain_text("Failed alerts: 1.")
        banner.get_by_role("link", name=f"Escalation {escalation_id}").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Escalation {escalation_id}")
        assert_accessible_basics(page)
        assert fits_without_sideways_scrolling(page)
        shoot(page, name)
        context.close()
